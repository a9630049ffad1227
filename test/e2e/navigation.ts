// Small helpers that make a browser step report what actually happened on the wire
// (method, path and status of every hop), so a failing e2e run says which page it saw.
import type { Page, Request, Response } from "playwright-core";

export interface Navigation {
  /** Status of the final document (after redirects), e.g. 200 or 401. */
  status: number;
  /** The final document's URL. */
  url: string;
  /** The final document's path, without query. */
  path: string;
  /** Every hop, e.g. `POST /register -> 303, GET /2fa/setup -> 200`. */
  chain: string;
  /** Status of the first hop (a 303 when the request was redirected). */
  firstStatus: number;
}

function shortURL(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

async function describeChain(response: Response): Promise<{ chain: string; firstStatus: number }> {
  const hops: Request[] = [];
  for (let request: Request | null = response.request(); request; request = request.redirectedFrom()) {
    hops.unshift(request);
  }
  const parts: string[] = [];
  let firstStatus = response.status();
  for (const [index, request] of hops.entries()) {
    const status = (await request.response())?.status();
    if (index === 0 && status !== undefined) firstStatus = status;
    parts.push(`${request.method()} ${shortURL(request.url())} -> ${status ?? "?"}`);
  }
  return { chain: parts.join(", "), firstStatus };
}

/**
 * Runs `action` (a click, a form submission, `page.goto`) and waits until the main frame
 * has loaded the resulting document; returns what the server answered.
 */
export async function navigate(page: Page, action: () => Promise<unknown>): Promise<Navigation> {
  const isFinalDocument = (response: Response): boolean =>
    response.request().isNavigationRequest() &&
    response.frame() === page.mainFrame() &&
    !(response.status() >= 300 && response.status() < 400);
  const responded = page.waitForResponse(isFinalDocument);
  const committed = page.waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame() });
  // If the action throws, these two time out later; nobody is waiting for them then.
  responded.catch(() => undefined);
  committed.catch(() => undefined);
  await action();
  const [response] = await Promise.all([responded, committed]);
  await page.waitForLoadState("load");
  const url = response.url();
  return { status: response.status(), url, path: new URL(url).pathname, ...(await describeChain(response)) };
}

/** What the browser shows right now, for failure messages. */
export async function describePage(page: Page, last: Navigation | undefined): Promise<string> {
  const text = await page
    .locator("body")
    .innerText({ timeout: 2_000 })
    .catch((error: unknown) => `(could not read the page: ${String(error)})`);
  const title = await page.title().catch(() => "?");
  const excerpt = text.replace(/\n{3,}/g, "\n\n").trim().slice(0, 1_500);
  return [
    `browser at: ${page.url()}`,
    `last navigation: ${last ? `${last.chain} (final status ${last.status})` : "none"}`,
    `title: ${title}`,
    `page text:\n${excerpt}`,
  ].join("\n");
}
