// The built-in reverse proxy (GATEHOUSE_UPSTREAM): who gets through to the upstream app and
// what the app is told. Contract: docs/http-interface.md, Gateway.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TestApp, TestClient } from "../support/app.js";
import { codeAt } from "../support/app.js";
import { buildGatewayApp, enrollThroughGateway, passwordStep, PREFIX } from "../support/gateway.js";
import { startUpstream, type EchoedRequest, type Upstream } from "../support/upstream.js";

const HTML = { accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" };

let upstream: Upstream;
let t: TestApp;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
beforeEach(async () => {
  t = await buildGatewayApp({ upstream: upstream.url, publicPaths: ["/static/*", "/healthz"] });
  upstream.seen.length = 0;
});
afterEach(async () => {
  await t.close();
});

function echoed(body: string): EchoedRequest {
  return JSON.parse(body) as EchoedRequest;
}

async function signedInClient(username = "alice"): Promise<TestClient> {
  const client = t.client();
  await enrollThroughGateway(t, client, username);
  return client;
}

describe("not signed in", () => {
  it("a browser navigation gets 303 to /.gatehouse/login?next=PATH (path and query, encoded)", async () => {
    const res = await t.client().request({ method: "GET", url: "/private/page?x=1&y=a%20b", headers: HTML });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${PREFIX}/login?next=${encodeURIComponent("/private/page?x=1&y=a%20b")}`);
    expect(upstream.seen).toHaveLength(0);
  });

  it("Sec-Fetch-Mode: navigate counts as a navigation without an Accept header", async () => {
    const res = await t.client().request({ method: "GET", url: "/x", headers: { "sec-fetch-mode": "navigate" } });
    expect(res.statusCode).toBe(303);
  });

  it("an API request, a POST and a HEAD without text/html get 401 with a sign-in link, and nothing reaches the upstream", async () => {
    const client = t.client();
    const api = await client.request({ method: "GET", url: "/api/items?page=2", headers: { accept: "application/json" } });
    expect(api.statusCode).toBe(401);
    expect(api.body).toContain(`href="${PREFIX}/login?next=${encodeURIComponent("/api/items?page=2")}"`);
    expect(api.headers["cache-control"]).toBe("no-store");
    const post = await client.request({ method: "POST", url: "/api/items", payload: '{"a":1}', headers: { "content-type": "application/json" } });
    expect(post.statusCode).toBe(401);
    const head = await client.request({ method: "HEAD", url: "/x" });
    expect(head.statusCode).toBe(401);
    expect(upstream.seen).toHaveLength(0);
  });

  it("a password-only session is not let through: navigation goes on to /.gatehouse/2fa, an API call gets 401", async () => {
    const first = t.client();
    await enrollThroughGateway(t, first, "alice");
    t.clock.advanceSeconds(30);
    const pending = t.client();
    const res = await passwordStep(pending, "alice");
    expect(res.headers.location).toBe(`${PREFIX}/2fa`);
    const nav = await pending.request({ method: "GET", url: "/private", headers: HTML });
    expect(nav.statusCode).toBe(303);
    expect(nav.headers.location).toBe(`${PREFIX}/2fa`);
    const api = await pending.request({ method: "GET", url: "/private" });
    expect(api.statusCode).toBe(401);
    expect(upstream.seen).toHaveLength(0);
  });

  it("a registered but not enrolled session is sent to /.gatehouse/2fa/setup", async () => {
    const client = t.client();
    await client.get(`${PREFIX}/register`);
    await client.post(`${PREFIX}/register`, { username: "bob", password: "violet-harbor-pancake-42" });
    const nav = await client.request({ method: "GET", url: "/private", headers: HTML });
    expect(nav.headers.location).toBe(`${PREFIX}/2fa/setup`);
  });
});

describe("next round trip", () => {
  it("after password and code the browser lands back on the original path with its query", async () => {
    const first = t.client();
    const secret = await enrollThroughGateway(t, first, "alice");
    t.clock.advanceSeconds(30);
    const client = t.client();
    const sent = await client.request({ method: "GET", url: "/reports/q3?sort=desc&page=2", headers: HTML });
    const login = await client.get(sent.headers.location as string);
    expect(login.body).toContain('name="next" value="/reports/q3?sort=desc&amp;page=2"');
    const password = await client.post(`${PREFIX}/login`, { username: "alice", password: "violet-harbor-pancake-42", next: "/reports/q3?sort=desc&page=2" });
    expect(password.headers.location).toBe(`${PREFIX}/2fa`);
    await client.get(`${PREFIX}/2fa`);
    const code = await client.post(`${PREFIX}/2fa`, { otp: codeAt(secret, t.clock.ms) });
    expect(code.statusCode).toBe(303);
    expect(code.headers.location).toBe("/reports/q3?sort=desc&page=2");
    const landed = await client.request({ method: "GET", url: code.headers.location as string, headers: HTML });
    expect(landed.statusCode).toBe(200);
    expect(echoed(landed.body).url).toBe("/reports/q3?sort=desc&page=2");
  });

  it("the default next is the upstream's root, and a sign-in without next lands there", async () => {
    const first = t.client();
    const secret = await enrollThroughGateway(t, first, "alice");
    t.clock.advanceSeconds(30);
    const client = t.client();
    await passwordStep(client, "alice");
    const code = await client.post(`${PREFIX}/2fa`, { otp: codeAt(secret, t.clock.ms) });
    expect(code.headers.location).toBe("/");
  });
});

describe("signed in (both factors)", () => {
  it("reaches the upstream with X-Gatehouse-User, the original Host and X-Forwarded-*", async () => {
    const client = await signedInClient();
    const res = await client.request({ method: "GET", url: "/whoami?a=1", headers: { host: "app.example.test", "x-forwarded-for": "203.0.113.9" } });
    expect(res.statusCode).toBe(200);
    const seen = echoed(res.body);
    expect(seen.url).toBe("/whoami?a=1");
    expect(seen.headers["x-gatehouse-user"]).toBe("alice");
    expect(seen.headers.host).toBe("app.example.test");
    // No trusted proxies: a client's X-Forwarded-For is replaced by the socket peer.
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe("app.example.test");
  });

  it("a forged X-Gatehouse-User (any spelling) is replaced by the real user", async () => {
    const client = await signedInClient();
    const res = await client.request({ method: "GET", url: "/whoami", headers: { "X-Gatehouse-User": "admin", x_gatehouse_user: "admin" } });
    const seen = echoed(res.body);
    expect(seen.headers["x-gatehouse-user"]).toBe("alice");
    expect(seen.headers["x_gatehouse_user"]).toBeUndefined();
  });

  it("gatehouse's session and remember-device cookies are removed from Cookie; the app's own cookies pass", async () => {
    const client = await signedInClient();
    client.cookies.set("gatehouse_device", "some-device-token");
    client.cookies.set("app_theme", "dark");
    const res = await client.request({ method: "GET", url: "/whoami", headers: {} });
    const cookie = String(echoed(res.body).headers.cookie);
    expect(cookie).toBe("app_theme=dark");
    expect(cookie).not.toContain("gatehouse_");
  });

  it("no Cookie header at all reaches the app when only gatehouse's cookies were sent", async () => {
    const client = await signedInClient();
    const res = await client.request({ method: "GET", url: "/whoami" });
    expect(echoed(res.body).headers.cookie).toBeUndefined();
  });

  it("bodies of any type pass unparsed, beyond gatehouse's 16 KiB form limit, and without a CSRF token", async () => {
    const client = await signedInClient();
    const json = JSON.stringify({ items: "x".repeat(40_000) });
    const res = await client.request({ method: "POST", url: "/api/items", payload: json, headers: { "content-type": "application/json" } });
    expect(res.statusCode).toBe(200);
    expect(echoed(res.body).body).toBe(json);
    const form = await client.request({ method: "PUT", url: "/form", payload: "a=1&b=2", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(echoed(form.body)).toMatchObject({ method: "PUT", body: "a=1&b=2" });
  });

  it("the upstream's status, redirects and Set-Cookie pass through, minus cookies named like gatehouse's", async () => {
    const client = await signedInClient();
    const res = await client.request({ method: "GET", url: "/set-cookie" });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe("/landing?from=app");
    const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
    expect(setCookie).toEqual(["app_pref=dark; Path=/"]);
  });

  it("upstream error statuses pass through once, not retried (a 503 GET reaches the app once)", async () => {
    const client = await signedInClient();
    const res = await client.request({ method: "GET", url: "/status/503" });
    expect(res.statusCode).toBe(503);
    expect(upstream.seen.filter((r) => r.url === "/status/503")).toHaveLength(1);
    expect((await client.request({ method: "GET", url: "/status/404" })).statusCode).toBe(404);
  });

  it("proxied answers carry none of gatehouse's page headers (CSP, no-store, frame options)", async () => {
    const client = await signedInClient();
    const res = await client.request({ method: "GET", url: "/whoami" });
    expect(res.headers["content-security-policy"]).toBeUndefined();
    expect(res.headers["x-frame-options"]).toBeUndefined();
    expect(res.headers["cache-control"]).toBeUndefined();
    const own = await client.get(`${PREFIX}/`);
    expect(own.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(own.headers["cache-control"]).toBe("no-store");
  });

  it("a signed-out session (POST /.gatehouse/logout) no longer gets through", async () => {
    const client = await signedInClient();
    expect((await client.request({ method: "GET", url: "/whoami" })).statusCode).toBe(200);
    await client.get(`${PREFIX}/`);
    const out = await client.post(`${PREFIX}/logout`, {});
    expect(out.headers.location).toBe(`${PREFIX}/login`);
    expect((await client.request({ method: "GET", url: "/whoami" })).statusCode).toBe(401);
  });
});

describe("public paths", () => {
  it("/static/* and the exact /healthz reach the upstream without a sign-in and without X-Gatehouse-User", async () => {
    const client = t.client();
    const res = await client.request({ method: "GET", url: "/static/app.css", headers: { "x-gatehouse-user": "admin" } });
    expect(res.statusCode).toBe(200);
    expect(echoed(res.body).headers["x-gatehouse-user"]).toBeUndefined();
    expect((await client.request({ method: "GET", url: "/static" })).statusCode).toBe(200);
    expect((await client.request({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("a path that only starts like a public one is not public", async () => {
    const client = t.client();
    expect((await client.request({ method: "GET", url: "/staticfiles/x" })).statusCode).toBe(401);
    expect((await client.request({ method: "GET", url: "/healthz/more" })).statusCode).toBe(401);
  });
});

describe("gatehouse's own pages under /.gatehouse", () => {
  it("are served under the prefix with prefixed links and form actions, and never reach the upstream", async () => {
    const client = t.client();
    const login = await client.get(`${PREFIX}/login`);
    expect(login.statusCode).toBe(200);
    expect(login.body).toContain(`action="${PREFIX}/login"`);
    expect(login.body).toContain(`href="${PREFIX}/assets/style.css"`);
    expect(login.body).toContain(`href="${PREFIX}/register"`);
    expect((await client.get(`${PREFIX}/assets/style.css`)).statusCode).toBe(200);
    expect((await client.get(`${PREFIX}/healthz`)).statusCode).toBe(200);
    expect((await client.get(`${PREFIX}/no-such-page`)).statusCode).toBe(404);
    expect((await client.request({ method: "POST", url: `${PREFIX}/no-such-page`, payload: "x" })).statusCode).toBe(404);
    expect((await client.get(`/.GATEHOUSE/login`)).statusCode).toBe(404);
    expect((await client.get("/login")).statusCode).toBe(401);
    expect(upstream.seen.filter((r) => r.url.toLowerCase().includes("gatehouse"))).toHaveLength(0);
  });

  it("the home page shows the user and links to the prefixed account page; a redirect to sign in carries the prefix", async () => {
    const anonymous = await t.client().get(`${PREFIX}/account`);
    expect(anonymous.headers.location).toBe(`${PREFIX}/login?next=${encodeURIComponent(`${PREFIX}/account`)}`);
    const client = await signedInClient();
    const home = await client.get(`${PREFIX}/`);
    expect(home.body).toContain("Signed in as alice");
    expect(home.body).toContain(`href="${PREFIX}/account"`);
    expect(home.body).toContain(`action="${PREFIX}/logout"`);
    expect((await client.get(`${PREFIX}/account`)).statusCode).toBe(200);
  });

  it("GET /.gatehouse/logout shows a sign-out form with _csrf and signs nobody out by itself", async () => {
    const client = await signedInClient();
    const page = await client.get(`${PREFIX}/logout`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(new RegExp(`<form method="post" action="${PREFIX.replace(".", "\\.")}/logout">\\s*<input type="hidden" name="_csrf" value="[^"]+">`));
    expect((await client.request({ method: "GET", url: "/whoami" })).statusCode).toBe(200);
    const out = await client.post(`${PREFIX}/logout`, {});
    expect(out.statusCode).toBe(303);
    expect((await client.request({ method: "GET", url: "/whoami" })).statusCode).toBe(401);
  });
});
