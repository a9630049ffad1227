import { html } from "../html.js";
import { layout, type PageContext } from "./layout.js";

export function errorPage(context: PageContext, status: number, title: string, message: string) {
  return layout(
    title,
    context,
    html`<h1>${title}</h1>
<p class="error" role="alert">${message}</p>
<p class="muted">Error ${status}. <a href="/">Go to the start page</a> or <a href="/login">sign in</a>.</p>`,
  );
}
