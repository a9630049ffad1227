// Requests Node's HTTP parser refuses before Fastify routes them (review F10): a header folded
// onto the next line (obs-fold, RFC 9112 section 5.2), an invalid header name, a malformed request
// line, oversized headers. They get gatehouse's HTML error page with the page headers, the same
// page as any other 400, never Fastify's default JSON and never a 5xx, in both modes.
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.js";
import { buildGatewayApp, listen, PREFIX } from "../support/gateway.js";

interface ParsedAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends `bytes` as they are on a fresh connection and reads the answer until the server closes. */
function sendRaw(origin: string, bytes: string): Promise<ParsedAnswer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
      const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) });
    });
    socket.end(bytes);
  });
}

/** Header names helmet sets on every page (src/web/page-headers.ts). */
const PAGE_HEADERS = ["content-security-policy", "referrer-policy", "x-frame-options", "x-content-type-options", "cross-origin-opener-policy"];

const REFUSED_BY_THE_PARSER: [string, string][] = [
  ["a header continued on the next line with a tab (obs-fold)", "GET /login HTTP/1.1\r\nHost: localhost\r\nX-Folded: first\r\n\tsecond\r\n\r\n"],
  ["a header continued on the next line with a space (obs-fold)", "GET / HTTP/1.1\r\nHost: localhost\r\nX-Folded: first\r\n second\r\n\r\n"],
  ["a header name with a space in it", "GET / HTTP/1.1\r\nHost: localhost\r\nBad Name: value\r\n\r\n"],
  ["a header name with a control character", "GET / HTTP/1.1\r\nHost: localhost\r\nBad\u0001Name: value\r\n\r\n"],
  ["a malformed request line", "GET / HTTP/1.1 extra\r\nHost: localhost\r\n\r\n"],
  ["a header line without a colon", "GET / HTTP/1.1\r\nHost: localhost\r\nno-colon-here\r\n\r\n"],
];

let t: TestApp;
afterEach(() => t?.close());

describe("requests the HTTP parser refuses get gatehouse's 400 page (review F10)", () => {
  async function expectBadRequestPage(origin: string, bytes: string, stylesheet: string) {
    const answer = await sendRaw(origin, bytes);
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("content-length")).toBe(String(Buffer.byteLength(answer.body)));
    expect(answer.body).toContain("<title>Bad request · gatehouse</title>");
    expect(answer.body).toContain(`href="${stylesheet}"`);
    expect(answer.body).not.toContain('{"error"');
    return answer;
  }

  it.each(REFUSED_BY_THE_PARSER)("%s: 400 with the HTML page and the page headers, as any other 400", async (_, bytes) => {
    t = await buildTestApp();
    const origin = await listen(t);
    const answer = await expectBadRequestPage(origin, bytes, "/assets/style.css");
    // The same page as a 400 Fastify raises itself, for an undecodable path, and the page headers.
    const other400 = await t.app.inject({ method: "GET", url: "/login%zz" });
    expect(other400.statusCode).toBe(400);
    expect(answer.body).toBe(other400.body);
    const page = await t.app.inject({ method: "GET", url: "/login" });
    for (const name of PAGE_HEADERS) expect([name, answer.headers.get(name)]).toEqual([name, page.headers[name]]);
  });

  it("an undecodable path's 400, raised before any hook runs, carries the page headers too", async () => {
    t = await buildTestApp();
    const other400 = await t.app.inject({ method: "GET", url: "/login%zz" });
    const page = await t.app.inject({ method: "GET", url: "/login" });
    expect(other400.statusCode).toBe(400);
    for (const name of PAGE_HEADERS) expect([name, other400.headers[name]]).toEqual([name, page.headers[name]]);
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  });

  it.each(REFUSED_BY_THE_PARSER)("gateway mode, %s: the page under /.gatehouse", async (_, bytes) => {
    t = await buildGatewayApp({ upstream: "http://127.0.0.1:9" });
    const origin = await listen(t);
    await expectBadRequestPage(origin, bytes, `${PREFIX}/assets/style.css`);
  });

  it("headers larger than the parser's limit get 431 with the HTML page, never a 5xx", async () => {
    t = await buildTestApp();
    const origin = await listen(t);
    const answer = await sendRaw(origin, `GET / HTTP/1.1\r\nHost: localhost\r\nCookie: ${"a".repeat(64 * 1024)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(answer.body).toContain("<title>Request headers too large · gatehouse</title>");
  });

  it("the server keeps answering other connections after refusing one", async () => {
    t = await buildTestApp();
    const origin = await listen(t);
    await sendRaw(origin, REFUSED_BY_THE_PARSER[0]![1]);
    const next = await sendRaw(origin, "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    expect(next.status).toBe(200);
  });
});
