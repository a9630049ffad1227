import { html } from "../html.js";
import { csrfField, errorMessage, layout, type PageContext } from "./layout.js";

export interface SetupView {
  qrDataURL: string;
  secretBase32: string;
  keyURI: string;
  error?: string | undefined;
}

/** "ABCD EFGH ..." is easier to type from a screen than 32 letters in a row. */
function inGroupsOfFour(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

function otpField(label: string) {
  return html`<label for="otp">${label}</label>
  <input type="text" class="otp" id="otp" name="otp" inputmode="numeric" pattern="[0-9 ]*" maxlength="9" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus>`;
}

export function setupPage(context: PageContext, view: SetupView) {
  return layout(
    "Set up your authenticator",
    context,
    html`<h1>Set up two-factor sign-in</h1>
${errorMessage(view.error)}
<ol class="steps">
  <li>Open Google Authenticator (or any authenticator app) on your phone and add an account.</li>
  <li>Scan this QR code:
    <img class="qr" id="qr-code" src="${view.qrDataURL}" alt="QR code for your authenticator app" width="240" height="240">
    On this phone? <a href="${view.keyURI}">Open in your authenticator app</a>.
  </li>
  <li>Can't scan it? Enter this key by hand (time-based):
    <p class="key" id="secret-key">${inGroupsOfFour(view.secretBase32)}</p>
  </li>
  <li>Type the 6-digit code the app shows now.</li>
</ol>
<form method="post" action="${context.paths.to("/2fa/setup")}" novalidate>
  ${csrfField(context.csrfToken)}
  ${otpField("6-digit code")}
  <button type="submit">Confirm and turn on</button>
</form>
<form method="post" action="${context.paths.to("/2fa/setup/new")}">
  ${csrfField(context.csrfToken)}
  <button type="submit" class="secondary">Show a new QR code</button>
</form>`,
  );
}

/** GATEHOUSE_REMEMBER_DAYS as the checkbox says it. */
function forDays(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}

export function challengePage(context: PageContext, rememberDays: number, error?: string) {
  return layout(
    "Two-factor sign-in",
    context,
    html`<h1>Enter your code</h1>
${errorMessage(error)}
<p>Open your authenticator app and enter the 6-digit code for this account.</p>
<form method="post" action="${context.paths.to("/2fa")}" novalidate>
  ${csrfField(context.csrfToken)}
  ${otpField("6-digit code")}
  <label class="checkbox"><input type="checkbox" name="remember" value="1"> Don't ask for a code on this browser for ${forDays(rememberDays)}</label>
  <button type="submit">Verify</button>
</form>
<details>
  <summary>Lost your phone? Use a recovery code</summary>
  <form method="post" action="${context.paths.to("/2fa/recovery")}" novalidate>
    ${csrfField(context.csrfToken)}
    <label for="recovery_code">Recovery code</label>
    <input type="text" id="recovery_code" name="recovery_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required>
    <button type="submit" class="secondary">Use recovery code</button>
  </form>
</details>`,
  );
}

export function recoveryCodesPage(context: PageContext, codes: string[], next: string) {
  return layout(
    "Your recovery codes",
    context,
    html`<h1>Save your recovery codes</h1>
<p class="notice">Two-factor sign-in is on.</p>
<p>If you lose your phone, each of these codes signs you in once. Store them somewhere safe, such as a password manager. They are shown only now.</p>
<ul class="codes">
  ${codes.map((code) => html`<li class="recovery-code">${code}</li>`)}
</ul>
<p><a class="continue" href="${next}">I have saved them, continue</a></p>`,
  );
}
