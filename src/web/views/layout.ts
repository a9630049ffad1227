import { html, type Html } from "../html.js";
import type { SitePaths } from "../paths.js";

export interface PageContext {
  csrfToken: string;
  /** Where gatehouse's own pages are (under /.gatehouse in the gateway). */
  paths: SitePaths;
  /** Shown in the header with a sign-out button when someone is signed in. */
  username?: string | undefined;
  /** A one-time notice shown above the page (e.g. after a recovery-code sign-in). */
  notice?: string | undefined;
}

export function layout(title: string, context: PageContext, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · gatehouse</title>
<link rel="stylesheet" href="${context.paths.to("/assets/style.css")}">
</head>
<body>
<header>
  <a class="brand" href="${context.paths.to("/")}">gatehouse</a>
  ${context.username !== undefined ? signOutForm(context) : ""}
</header>
<main>
${context.notice ? html`<p class="notice" role="status" id="notice">${context.notice}</p>` : ""}
${body}
</main>
</body>
</html>`;
}

export function signOutForm(context: PageContext): Html {
  return html`<form method="post" action="${context.paths.to("/logout")}">
    ${csrfField(context.csrfToken)}
    <button type="submit" class="secondary link">Sign out</button>
  </form>`;
}

export function errorMessage(message: string | undefined): Html {
  return message ? html`<p class="error" role="alert" id="form-error">${message}</p>` : html``;
}

export function csrfField(csrfToken: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrfToken}">`;
}
