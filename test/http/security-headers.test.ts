// The response headers of representative answers, in full and in order (only the date dropped
// and cookie values masked): helmet's page headers on every page of ours, HSTS over https, none
// on what the gateway proxies or its verify route answers with an empty 200. Pinned so that how
// the headers are produced can change while what goes out cannot (see docs/performance.md).
import type { IncomingHttpHeaders } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { buildTestApp, codeAt, secretFromSetupPage, STRONG_PASSWORD, type TestApp, type TestClient } from "../support/app.js";
import { buildGatewayApp, enrollThroughGateway, listen, PREFIX, rawRequest } from "../support/gateway.js";
import { startUpstream, type Upstream } from "../support/upstream.js";

const CSP = "default-src 'none';style-src 'self';img-src 'self' data:;form-action 'self';frame-ancestors 'none';base-uri 'none'";

/** helmet's headers with gatehouse's options (src/web/app.ts), in the order helmet sets them. */
function pageHeaders(https: boolean): [string, string][] {
  return [
    ["content-security-policy", CSP],
    ["cross-origin-opener-policy", "same-origin"],
    ["cross-origin-resource-policy", "same-origin"],
    ["origin-agent-cluster", "?1"],
    ["referrer-policy", "same-origin"],
    ...(https ? [["strict-transport-security", "max-age=31536000; includeSubDomains"] as [string, string]] : []),
    ["x-content-type-options", "nosniff"],
    ["x-dns-prefetch-control", "off"],
    ["x-download-options", "noopen"],
    ["x-frame-options", "DENY"],
    ["x-permitted-cross-domain-policies", "none"],
    ["x-xss-protection", "0"],
  ];
}

/** Every header but the date, in order; cookie values masked (they are random). */
function fingerprint(headers: IncomingHttpHeaders | Record<string, unknown>): [string, string][] {
  return Object.entries(headers)
    .filter(([name]) => name !== "date")
    .map(([name, value]) => {
      const text = Array.isArray(value) ? value.join("\n") : String(value);
      return [name, name === "set-cookie" ? text.replace(/^([^=]+)=[^;]*/gm, "$1=…") : text];
    });
}

const HTML = "text/html; charset=utf-8";
/** Each side runs over plain http and over https (HSTS, __Host- cookies). */
const SCHEMES: [scheme: string, publicURL: string | undefined][] = [
  ["http", undefined],
  ["https", "https://auth.example.com"],
];
/** A page's headers: helmet's set, then the answer's own. */
const pageWith = (https: boolean) => (...rest: [string, string][]) => [...pageHeaders(https), ...rest];
const NAVIGATE = { accept: "text/html" };

