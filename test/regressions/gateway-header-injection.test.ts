// Regression suite: a client's own identity and path-override headers reaching the app behind the
// built-in proxy (F8 of the December 2026 review), on public paths too where nobody signs in.
//   - X-Original-URL / X-Rewrite-URL: IIS URL Rewrite and old Symfony/Zend route on them, so a
//     public path would serve /admin (CVE-2018-14773)
//   - Remote-User, X-Forwarded-User, X-Auth-Request-*: apps set up for a generic auth proxy take
//     them as the signed-in user
//   - True-Client-IP, X-Forwarded-Prefix, ...: a client address or path prefix of the client's
//     choosing, believable from a trusted proxy only
// Every header in every letter case, with "_" for "-" (CGI/WSGI read both as one), and repeated.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.js";
import { buildGatewayApp, cookieHeader, enrollThroughGateway, listen, rawRequest } from "../support/gateway.js";
import { startUpstream, type EchoedRequest, type Upstream } from "../support/upstream.js";

/** Dropped whoever sends them (contract: Access rules (gateway)). */
const IDENTITY_AND_PATH_OVERRIDES = [
  "X-Original-URL",
  "X-Rewrite-URL",
  "Remote-User",
  "Remote-Groups",
  "Remote-Email",
  "X-Remote-User",
  "X-Forwarded-User",
  "X-Forwarded-Email",
  "X-Forwarded-Groups",
  "X-Auth-Request-User",
  "X-Auth-Request-Email",
  "X-Auth-Request-Groups",
  "X-Auth-Request-Access-Token",
  "X-Gatehouse-User",
  "X-Gatehouse-Groups",
];

/** Dropped unless a trusted proxy (GATEHOUSE_TRUSTED_PROXIES) sends them. */
const PROXY_FACTS = [
  "X-Forwarded-Prefix",
  "X-Forwarded-Uri",
  "X-Original-URI",
  "X-Forwarded-Port",
  "X-Forwarded-Server",
  "True-Client-IP",
  "X-Client-IP",
  "CF-Connecting-IP",
  "Forwarded",
  "X-Real-IP",
];

const MARKER = "INJECTED";

function spellings(name: string): string[] {
  return [name, name.toUpperCase(), name.toLowerCase(), name.replaceAll("-", "_"), name.toLowerCase().replaceAll("-", "_")];
}

/**
 * Each header in each spelling, each on a line of its own, after Host (Node adds none to a list):
 * [name, value, name, value, ...].
 */
function injected(origin: string, names: string[]): string[] {
  return ["Host", new URL(origin).host, ...names.flatMap((name) => spellings(name).flatMap((spelling) => [spelling, `/admin?${MARKER}`]))];
}

/** The header names the upstream received, as CGI would read them. */
function receivedKeys(headers: EchoedRequest["headers"]): string[] {
  return Object.keys(headers).map((name) => name.toLowerCase().replaceAll("_", "-"));
}

let upstream: Upstream;
let t: TestApp;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
beforeEach(() => {
  upstream.seen.length = 0;
});
afterEach(async () => {
  await t.close();
});

describe("path-override and identity headers from clients never reach the upstream", () => {
  it("an anonymous GET of a public path with X-Original-URL: /admin (and every such header, every spelling) reaches the app without them", async () => {
    t = await buildGatewayApp({ upstream: upstream.url, publicPaths: ["/static/*"] });
    const origin = await listen(t);
    const res = await rawRequest(origin, "/static/app.css", [...injected(origin, [...IDENTITY_AND_PATH_OVERRIDES, ...PROXY_FACTS]), "X-App-Theme", "dark"]);
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as EchoedRequest;
    expect(seen.url).toBe("/static/app.css");
    expect(seen.headers["x-app-theme"], "control: the app's own headers pass").toBe("dark");
    const keys = receivedKeys(seen.headers);
    for (const name of [...IDENTITY_AND_PATH_OVERRIDES, ...PROXY_FACTS]) expect(keys, name).not.toContain(name.toLowerCase());
    expect(JSON.stringify(seen.headers)).not.toContain(MARKER);
  });

  it("a signed-in user's request carries gatehouse's X-Gatehouse-User and none of the client's", async () => {
    t = await buildGatewayApp({ upstream: upstream.url, publicPaths: ["/static/*"] });
    const origin = await listen(t);
    const client = t.client();
    await enrollThroughGateway(t, client, "alice");
    const res = await rawRequest(origin, "/reports", [...injected(origin, IDENTITY_AND_PATH_OVERRIDES), "Cookie", cookieHeader(client)]);
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as EchoedRequest;
    expect(seen.headers["x-gatehouse-user"]).toBe("alice");
    expect(JSON.stringify(seen.headers)).not.toContain(MARKER);
  });

  it("a trusted proxy's client address and prefix headers pass on; identity and path overrides are dropped even from it", async () => {
    t = await buildGatewayApp({ upstream: upstream.url, publicPaths: ["/static/*"], trustedProxies: ["10.0.0.0/24"] });
    const facts = Object.fromEntries(PROXY_FACTS.map((name) => [name.toLowerCase(), "from-the-proxy"]));
    const overrides = Object.fromEntries(IDENTITY_AND_PATH_OVERRIDES.map((name) => [name.toLowerCase(), `/admin?${MARKER}`]));
    const res = await t.client().request({ method: "GET", url: "/static/x", remoteAddress: "10.0.0.5", headers: { ...facts, ...overrides } });
    const seen = (JSON.parse(res.body) as EchoedRequest).headers;
    for (const name of Object.keys(facts)) expect(seen[name], name).toBe("from-the-proxy");
    expect(JSON.stringify(seen)).not.toContain(MARKER);
  });
});
