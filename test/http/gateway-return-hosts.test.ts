// Forward auth across subdomains (GATEHOUSE_RETURN_HOSTS, R45): gatehouse signs users in on
// login.example.com and sends them back to the app they came from on app.example.com, and to no
// other host. Contract: docs/gateway.md "Several apps on subdomains", docs/http-interface.md.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { codeAt, secretFromSetupPage, STRONG_PASSWORD, type TestApp, type TestClient } from "../support/app.js";
import { buildGatewayApp, enrollThroughGateway, PREFIX } from "../support/gateway.js";

const PROXY = "10.0.0.5";
const SIGN_IN_ORIGIN = "https://login.example.com";
const ENV = {
  GATEHOUSE_FORWARD_AUTH: "true",
  GATEHOUSE_PUBLIC_URL: SIGN_IN_ORIGIN,
  GATEHOUSE_COOKIE_DOMAIN: "example.com",
  GATEHOUSE_RETURN_HOSTS: "App.Example.com, wiki.example.com:8443",
};

describe("GATEHOUSE_RETURN_HOSTS settings", () => {
  it("lower-cases the hosts and takes GATEHOUSE_PUBLIC_URL's scheme and origin", () => {
    const returnTo = loadConfig(ENV).gateway?.returnTo;
    expect(returnTo?.signInOrigin).toBe(SIGN_IN_ORIGIN);
    expect(returnTo?.returnHosts.scheme).toBe("https:");
    expect([...(returnTo?.returnHosts.hosts ?? [])]).toEqual(["app.example.com", "wiki.example.com:8443"]);
    expect(loadConfig({ ...ENV, GATEHOUSE_PUBLIC_URL: "http://login.example.com" }).gateway?.returnTo?.returnHosts.scheme).toBe("http:");
    expect(loadConfig({ GATEHOUSE_FORWARD_AUTH: "true" }).gateway?.returnTo).toBeUndefined();
  });

  it.each([
    ["a URL", { GATEHOUSE_RETURN_HOSTS: "https://app.example.com" }],
    ["a trailing dot", { GATEHOUSE_RETURN_HOSTS: "app.example.com." }],
    ["a wildcard", { GATEHOUSE_RETURN_HOSTS: "*.example.com" }],
    ["userinfo", { GATEHOUSE_RETURN_HOSTS: "user@app.example.com" }],
    ["a path", { GATEHOUSE_RETURN_HOSTS: "app.example.com/x" }],
    ["a port out of range", { GATEHOUSE_RETURN_HOSTS: "app.example.com:70000" }],
    ["an IP address", { GATEHOUSE_RETURN_HOSTS: "192.0.2.1" }],
    ["a host outside the cookie domain", { GATEHOUSE_RETURN_HOSTS: "app.example.org" }],
    ["a look-alike suffix of the cookie domain", { GATEHOUSE_RETURN_HOSTS: "app.notexample.com" }],
    ["no cookie domain", { GATEHOUSE_COOKIE_DOMAIN: undefined }],
    ["no public URL", { GATEHOUSE_PUBLIC_URL: undefined }],
    ["no forward auth", { GATEHOUSE_FORWARD_AUTH: "false", GATEHOUSE_UPSTREAM: "http://127.0.0.1:5000" }],
  ])("refuses %s with a sentence naming GATEHOUSE_RETURN_HOSTS", (_what, change) => {
    const env = { ...ENV, ...change };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/GATEHOUSE_RETURN_HOSTS/);
  });
});

