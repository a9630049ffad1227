import { html } from "../html.js";
import { layout, type PageContext } from "./layout.js";

/** `signInHref` leads back to where the visitor was going, when that is known. */
export function errorPage(context: PageContext, status: number, title: string, message: string, signInHref?: string) {
  return layout(
    title,
    context,
    html`<h1>${title}</h1>
<p class="error" role="alert">${message}</p>
<p class="muted">Error ${status}. <a href="${context.paths.to("/")}">Go to the start page</a> or <a id="sign-in" href="${signInHref ?? context.paths.to("/login")}">sign in</a>.</p>`,
  );
}
