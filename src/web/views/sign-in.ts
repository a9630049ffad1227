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

export function loginPage(context: PageContext, form: CredentialsForm) {
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
<p class="muted">No account yet? <a href="${withNext(context.paths.to("/register"), form.next)}">Create one</a>.</p>`,
  );
}

export function registerPage(context: PageContext, form: CredentialsForm) {
  return layout(
    "Create an account",
    context,
    html`<h1>Create an account</h1>
${errorMessage(form.error)}
<form method="post" action="${context.paths.to("/register")}" novalidate>
  ${csrfField(context.csrfToken)}
  <input type="hidden" name="next" value="${form.next ?? "/"}">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="${form.username ?? ""}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus aria-describedby="username-help">
  <p class="muted" id="username-help">Letters, digits and . _ @ + - (up to 64).</p>
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