describe.each(SCHEMES)("the app on %s", (scheme, publicURL) => {
  const https = scheme === "https";
  const page = pageWith(https);
  const cookie = https ? "__Host-gatehouse_session=…; Path=/; HttpOnly; Secure; SameSite=Lax" : "gatehouse_session=…; Path=/; HttpOnly; SameSite=Lax";
  const keepAlive: [string, string] = ["connection", "keep-alive"];
  let t: TestApp;
  let signedIn: TestClient;

  beforeAll(async () => {
    t = await buildTestApp({ publicURL: publicURL === undefined ? undefined : new URL(publicURL) });
    signedIn = t.client();
    await enroll(t, signedIn, "alice", publicURL === undefined ? undefined : new URL(publicURL).origin);
  });
  afterAll(async () => {
    await t.close();
  });

  it("GET /login, anonymous: page headers, a new cookie, no-store", async () => {
    const res = await t.client().get("/login");
    expect(fingerprint(res.headers)).toEqual(
      page(["content-type", HTML], ["set-cookie", cookie], ["cache-control", "no-store"], ["content-length", "1022"], keepAlive),
    );
  });

  it("GET /, signed in, and GET /login, signed in (303)", async () => {
    const home = await signedIn.get("/");
    expect(fingerprint(home.headers)).toEqual(page(["content-type", HTML], ["cache-control", "no-store"], ["content-length", "685"], keepAlive));
    const login = await signedIn.get("/login");
    expect(fingerprint(login.headers)).toEqual(page(["location", "/"], ["cache-control", "no-store"], ["content-length", "0"], keepAlive));
  });

  it("GET /, anonymous: 303 to sign in", async () => {
    const res = await t.client().get("/");
    expect(fingerprint(res.headers)).toEqual(
      page(["location", "/login?next=%2F"], ["cache-control", "no-store"], ["content-length", "0"], keepAlive),
    );
  });

  it("the stylesheet and the health check (sessionless routes)", async () => {
    const css = await t.client().get("/assets/style.css");
    expect(fingerprint(css.headers)).toEqual(
      page(["cache-control", "public, max-age=3600"], ["content-type", "text/css; charset=utf-8"], ["content-length", "3456"], keepAlive),
    );
    const health = await t.client().get("/healthz");
    expect(fingerprint(health.headers)).toEqual(
      page(["content-type", "application/json; charset=utf-8"], ["cache-control", "no-store"], ["content-length", "31"], keepAlive),
    );
  });

  it("error pages: 404, 403 (no CSRF token), 415, and 400 before routing", async () => {
    const notFound = await t.client().get("/nope");
    expect(fingerprint(notFound.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], ["content-length", "579"], keepAlive));
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const csrf = await t.client().request({ method: "POST", url: "/login", payload: "username=a", headers: form });
    expect(fingerprint(csrf.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], ["content-length", "625"], keepAlive));
    const json = await t.client().request({ method: "POST", url: "/login", payload: "{}", headers: { "content-type": "application/json" } });
    expect(fingerprint(json.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], ["content-length", "605"], keepAlive));
    const visitor = t.client();
    await visitor.get("/login");
    const origin = publicURL === undefined ? undefined : new URL(publicURL).origin;
    const wrong = await visitor.post("/login", { username: "alice", password: "not-the-password" }, { origin });
    expect(wrong.statusCode).toBe(401);
    expect(fingerprint(wrong.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], ["content-length", "1115"], keepAlive));
    const undecodable = await t.client().get("/%zz");
    expect(fingerprint(undecodable.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], ["content-length", "609"], keepAlive));
  });
});

describe.each(SCHEMES)("the gateway on %s", (scheme, publicURL) => {
  const https = scheme === "https";
  const page = pageWith(https);
  const close: [string, string] = ["connection", "close"];
  let upstream: Upstream;
  let t: TestApp;
  let signedIn: TestClient;

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await buildGatewayApp({
      upstream: upstream.url,
      publicPaths: ["/static/*"],
      overrides: { publicURL: publicURL === undefined ? undefined : new URL(publicURL) },
    });
    signedIn = t.client();
    await enrollThroughGateway(t, signedIn, "alice", publicURL === undefined ? undefined : new URL(publicURL).origin);
  });
  afterAll(async () => {
    await t.close();
    await upstream.close();
  });

  it("gatehouse's pages under /.gatehouse and its 404s carry the page headers", async () => {
    const home = await signedIn.get(`${PREFIX}/`);
    expect(fingerprint(home.headers)).toEqual(page(["content-type", HTML], close, ["cache-control", "no-store"], ["content-length", "729"]));
    const notFound = await t.client().get(`${PREFIX}/nope`);
    expect(fingerprint(notFound.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], close, ["content-length", "623"]));
  });

  it("verify: an empty 200 has none, its 401 page has them", async () => {
    const ok = await signedIn.get(`${PREFIX}/auth/verify`);
    expect(fingerprint(ok.headers)).toEqual([["cache-control", "no-store"], ["x-gatehouse-user", "alice"], close, ["content-length", "0"]]);
    const refused = await t.client().get(`${PREFIX}/auth/verify`);
    expect(fingerprint(refused.headers)).toEqual(
      page(["cache-control", "no-store"], ["x-gatehouse-login", `${PREFIX}/login?next=%2F`], ["content-type", HTML], close, ["content-length", "633"]),
    );
  });

  it("proxied paths: the upstream's answer and the 303 to sign in have none, the 401 page has them; a wrong-case /.GATEHOUSE 404 has none", async () => {
    const proxied = await signedIn.get("/status/204");
    expect(fingerprint(proxied.headers)).toEqual([close, ["keep-alive", "timeout=5"]]);
    const navigation = await t.client().request({ method: "GET", url: "/private", headers: NAVIGATE });
    expect(fingerprint(navigation.headers)).toEqual(
      [["location", `${PREFIX}/login?next=%2Fprivate`], close, ["content-length", "0"]],
    );
    const api = await t.client().get("/private");
    expect(fingerprint(api.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], close, ["content-length", "640"]));
    const wrongCase = await t.client().get("/.GATEHOUSE/x");
    expect(fingerprint(wrongCase.headers)).toEqual([["cache-control", "no-store"], ["content-type", HTML], close, ["content-length", "623"]]);
  });

  it("over a socket: a path in two spellings (400) and an unreachable upstream (502) get the page headers", async () => {
    const origin = await listen(t);
    const trick = await rawRequest(origin, "/static/%2e%2e/admin");
    expect(trick.status).toBe(400);
    expect(fingerprint(trick.headers)).toEqual(
      page(["cache-control", "no-store"], ["content-type", HTML], ["content-length", "739"], ["connection", "keep-alive"], ["keep-alive", "timeout=72"]),
    );
    const unreachable = await unreachableGateway(publicURL);
    try {
      const res = await unreachable.client.get("/private");
      expect(res.statusCode).toBe(502);
      expect(fingerprint(res.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], close, ["content-length", "877"]));
    } finally {
      await unreachable.t.close();
    }
  });
});

