import type { RegistrationMode } from "../../core/invitations.js";
import { html } from "../html.js";
import { csrfField, errorMessage, layout, signOutForm, type PageContext } from "./layout.js";

export interface CredentialsForm {
  username?: string | undefined;
  next?: string | undefined;
  error?: string | undefined;
}

function withNext(path: string, next: string | undefined): string {
  return next && next !== "/" ? `${path}?next=${encodeURIComponent(next)}` : path;
}

/** The invitation a registration form was opened with: its token, and the name it is for. */
export interface InvitationView {
  token: string;
  username: string | null;
}

/** Contract (Who may register): a link to /register only where it leads somewhere. */
function registrationHint(context: PageContext, registration: RegistrationMode, next: string | undefined) {
  if (registration === "open") return html`<p class="muted">No account yet? <a href="${withNext(context.paths.to("/register"), next)}">Create one</a>.</p>`;
  if (registration === "invite") return html`<p class="muted">New here? Ask your administrator for an invitation.</p>`;
  return html``;
}

export function loginPage(context: PageContext, form: CredentialsForm & { registration: RegistrationMode }) {
  return layout(
    "Sign in",
    context,
    html`<h1>Sign in</h1>
${errorMessage(form.error)}
<form method="post" action="${context.paths.to("/login")}" novalidate>
  ${csrfField(context.csrfToken)}
  <input type="hidden" name="next" value="${form.next ?? "/"}">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="${form.username ?? ""}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
${registrationHint(context, form.registration, form.next)}`,
  );
}

export function registerPage(context: PageContext, form: CredentialsForm & { invitation?: InvitationView | undefined }) {
  const { invitation } = form;
  // An invitation for one name fixes it: shown, sent with the form, not editable.
  const fixedName = invitation?.username ?? null;
  return layout(
    "Create an account",
    context,
    html`<h1>Create an account</h1>
${errorMessage(form.error)}
<form method="post" action="${context.paths.to("/register")}" novalidate>
  ${csrfField(context.csrfToken)}
  <input type="hidden" name="next" value="${form.next ?? "/"}">
  ${invitation ? html`<input type="hidden" name="invite" value="${invitation.token}">` : html``}
  <label for="username">Username</label>
  ${
    fixedName === null
      ? html`<input type="text" id="username" name="username" value="${form.username ?? ""}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus aria-describedby="username-help">
  <p class="muted" id="username-help">Letters, digits and . _ @ + - (up to 64).</p>`
      : html`<input type="text" id="username" name="username" value="${fixedName}" autocomplete="username" readonly aria-describedby="username-help">
  <p class="muted" id="username-help">Your invitation is for this username.</p>`
  }
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="new-password" minlength="8" required aria-describedby="password-help">
  <p class="muted" id="password-help">At least 8 characters. A few unrelated words make a strong one.</p>
  <button type="submit">Create account</button>
</form>
<p class="muted">Already registered? <a href="${withNext(context.paths.to("/login"), form.next)}">Sign in</a>.</p>
<p class="muted">Next you will set up an authenticator app such as Google Authenticator.</p>`,
  );
}

/** The gateway's GET logout page: the upstream app links here; signing out stays a POST (R41). */
export function signOutPage(context: PageContext) {
  const { username } = context;
  // One sign-out form on the page: the header's is left out.
  return layout(
    "Sign out",
    { ...context, username: undefined },
    username !== undefined
      ? html`<h1>Sign out</h1>
<p id="signed-in-as">Signed in as ${username}</p>
${signOutForm(context)}`
      : html`<h1>Signed out</h1>
<p>You are not signed in. <a href="${context.paths.to("/login")}">Sign in</a>.</p>`,
  );
}
