import { html } from "../html.js";
import { layout, type PageContext } from "./layout.js";

export function homePage(context: PageContext & { username: string }) {
  return layout(
    "Home",
    context,
    html`<h1>Welcome</h1>
<p id="signed-in-as">Signed in as ${context.username}</p>
<p><a href="${context.paths.to("/account")}">Account security</a></p>`,
  );
}