describe("forward auth only, with return hosts (the CSP's form-action names them)", () => {
  it("pages carry the page headers with the extra form-action origins; other paths are 404 pages", async () => {
    const config = loadConfig({
      GATEHOUSE_FORWARD_AUTH: "true",
      GATEHOUSE_PUBLIC_URL: "https://login.example.com",
      GATEHOUSE_COOKIE_DOMAIN: "example.com",
      GATEHOUSE_RETURN_HOSTS: "app.example.com, wiki.example.com:8443",
    });
    const t = await buildGatewayApp({
      returnTo: config.gateway?.returnTo,
      overrides: { publicURL: config.publicURL, cookieDomain: config.cookieDomain },
    });
    try {
      const page = (...rest: [string, string][]) =>
        pageHeaders(true).map(([name, value]): [string, string] =>
          name === "content-security-policy" ? [name, value.replace("form-action 'self'", "form-action 'self' https://app.example.com https://wiki.example.com:8443")] : [name, value],
        ).concat(rest);
      const login = await t.client().get(`${PREFIX}/login`);
      expect(fingerprint(login.headers)).toEqual(
        page(
          ["content-type", HTML],
          ["set-cookie", "__Secure-gatehouse_session=…; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax"],
          ["connection", "close"],
          ["cache-control", "no-store"],
          ["content-length", "1066"],
        ),
      );
      const other = await t.client().get("/anything");
      expect(fingerprint(other.headers)).toEqual(page(["cache-control", "no-store"], ["content-type", HTML], ["connection", "close"], ["content-length", "623"]));
    } finally {
      await t.close();
    }
  });
});

/** A gateway whose upstream port has nobody listening, with a signed-in client. */
async function unreachableGateway(publicURL: string | undefined) {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const t = await buildGatewayApp({
    upstream: `http://127.0.0.1:${port}`,
    overrides: { publicURL: publicURL === undefined ? undefined : new URL(publicURL) },
  });
  const client = t.client();
  await enrollThroughGateway(t, client, "bob", publicURL === undefined ? undefined : new URL(publicURL).origin);
  return { t, client };
}


/** Registers and enrolls at the root, posting from `origin` (the public URL's, over https). */
async function enroll(t: TestApp, client: TestClient, username: string, origin: string | undefined) {
  await client.get("/register");
  await client.post("/register", { username, password: STRONG_PASSWORD }, { origin });
  const secret = secretFromSetupPage((await client.get("/2fa/setup")).body);
  const confirmed = await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) }, { origin });
  if (confirmed.statusCode !== 303) throw new Error(`enrollment answered ${confirmed.statusCode}`);
  await client.get("/2fa/recovery-codes");
}