describe("forward auth with the app on app.example.com and gatehouse on login.example.com", () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  async function build(env: Record<string, string> = ENV): Promise<TestApp> {
    const config = loadConfig(env);
    return buildGatewayApp({
      trustedProxies: ["10.0.0.0/24"],
      returnTo: config.gateway?.returnTo,
      overrides: { publicURL: config.publicURL, cookieDomain: config.cookieDomain },
    });
  }

  /** nginx's subrequest for a request the browser sent to `host`. */
  function verifyFor(client: TestClient, host: string, uri: string, proto = "https") {
    return client.request({
      method: "GET",
      url: `${PREFIX}/auth/verify`,
      remoteAddress: PROXY,
      headers: { host, "x-forwarded-host": host, "x-forwarded-proto": proto, "x-original-uri": uri },
    });
  }

  function hiddenNext(html: string): string | undefined {
    return /name="next" value="([^"]*)"/.exec(html)?.[1]?.replaceAll("&amp;", "&");
  }

  it("verify's 401 → sign-in on login.example.com with an absolute next → password → code → 303 to https://app.example.com/x?y=1", async () => {
    t = await build();
    const secret = await enrollThroughGateway(t, t.client(), "alice", SIGN_IN_ORIGIN);
    t.clock.advanceSeconds(30);

    const browser = t.client();
    const refused = await verifyFor(browser, "app.example.com", "/x?y=1");
    expect(refused.statusCode).toBe(401);
    expect(refused.headers["x-gatehouse-user"]).toBeUndefined();
    const login = new URL(refused.headers["x-gatehouse-login"] as string);
    expect(login.origin, "signing in happens on the sign-in host").toBe(SIGN_IN_ORIGIN);
    expect(login.pathname).toBe(`${PREFIX}/login`);
    expect(login.searchParams.get("next")).toBe("https://app.example.com/x?y=1");
    expect(/id="sign-in" href="([^"]*)"/.exec(refused.body)?.[1]?.replaceAll("&amp;", "&")).toBe(login.href);

    const page = await browser.get(login.pathname + login.search);
    expect(page.statusCode).toBe(200);
    const next = hiddenNext(page.body);
    expect(next).toBe("https://app.example.com/x?y=1");
    const password = await browser.post(`${PREFIX}/login`, { username: "alice", password: STRONG_PASSWORD, next: next ?? "" }, { origin: SIGN_IN_ORIGIN });
    expect(password.statusCode).toBe(303);
    expect(password.headers.location).toBe(`${PREFIX}/2fa`);
    await browser.get(`${PREFIX}/2fa`);
    const code = await browser.post(`${PREFIX}/2fa`, { otp: codeAt(secret, t.clock.ms) }, { origin: SIGN_IN_ORIGIN });
    expect(code.statusCode).toBe(303);
    expect(code.headers.location).toBe("https://app.example.com/x?y=1");
    // CSP form-action also governs a form's redirects: the app's origin is allowed, no other.
    expect(code.headers["content-security-policy"]).toContain("form-action 'self' https://app.example.com https://wiki.example.com:8443");

    const admitted = await verifyFor(browser, "app.example.com", "/x?y=1");
    expect(admitted.statusCode).toBe(200);
    expect(admitted.headers["x-gatehouse-user"]).toBe("alice");
  });

  it("a new user who signs up from the app's sign-in link is led back to the app after the recovery codes", async () => {
    t = await build();
    const browser = t.client();
    const next = "https://app.example.com/x?y=1";
    await browser.get(`${PREFIX}/register?next=${encodeURIComponent(next)}`);
    const registered = await browser.post(`${PREFIX}/register`, { username: "newcomer", password: STRONG_PASSWORD, next }, { origin: SIGN_IN_ORIGIN });
    expect(registered.statusCode).toBe(303);
    const secret = secretFromSetupPage((await browser.get(`${PREFIX}/2fa/setup`)).body);
    const confirmed = await browser.post(`${PREFIX}/2fa/setup`, { otp: codeAt(secret, t.clock.ms) }, { origin: SIGN_IN_ORIGIN });
    expect(confirmed.headers.location).toBe(`${PREFIX}/2fa/recovery-codes`);
    const codesPage = (await browser.get(`${PREFIX}/2fa/recovery-codes`)).body;
    expect(/class="continue" href="([^"]*)"/.exec(codesPage)?.[1]?.replaceAll("&amp;", "&")).toBe(next);
  });

  it("verify keeps next a path for a host that is not a return host, for the wrong scheme, and from an untrusted peer", async () => {
    t = await build();
    const browser = t.client();
    for (const [host, proto] of [["evil.example.com", "https"], ["app.example.com.evil.com", "https"], ["app.example.com", "http"], ["login.example.com", "https"]] as const) {
      const res = await verifyFor(browser, host, "/x?y=1", proto);
      expect(res.headers["x-gatehouse-login"], `${proto}://${host}`).toBe(`${PREFIX}/login?next=${encodeURIComponent("/x?y=1")}`);
    }
    const stranger = await browser.request({
      method: "GET",
      url: `${PREFIX}/auth/verify`,
      remoteAddress: "198.51.100.7",
      headers: { host: "app.example.com", "x-forwarded-host": "app.example.com", "x-forwarded-proto": "https", "x-original-uri": "/x" },
    });
    expect(stranger.headers["x-gatehouse-login"]).toBe(`${PREFIX}/login?next=%2F`);
  });

  it.each([
    "https://evil.com/x",
    "https://app.example.com.evil.com/x",
    "https://evil.com@app.example.com/x",
    "https://app.example.com\\@evil.com/x",
    "//app.example.com/x",
    "http://app.example.com/x",
    "javascript:alert(1)",
  ])("the sign-in page and the password step refuse next=%j: the visitor lands on / instead", async (raw) => {
    t = await build();
    const secret = await enrollThroughGateway(t, t.client(), "alice", SIGN_IN_ORIGIN);
    t.clock.advanceSeconds(30);
    const browser = t.client();
    const page = await browser.get(`${PREFIX}/login?next=${encodeURIComponent(raw)}`);
    expect(hiddenNext(page.body)).toBe("/");
    // Validated when stored: the form posted with the bad value anyway.
    await browser.post(`${PREFIX}/login`, { username: "alice", password: STRONG_PASSWORD, next: raw }, { origin: SIGN_IN_ORIGIN });
    await browser.get(`${PREFIX}/2fa`);
    const code = await browser.post(`${PREFIX}/2fa`, { otp: codeAt(secret, t.clock.ms) }, { origin: SIGN_IN_ORIGIN });
    expect(code.statusCode).toBe(303);
    expect(code.headers.location).toBe("/");
  });

  it("next is checked again when used: a stored URL on a host no longer listed leads to / (two instances, one database)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-return-hosts-"));
    const shared = { databaseFile: join(dir, "gatehouse.db"), masterSecrets: [new Uint8Array(randomBytes(32))] };
    const withHosts = loadConfig(ENV);
    const withoutHosts = loadConfig({ ...ENV, GATEHOUSE_RETURN_HOSTS: "" });
    const instance = (config: typeof withHosts) =>
      buildGatewayApp({
        trustedProxies: ["10.0.0.0/24"],
        returnTo: config.gateway?.returnTo,
        overrides: { ...shared, publicURL: config.publicURL, cookieDomain: config.cookieDomain },
      });
    t = await instance(withHosts);
    const before = await instance(withoutHosts);
    try {
      const secret = await enrollThroughGateway(t, t.client(), "alice", SIGN_IN_ORIGIN);
      t.clock.advanceSeconds(30);
      before.clock.advanceSeconds(30);
      const browser = t.client();
      await browser.get(`${PREFIX}/login?next=${encodeURIComponent("https://app.example.com/x")}`);
      const password = await browser.post(`${PREFIX}/login`, { username: "alice", password: STRONG_PASSWORD, next: "https://app.example.com/x" }, { origin: SIGN_IN_ORIGIN });
      expect(password.headers.location).toBe(`${PREFIX}/2fa`);
      // The same browser finishes on an instance that does not list app.example.com.
      const elsewhere = before.client();
      elsewhere.cookies = browser.cookies;
      await elsewhere.get(`${PREFIX}/2fa`);
      const code = await elsewhere.post(`${PREFIX}/2fa`, { otp: codeAt(secret, before.clock.ms) }, { origin: SIGN_IN_ORIGIN });
      expect(code.statusCode).toBe(303);
      expect(code.headers.location).toBe("/");
      expect((await verifyFor(elsewhere, "app.example.com", "/x")).headers["x-gatehouse-user"], "signed in all the same").toBe("alice");
    } finally {
      await before.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("without GATEHOUSE_RETURN_HOSTS an absolute next is refused, also for a host under the cookie domain", async () => {
    t = await build({ ...ENV, GATEHOUSE_RETURN_HOSTS: "" });
    const page = await t.client().get(`${PREFIX}/login?next=${encodeURIComponent("https://app.example.com/x")}`);
    expect(hiddenNext(page.body)).toBe("/");
    const res = await verifyFor(t.client(), "app.example.com", "/x");
    expect(res.headers["x-gatehouse-login"]).toBe(`${PREFIX}/login?next=${encodeURIComponent("/x")}`);
  });
});
