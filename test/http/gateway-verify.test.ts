// Forward auth (GATEHOUSE_FORWARD_AUTH=true): GET /.gatehouse/auth/verify for nginx auth_request
// and Traefik forwardAuth, and GATEHOUSE_TRUSTED_PROXIES: whose X-Forwarded-* headers count.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestApp, TestClient } from "../support/app.js";
import { buildGatewayApp, enrollThroughGateway, passwordStep, PREFIX } from "../support/gateway.js";
import { startUpstream, type EchoedRequest, type Upstream } from "../support/upstream.js";
import { userIdOf } from "./helpers.js";

const PROXY = "10.0.0.5";
const STRANGER = "198.51.100.7";
const VERIFY = `${PREFIX}/auth/verify`;

let t: TestApp;
afterEach(async () => {
  await t.close();
});

function verify(client: TestClient, from: string, headers: Record<string, string> = {}, method: "GET" | "POST" = "GET") {
  return client.request({ method, url: VERIFY, remoteAddress: from, headers });
}

function signInLink(body: string): string | undefined {
  return /id="sign-in" href="([^"]*)"/.exec(body)?.[1];
}

describe("forward-auth mode", () => {
  const build = () => buildGatewayApp({ publicPaths: ["/static/*", "/healthz"], trustedProxies: ["10.0.0.0/24"] });

  it("answers 200 with X-Gatehouse-User for a full sign-in, not cached", async () => {
    t = await build();
    const client = t.client();
    await enrollThroughGateway(t, client, "alice");
    const res = await verify(client, PROXY, { "x-forwarded-uri": "/app/x" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-gatehouse-user"]).toBe("alice");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body).toBe("");
    // auth_request keeps the original method; the answer does not depend on it.
    expect((await verify(client, PROXY, {}, "POST")).headers["x-gatehouse-user"]).toBe("alice");
    expect((await client.request({ method: "HEAD", url: VERIFY })).headers["x-gatehouse-user"]).toBe("alice");
  });

  it("answers 401 without X-Gatehouse-User to an anonymous visitor, with a sign-in link back to the trusted proxy's original URI", async () => {
    t = await build();
    const res = await verify(t.client(), PROXY, { "x-forwarded-uri": "/app/x?q=1", "x-forwarded-method": "GET", "x-forwarded-host": "app.example.test", "x-forwarded-proto": "https" });
    expect(res.statusCode).toBe(401);
    expect(res.headers["x-gatehouse-user"]).toBeUndefined();
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(signInLink(res.body)).toBe(`${PREFIX}/login?next=${encodeURIComponent("/app/x?q=1")}`);
    const nginx = await verify(t.client(), PROXY, { "x-original-uri": "/reports" });
    expect(signInLink(nginx.body)).toBe(`${PREFIX}/login?next=${encodeURIComponent("/reports")}`);
  });

  it("names the sign-in page in X-Gatehouse-Login on a 401, every query parameter of the original URI percent-encoded", async () => {
    t = await build();
    const res = await verify(t.client(), PROXY, { "x-original-uri": "/private?x=1&y=2" });
    expect(res.statusCode).toBe(401);
    const login = res.headers["x-gatehouse-login"] as string;
    expect(login).toBe(`${PREFIX}/login?next=${encodeURIComponent("/private?x=1&y=2")}`);
    expect(new URL(login, "http://front.test").searchParams.get("next"), "one next holding both parameters").toBe("/private?x=1&y=2");
    expect(signInLink(res.body), "the page links where the header points").toBe(login.replaceAll("&", "&amp;"));
    // R51: an answer that is not 2xx names no user.
    expect(res.headers["x-gatehouse-user"]).toBeUndefined();
  });

  it("X-Gatehouse-Login falls back to next=%2F without a trusted original URI, and is absent on a 200", async () => {
    t = await build();
    const stranger = await verify(t.client(), STRANGER, { "x-original-uri": "/private?x=1&y=2" });
    expect(stranger.headers["x-gatehouse-login"]).toBe(`${PREFIX}/login?next=%2F`);
    const twoSpellings = await verify(t.client(), PROXY, { "x-original-uri": "/static/%2e%2e/admin?x=1" });
    expect(twoSpellings.headers["x-gatehouse-login"]).toBe(`${PREFIX}/login?next=%2F`);
    const client = t.client();
    await enrollThroughGateway(t, client, "alice");
    const signedIn = await verify(client, PROXY, { "x-original-uri": "/private?x=1&y=2" });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.headers["x-gatehouse-login"]).toBeUndefined();
    const publicPath = await verify(t.client(), PROXY, { "x-original-uri": "/static/app.css" });
    expect(publicPath.headers["x-gatehouse-login"]).toBeUndefined();
  });

  it("answers 401 to a password-only session", async () => {
    t = await build();
    await enrollThroughGateway(t, t.client(), "alice");
    t.clock.advanceSeconds(30);
    const pending = t.client();
    await passwordStep(pending, "alice");
    const res = await verify(pending, PROXY);
    expect(res.statusCode).toBe(401);
    expect(res.headers["x-gatehouse-user"]).toBeUndefined();
  });

  it("answers 200 without a user for a public path named by a trusted proxy", async () => {
    t = await build();
    const client = t.client();
    await enrollThroughGateway(t, client, "alice");
    const res = await verify(client, PROXY, { "x-forwarded-uri": "/static/app.css?v=2" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-gatehouse-user"]).toBeUndefined();
    expect((await verify(t.client(), PROXY, { "x-original-uri": "/healthz" })).statusCode).toBe(200);
  });

  it("ignores X-Forwarded-Uri and X-Original-URI from a peer that is not a trusted proxy", async () => {
    t = await build();
    const res = await verify(t.client(), STRANGER, { "x-forwarded-uri": "/static/app.css", "x-original-uri": "/static/app.css" });
    expect(res.statusCode).toBe(401);
    expect(signInLink(res.body)).toBe(`${PREFIX}/login?next=${encodeURIComponent("/")}`);
  });

  it("never treats an original URI in two spellings as public, and never links to another site", async () => {
    t = await build();
    for (const uri of ["/static/../admin", "/static/%2e%2e/admin", "/static%2f..%2fadmin", "//evil.example/static/x", "https://evil.example/static/x"]) {
      const res = await verify(t.client(), PROXY, { "x-forwarded-uri": uri });
      expect(res.statusCode, uri).toBe(401);
      expect(signInLink(res.body), uri).toBe(`${PREFIX}/login?next=${encodeURIComponent("/")}`);
    }
  });

  it("serves gatehouse's pages under the prefix, and 404 for every other path", async () => {
    t = await build();
    const client = t.client();
    expect((await client.get(`${PREFIX}/login`)).statusCode).toBe(200);
    expect((await client.get("/login")).statusCode).toBe(404);
    expect((await client.get("/app/x")).statusCode).toBe(404);
    const post = await client.request({ method: "POST", url: "/app/x", payload: '{"a":1}', headers: { "content-type": "application/json" } });
    expect(post.statusCode).toBe(404);
  });
});

describe("an original URI named two ways is refused, never 200 (review F4: nginx passes the client's X-Forwarded-Uri)", () => {
  const build = () => buildGatewayApp({ publicPaths: ["/static/*"], trustedProxies: ["10.0.0.0/24"] });
  /** nginx's auth_request example sets X-Original-URI; the client adds another header naming a public path. */
  const SMUGGLED: Record<string, string | string[]>[] = [
    { "x-original-uri": "/private", "x-forwarded-uri": "/static/app.css" },
    { "x-forwarded-uri": "/private", "x-original-uri": "/static/app.css" },
    { "x-original-uri": "/private", "x-original-url": "/static/app.css" },
    { "x-forwarded-uri": ["/private", "/static/app.css"] },
    { "x-original-uri": "/private", x_forwarded_uri: "/static/app.css" },
    { "x-original-uri": "/static/app.css", "x-forwarded-uri": "/static/app.css?v=2" },
  ];

  it("an anonymous visitor gets 401 with the sign-in link to next=/, whichever header names the public path", async () => {
    t = await build();
    for (const headers of SMUGGLED) {
      const res = await verify(t.client(), PROXY, headers as Record<string, string>);
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(signInLink(res.body), JSON.stringify(headers)).toBe(`${PREFIX}/login?next=%2F`);
      expect(res.headers["x-gatehouse-login"]).toBe(`${PREFIX}/login?next=%2F`);
    }
  });

  it("a fully signed-in user gets 403 with a page saying why, and no X-Gatehouse-User", async () => {
    t = await build();
    const client = t.client();
    await enrollThroughGateway(t, client, "alice");
    for (const headers of SMUGGLED) {
      const res = await verify(client, PROXY, headers as Record<string, string>);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.headers["x-gatehouse-user"]).toBeUndefined();
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.body).toContain("names two different addresses");
    }
    // From a peer that is not a trusted proxy too: the headers are not believed, and still refused.
    expect((await verify(client, STRANGER, SMUGGLED[0] as Record<string, string>)).statusCode).toBe(403);
  });

  it("copies that agree are one original URI: the public path passes, and a signed-in user's private path too", async () => {
    t = await build();
    const same = { "x-original-uri": "/static/app.css", "x-forwarded-uri": "/static/app.css", "x-original-url": "/static/app.css" };
    expect((await verify(t.client(), PROXY, same)).statusCode).toBe(200);
    const repeated = await verify(t.client(), PROXY, { "x-forwarded-uri": ["/static/app.css", "/static/app.css"] } as unknown as Record<string, string>);
    expect(repeated.statusCode).toBe(200);
    const client = t.client();
    await enrollThroughGateway(t, client, "alice");
    const signedIn = await verify(client, PROXY, { "x-original-uri": "/private?a=1", "x-forwarded-uri": "/private?a=1" });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.headers["x-gatehouse-user"]).toBe("alice");
  });
});

