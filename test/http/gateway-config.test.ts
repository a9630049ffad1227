// The gateway's settings: each bad value stops the server with one sentence naming it; and
// GATEHOUSE_COOKIE_DOMAIN as the browser sees it (Domain=, __Secure- instead of __Host-).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import type { TestApp } from "../support/app.js";
import { buildGatewayApp, PREFIX } from "../support/gateway.js";
import { startUpstream, type EchoedRequest, type Upstream } from "../support/upstream.js";
import { setCookies } from "./helpers.js";

describe("gateway settings", () => {
  it("without GATEHOUSE_UPSTREAM or GATEHOUSE_FORWARD_AUTH there is no gateway", () => {
    const config = loadConfig({});
    expect(config.gateway).toBeUndefined();
    expect(config.trustedProxies).toEqual([]);
    expect(config.cookieDomain).toBeUndefined();
  });

  it("GATEHOUSE_UPSTREAM turns on the proxy with a 30 s timeout and no public paths", () => {
    const config = loadConfig({ GATEHOUSE_UPSTREAM: "http://127.0.0.1:5000" });
    expect(config.gateway?.upstream?.href).toBe("http://127.0.0.1:5000/");
    expect(config.gateway?.upstreamTimeoutMs).toBe(30_000);
    expect(config.gateway?.publicPaths).toEqual([]);
  });

  it("GATEHOUSE_FORWARD_AUTH=true alone is the gateway without a proxy; both together proxy too", () => {
    expect(loadConfig({ GATEHOUSE_FORWARD_AUTH: "true" }).gateway).toMatchObject({ upstream: undefined });
    expect(loadConfig({ GATEHOUSE_FORWARD_AUTH: "false" }).gateway).toBeUndefined();
    const both = loadConfig({ GATEHOUSE_FORWARD_AUTH: "true", GATEHOUSE_UPSTREAM: "https://app.internal" });
    expect(both.gateway?.upstream?.href).toBe("https://app.internal/");
  });

  it("parses the lists: trusted proxies, public paths (exact, or /* for a whole subtree), the timeout", () => {
    const config = loadConfig({
      GATEHOUSE_UPSTREAM: "http://127.0.0.1:5000",
      GATEHOUSE_TRUSTED_PROXIES: " 10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8",
      GATEHOUSE_PUBLIC_PATHS: "/static/*, /healthz",
      GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: "5",
    });
    expect(config.trustedProxies).toEqual(["10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8"]);
    expect(config.gateway?.publicPaths).toEqual([
      { path: "/static", withSubpaths: true },
      { path: "/healthz", withSubpaths: false },
    ]);
    expect(config.gateway?.upstreamTimeoutMs).toBe(5_000);
  });

  it.each([
    ["GATEHOUSE_UPSTREAM", "ftp://files.internal"],
    ["GATEHOUSE_UPSTREAM", "127.0.0.1:5000"],
    ["GATEHOUSE_UPSTREAM", "http://user:secret@app.internal"],
    ["GATEHOUSE_UPSTREAM", "http://app.internal/?x=1"],
    ["GATEHOUSE_FORWARD_AUTH", "yes"],
    ["GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/33"],
    ["GATEHOUSE_TRUSTED_PROXIES", "proxy.internal"],
    ["GATEHOUSE_TRUSTED_PROXIES", "10.0.0.1/8/8"],
    ["GATEHOUSE_PUBLIC_PATHS", "static/*"],
    ["GATEHOUSE_PUBLIC_PATHS", "/static/../admin"],
    ["GATEHOUSE_PUBLIC_PATHS", "/static/%2e%2e/*"],
    ["GATEHOUSE_PUBLIC_PATHS", "//static"],
    ["GATEHOUSE_PUBLIC_PATHS", "/*"],
    ["GATEHOUSE_PUBLIC_PATHS", "/static*"],
    ["GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS", "0"],
    ["GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS", "soon"],
    ["GATEHOUSE_COOKIE_DOMAIN", "https://example.com"],
    ["GATEHOUSE_COOKIE_DOMAIN", "192.0.2.1"],
    ["GATEHOUSE_COOKIE_DOMAIN", "localhost"],
    ["GATEHOUSE_COOKIE_DOMAIN", "exa mple.com"],
  ])("refuses %s=%j with a sentence naming the setting", (name, value) => {
    const env = { GATEHOUSE_UPSTREAM: "http://127.0.0.1:5000", [name]: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });

  it("GATEHOUSE_COOKIE_DOMAIN is lower-cased without a leading dot, and must cover GATEHOUSE_PUBLIC_URL's host", () => {
    expect(loadConfig({ GATEHOUSE_COOKIE_DOMAIN: ".Example.COM" }).cookieDomain).toBe("example.com");
    expect(loadConfig({ GATEHOUSE_COOKIE_DOMAIN: "example.com", GATEHOUSE_PUBLIC_URL: "https://login.example.com" }).cookieDomain).toBe("example.com");
    expect(() => loadConfig({ GATEHOUSE_COOKIE_DOMAIN: "example.com", GATEHOUSE_PUBLIC_URL: "https://login.example.org" })).toThrow(
      /GATEHOUSE_COOKIE_DOMAIN/,
    );
    expect(() => loadConfig({ GATEHOUSE_COOKIE_DOMAIN: "example.com", GATEHOUSE_PUBLIC_URL: "https://notexample.com" })).toThrow(ConfigError);
  });
});

describe("GATEHOUSE_COOKIE_DOMAIN in the browser", () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  async function sessionCookieFrom(publicURL: string | undefined, cookieDomain: string | undefined) {
    t = await buildGatewayApp({ overrides: { publicURL: publicURL === undefined ? undefined : new URL(publicURL), cookieDomain } });
    const res = await t.client().get(`${PREFIX}/login`);
    const cookie = setCookies(res).find((c) => c.name.includes("gatehouse_session"));
    if (!cookie) throw new Error("no session cookie set");
    return cookie;
  }

  it("over https with a domain: __Secure- prefix, Domain, Secure, HttpOnly, SameSite=Lax, Path=/", async () => {
    const cookie = await sessionCookieFrom("https://login.example.com", "example.com");
    expect(cookie.name).toBe("__Secure-gatehouse_session");
    expect(cookie.attributes.get("domain")).toBe("example.com");
    expect(cookie.attributes.get("secure")).toBe(true);
    expect(cookie.attributes.get("httponly")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Lax");
    expect(cookie.attributes.get("path")).toBe("/");
  });

  it("over https without a domain: __Host- prefix and no Domain, as before", async () => {
    const cookie = await sessionCookieFrom("https://login.example.com", undefined);
    expect(cookie.name).toBe("__Host-gatehouse_session");
    expect(cookie.attributes.has("domain")).toBe(false);
  });

  it("over http with a domain: no prefix, Domain set, not Secure", async () => {
    const cookie = await sessionCookieFrom("http://login.example.com", "example.com");
    expect(cookie.name).toBe("gatehouse_session");
    expect(cookie.attributes.get("domain")).toBe("example.com");
    expect(cookie.attributes.has("secure")).toBe(false);
  });

  describe("the upstream never sees the __Secure- cookies either", () => {
    let upstream: Upstream;
    beforeAll(async () => {
      upstream = await startUpstream();
    });
    afterAll(async () => {
      await upstream.close();
    });

    it("strips __Secure-gatehouse_session and __Secure-gatehouse_device from Cookie", async () => {
      t = await buildGatewayApp({
        upstream: upstream.url,
        publicPaths: ["/static/*"],
        overrides: { publicURL: new URL("https://login.example.com"), cookieDomain: "example.com" },
      });
      const res = await t.app.inject({
        method: "GET",
        url: "/static/x",
        headers: { cookie: "__Secure-gatehouse_session=abc; a=1; __Secure-gatehouse_device=def" },
      });
      expect((JSON.parse(res.body) as EchoedRequest).headers.cookie).toBe("a=1");
    });
  });
});
