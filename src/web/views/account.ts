import type { RememberedDeviceRecord, SessionRecord, StoredEvent } from "../../core/ports.js";
import { browserLabel } from "../browser-label.js";
import { html } from "../html.js";
import { csrfField, errorMessage, layout, type PageContext } from "./layout.js";

export interface AccountView {
  enrolled: boolean;
  recoveryCodesLeft: number;
  devices: RememberedDeviceRecord[];
  sessions: SessionRecord[];
  currentSessionHash: string;
  events: StoredEvent[];
  error?: string | undefined;
}

/** What happened, in words, for the activity list. */
const EVENT_LABELS: Partial<Record<StoredEvent["type"], string>> = {
  registered: "Account created",
  "invitation-used": "Invitation used",
  "password-accepted": "Password ok",
  "password-rejected": "Wrong password",
  "password-throttled": "Password attempts throttled",
  "second-factor-accepted": "Code ok",
  "second-factor-rejected": "Wrong code",
  "second-factor-replayed": "Code used twice, refused",
  "second-factor-locked": "Locked after too many wrong codes",
  "recovery-code-used": "Recovery code used",
  "recovery-code-rejected": "Wrong recovery code",
  "two-factor-enabled": "Two-factor sign-in turned on",
  "two-factor-disabled": "Two-factor sign-in turned off",
  "two-factor-reenrolled": "New authenticator set up",
  "recovery-codes-regenerated": "New recovery codes",
  "device-remembered": "Browser remembered",
  "remembered-device-accepted": "Signed in from a remembered browser",
  "device-forgotten": "Browser forgotten",
  "password-changed": "Password changed",
  "signed-out": "Signed out",
  "sessions-ended": "Other sessions signed out",
  "admin-user-added": "Account created by an administrator",
  "admin-reset-2fa": "Two-factor sign-in reset by an administrator",
  "admin-unlocked": "Unlocked by an administrator",
  "admin-user-disabled": "Account disabled by an administrator",
  "admin-user-enabled": "Account enabled by an administrator",
  "admin-password-set": "Password set by an administrator",
  "admin-signed-out": "Signed out everywhere by an administrator",
  "admin-groups-set": "Groups changed by an administrator",
  "disabled-account-refused": "Sign-in refused: the account was disabled",
};

const time = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";

function passwordField(id: string, label = "Current password") {
  return html`<label for="${id}">${label}</label>
  <input type="password" id="${id}" name="password" autocomplete="current-password" required>`;
}

function codeField(id: string) {
  return html`<label for="${id}">Code from your app, or a recovery code</label>
  <input type="text" class="otp" id="${id}" name="otp" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required>`;
}

function twoFactorSection(context: PageContext, view: AccountView) {
  if (!view.enrolled) {
    return html`<p>Two-factor sign-in is off. <a href="${context.paths.to("/2fa/setup")}">Turn it on</a>.</p>`;
  }
  const token = context.csrfToken;
  return html`<details>
  <summary>I have a new phone</summary>
  <form method="post" action="${context.paths.to("/account/2fa/reenroll")}">
    ${csrfField(token)}${passwordField("reenroll-password")}${codeField("reenroll-otp")}
    <p class="muted">Your current app keeps working until the new one is confirmed.</p>
    <button type="submit">Set up a new authenticator</button>
  </form>
</details>
<details>
  <summary>Get new recovery codes</summary>
  <form method="post" action="${context.paths.to("/account/recovery-codes")}">
    ${csrfField(token)}${codeField("codes-otp")}
    <p class="muted">All previous codes stop working; other sessions and remembered browsers end.</p>
    <button type="submit">Replace my recovery codes</button>
  </form>
</details>
<details>
  <summary>Turn two-factor sign-in off</summary>
  <form method="post" action="${context.paths.to("/account/2fa/disable")}">
    ${csrfField(token)}${passwordField("disable-password")}${codeField("disable-otp")}
    <p class="muted">Your next sign-in will ask you to set it up again.</p>
    <button type="submit" class="secondary">Turn off</button>
  </form>
</details>`;
}

export function accountPage(context: PageContext & { username: string }, view: AccountView) {
  const token = context.csrfToken;
  const otherSessions = view.sessions.filter((s) => s.idHash !== view.currentSessionHash);
  return layout(
    "Account security",
    context,
    html`<h1>Account security</h1>
${errorMessage(view.error)}
<dl>
  <dt>Username</dt><dd>${context.username}</dd>
  <dt>Two-factor sign-in</dt><dd id="two-factor-status">${view.enrolled ? "On (authenticator app)" : "Off"}</dd>
  <dt>Recovery codes left</dt><dd id="recovery-codes-left">${view.recoveryCodesLeft}</dd>
</dl>
${view.enrolled && view.recoveryCodesLeft <= 3 ? html`<p class="error" role="alert" id="few-codes">Only ${view.recoveryCodesLeft} recovery codes are left. Get new ones below.</p>` : ""}
<h2>Two-factor sign-in</h2>
${twoFactorSection(context, view)}

<h2>Remembered browsers</h2>
${view.devices.length === 0
  ? html`<p class="muted">No browser skips the code.</p>`
  : html`<ul class="devices">${view.devices.map(
      (d) => html`<li class="device">${d.label}, remembered ${time(d.createdAt)}, until ${time(d.expiresAt)}
        <form method="post" action="${context.paths.to("/account/devices/forget")}">${csrfField(token)}<input type="hidden" name="device_id" value="${d.id}"><button type="submit" class="secondary link">Forget</button></form></li>`,
    )}</ul>
<form method="post" action="${context.paths.to("/account/devices/forget-all")}">${csrfField(token)}<button type="submit" class="secondary">Forget all browsers</button></form>`}

<h2>Sessions</h2>
<p>This session, and ${otherSessions.length} other ${otherSessions.length === 1 ? "session" : "sessions"}.</p>
${otherSessions.length > 0
  ? html`<form method="post" action="${context.paths.to("/account/sessions/end-others")}">${csrfField(token)}<button type="submit" class="secondary">Sign out everywhere else</button></form>`
  : ""}

<h2>Change password</h2>
<form method="post" action="${context.paths.to("/account/password")}">
  ${csrfField(token)}${passwordField("change-password")}
  <label for="new-password">New password</label>
  <input type="password" id="new-password" name="new_password" autocomplete="new-password" minlength="8" required>
  ${view.enrolled ? codeField("change-otp") : ""}
  <button type="submit">Change password</button>
</form>

<h2>Recent activity</h2>
<table class="events">
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">From</th><th scope="col">Browser</th></tr></thead>
<tbody>
${view.events.map(
  (e) => html`<tr class="event"><td>${time(e.at)}</td><td>${EVENT_LABELS[e.type] ?? e.type}${e.count > 1 ? ` (${e.count} attempts)` : ""}</td><td>${e.clientAddress ?? "-"}</td><td>${e.userAgent === "gatehouse-cli" ? "Admin CLI" : browserLabel(e.userAgent ?? undefined)}</td></tr>`,
)}
</tbody>
</table>
<p><a href="${context.paths.to("/")}">Back home</a></p>`,
  );
}
