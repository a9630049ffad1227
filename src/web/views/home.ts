import { html } from "../html.js";
import { layout, type PageContext } from "./layout.js";

export function homePage(context: PageContext & { username: string }) {
  return layout(
    "Home",
    context,
    html`<h1>Welcome</h1>
<p id="signed-in-as">Signed in as ${context.username}</p>
<p><a href="/account">Account security</a></p>`,
  );
}

export interface AccountView {
  enrolled: boolean;
  recoveryCodesLeft: number;
}

export function accountPage(context: PageContext & { username: string }, view: AccountView) {
  return layout(
    "Account security",
    context,
    html`<h1>Account security</h1>
<dl>
  <dt>Username</dt><dd>${context.username}</dd>
  <dt>Two-factor sign-in</dt><dd id="two-factor-status">${view.enrolled ? "On (authenticator app)" : "Off"}</dd>
  <dt>Recovery codes left</dt><dd id="recovery-codes-left">${view.recoveryCodesLeft}</dd>
</dl>
${view.recoveryCodesLeft <= 3 ? html`<p class="error" role="alert">Only ${view.recoveryCodesLeft} recovery codes are left.</p>` : ""}
<p><a href="/">Back home</a></p>`,
  );
}