describe("GATEHOUSE_TRUSTED_PROXIES and the client address (request.ip)", () => {
  async function signInEventAddress(from: string, forwardedFor: string): Promise<string | null> {
    const client = t.client();
    await client.request({ method: "GET", url: `${PREFIX}/register`, remoteAddress: from, headers: { "x-forwarded-for": forwardedFor } });
    await client.request({
      method: "POST",
      url: `${PREFIX}/register`,
      remoteAddress: from,
      payload: new URLSearchParams({ username: "carol", password: "violet-harbor-pancake-42", _csrf: client.csrf ?? "" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": forwardedFor },
    });
    const [event] = await t.store.events.listEvents({ userId: await userIdOf(t, "carol"), limit: 1 });
    return event?.clientAddress ?? null;
  }

  it("a trusted proxy's X-Forwarded-For names the client in the activity log", async () => {
    t = await buildGatewayApp({ trustedProxies: ["10.0.0.0/24"] });
    expect(await signInEventAddress(PROXY, "203.0.113.9")).toBe("203.0.113.9");
  });

  it("anyone else's X-Forwarded-For is ignored: the socket peer is the client", async () => {
    t = await buildGatewayApp({ trustedProxies: ["10.0.0.0/24"] });
    expect(await signInEventAddress(STRANGER, "203.0.113.9")).toBe(STRANGER);
  });

  it("with no trusted proxies (the default) nobody's X-Forwarded-For counts", async () => {
    t = await buildGatewayApp({});
    expect(await signInEventAddress(PROXY, "203.0.113.9")).toBe(PROXY);
  });
});

describe("X-Forwarded-* sent to the upstream", () => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream.close();
  });

  it("appends the peer to a trusted proxy's X-Forwarded-For and keeps its proto and host", async () => {
    t = await buildGatewayApp({ upstream: upstream.url, publicPaths: ["/static/*"], trustedProxies: ["10.0.0.0/24"] });
    const res = await t.client().request({
      method: "GET",
      url: "/static/x",
      remoteAddress: PROXY,
      headers: { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https", "x-forwarded-host": "app.example.test", host: "internal:8080" },
    });
    const seen = (JSON.parse(res.body) as EchoedRequest).headers;
    expect(seen["x-forwarded-for"]).toBe(`203.0.113.9, ${PROXY}`);
    expect(seen["x-forwarded-proto"]).toBe("https");
    expect(seen["x-forwarded-host"]).toBe("app.example.test");
    expect(seen.host).toBe("internal:8080");
  });

  it("replaces an untrusted client's X-Forwarded-For, -Proto, -Host, Forwarded and X-Real-IP", async () => {
    t = await buildGatewayApp({ upstream: upstream.url, publicPaths: ["/static/*"], trustedProxies: ["10.0.0.0/24"] });
    const res = await t.client().request({
      method: "GET",
      url: "/static/x",
      remoteAddress: STRANGER,
      headers: { "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example", forwarded: "for=1.2.3.4", "x-real-ip": "1.2.3.4", host: "app.example.test" },
    });
    const seen = (JSON.parse(res.body) as EchoedRequest).headers;
    expect(seen["x-forwarded-for"]).toBe(STRANGER);
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe("app.example.test");
    expect(seen.forwarded).toBeUndefined();
    expect(seen["x-real-ip"]).toBeUndefined();
  });
});
