// Session cookies, rotation, timeouts and the security headers of every page (R29, R31-R38, R59).
import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, register, type TestApp } from "../support/app.js";
import {
  codeAt,
  enroll,
  enrolledUser,
  pendingClient,
  requestWithCookie,
  sessionCookieOf,
  sessionCookieSet,
  sessionExists,
  signInFully,
  signInPassword,
  STRONG_PASSWORD,
  wrongCodeAt,
} from "./helpers.js";

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const HTTPS_ORIGIN = "https://gh.example";

let t: TestApp;
afterEach(() => t?.close());

describe("session cookie attributes (R34)", () => {
  it("is HttpOnly, SameSite=Lax, Path=/ and has no Domain over http", async () => {
    t = await buildTestApp();
    const client = t.client();
    await client.get("/register");
    const cookie = sessionCookieSet(await client.post("/register", { username: "alice", password: STRONG_PASSWORD }))!;
    expect(cookie.attributes.get("httponly")).toBe(true);
    expect(String(cookie.attributes.get("samesite")).toLowerCase()).toBe("lax");
    expect(cookie.attributes.get("path")).toBe("/");
    expect(cookie.attributes.has("domain")).toBe(false);
  });

  it("is not Secure when the public URL is http", async () => {
    t = await buildTestApp();
    const client = t.client();
    await client.get("/register");
    const cookie = sessionCookieSet(await client.post("/register", { username: "alice", password: STRONG_PASSWORD }))!;
    expect(cookie.attributes.has("secure")).toBe(false);
  });

  it("outlives no absolute timeout: no Max-Age, or one of at most 12 hours", async () => {
    t = await buildTestApp();
    const client = t.client();
    await client.get("/register");
    const cookie = sessionCookieSet(await client.post("/register", { username: "alice", password: STRONG_PASSWORD }))!;
    const maxAge = cookie.attributes.get("max-age");
    if (maxAge !== undefined) expect(Number(maxAge)).toBeLessThanOrEqual(12 * HOUR);
  });

  it("is __Host-gatehouse_session with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain over https", async () => {
    t = await buildTestApp({ publicURL: new URL(HTTPS_ORIGIN) });
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "alice", password: STRONG_PASSWORD }, { origin: HTTPS_ORIGIN });
    expect(res.statusCode).toBe(303);
    const cookie = sessionCookieSet(res)!;
    expect(cookie.name).toBe("__Host-gatehouse_session");
    expect(cookie.attributes.get("secure")).toBe(true);
    expect(cookie.attributes.get("httponly")).toBe(true);
    expect(String(cookie.attributes.get("samesite")).toLowerCase()).toBe("lax");
    expect(cookie.attributes.get("path")).toBe("/");
    expect(cookie.attributes.has("domain")).toBe(false);
  });

  it("is __Host- prefixed already on the anonymous login page over https", async () => {
    t = await buildTestApp({ publicURL: new URL(HTTPS_ORIGIN) });
    const cookie = sessionCookieSet(await t.client().get("/login"))!;
    expect(cookie.name).toBe("__Host-gatehouse_session");
    expect(cookie.attributes.get("secure")).toBe(true);
  });

  it("is cleared on logout with the same Secure and Path=/ attributes over https, as __Host- requires", async () => {
    t = await buildTestApp({ publicURL: new URL(HTTPS_ORIGIN) });
    const client = t.client();
    await client.get("/register");
    await client.post("/register", { username: "alice", password: STRONG_PASSWORD }, { origin: HTTPS_ORIGIN });
    await client.get("/2fa/setup");
    const res = await client.post("/logout", {}, { origin: HTTPS_ORIGIN });
    expect(res.statusCode).toBe(303);
    const cleared = sessionCookieSet(res)!;
    expect(cleared.name).toBe("__Host-gatehouse_session");
    expect(cleared.attributes.get("secure")).toBe(true);
    expect(cleared.attributes.get("path")).toBe("/");
    expect(cleared.attributes.has("domain")).toBe(false);
  });

  it("refuses a POST with the http Origin when the public URL is https", async () => {
    t = await buildTestApp({ publicURL: new URL(HTTPS_ORIGIN) });
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "alice", password: STRONG_PASSWORD }, { origin: "http://gh.example" });
    expect(res.statusCode).toBe(403);
    expect(await t.store.users.findUserByUsernameKey("alice")).toBeNull();
  });

  it("completes a full sign-in over https", async () => {
    t = await buildTestApp({ publicURL: new URL(HTTPS_ORIGIN) });
    const client = t.client();
    await client.get("/register");
    await client.post("/register", { username: "alice", password: STRONG_PASSWORD }, { origin: HTTPS_ORIGIN });
    const setup = await client.get("/2fa/setup");
    const secret = /id="secret-key">([^<]+)</.exec(setup.body)![1]!.replace(/\s+/g, "");
    const res = await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) }, { origin: HTTPS_ORIGIN });
    expect(res.statusCode).toBe(303);
    expect((await client.get("/")).body).toContain("Signed in as alice");
  });
});

describe("session rotation (R31, R32)", () => {
  it("issues a new cookie value when the password step succeeds", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const client = t.client();
    await client.get("/login");
    const anonymous = sessionCookieOf(client)!.value;
    await client.post("/login", { username: "alice", password: STRONG_PASSWORD });
    const pending = sessionCookieOf(client)!.value;
    expect(pending).not.toBe(anonymous);
  });

  it("issues a new cookie value again when the second factor succeeds", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const pending = sessionCookieOf(client)!.value;
    await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    const full = sessionCookieOf(client)!.value;
    expect(full).not.toBe(pending);
  });

  it("issues a new cookie value when enrollment completes the sign-in", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await register(client, "alice");
    const pending = sessionCookieOf(client)!.value;
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    expect(sessionCookieOf(client)!.value).not.toBe(pending);
  });

  it("deletes the pending session server-side once the sign-in is complete: its value opens nothing", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const pending = sessionCookieOf(client)!;
    await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(await sessionExists(t, pending.value)).toBe(false);
    const res = await requestWithCookie(t, "/", pending);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2F");
  });

  it("never adopts a session value chosen by the client (session fixation, R31)", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    const planted = "A".repeat(43);
    client.cookies.set("gatehouse_session", planted);
    await client.get("/login");
    await client.post("/login", { username: "alice", password: STRONG_PASSWORD });
    await client.get("/2fa");
    await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(sessionCookieOf(client)!.value).not.toBe(planted);
    expect(await sessionExists(t, planted)).toBe(false);
    expect((await requestWithCookie(t, "/", { name: "gatehouse_session", value: planted })).statusCode).toBe(303);
  });

  it("never puts the session value in a page or a Location header (R38)", async () => {
    t = await buildTestApp();
    const client = t.client();
    const seen: string[] = [];
    const pages: string[] = [];
    const record = (res: { body: string; headers: Record<string, unknown> }) => {
      pages.push(res.body, String(res.headers.location ?? ""));
      const value = sessionCookieOf(client)?.value;
      if (value) seen.push(value);
    };
    record(await client.get("/register"));
    record(await client.post("/register", { username: "alice", password: STRONG_PASSWORD }));
    const setup = await client.get("/2fa/setup");
    record(setup);
    const secret = /id="secret-key">([^<]+)</.exec(setup.body)![1]!.replace(/\s+/g, "");
    record(await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) }));
    record(await client.get("/2fa/recovery-codes"));
    record(await client.get("/"));
    expect(new Set(seen).size).toBeGreaterThanOrEqual(3);
    for (const value of seen) for (const page of pages) expect(page).not.toContain(value);
  });
});

describe("pending sessions (R33)", () => {
  it("cannot open / : it is sent to the second-factor step", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
  });

  it("cannot open /account: it is sent to the second-factor step", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.get("/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect(res.body).not.toContain("Recovery codes left");
  });

  it("of an unenrolled account cannot open /account: it is sent to /2fa/setup", async () => {
    t = await buildTestApp();
    const client = t.client();
    await register(client, "alice");
    const res = await client.get("/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
  });

  it("still accepts the right code 4 minutes 50 seconds after the password step", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    t.clock.advanceSeconds(4 * MINUTE + 50);
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
  });

  it("expires 5 minutes after the password step: the challenge page sends to /login", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    t.clock.advanceSeconds(5 * MINUTE + 1);
    const res = await client.get("/2fa");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
  });

  it("expires 5 minutes after the password step: even the right code signs nobody in", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    t.clock.advanceSeconds(5 * MINUTE + 1);
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).not.toBe(200);
    expect(res.headers.location ?? "").not.toBe("/");
    expect((await client.get("/")).headers.location).toBe("/login?next=%2F");
  });

  it("of an unenrolled account expires after 5 minutes too: the setup page sends to /login", async () => {
    t = await buildTestApp();
    const client = t.client();
    await register(client, "alice");
    t.clock.advanceSeconds(5 * MINUTE + 1);
    const res = await client.get("/2fa/setup");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
    expect(res.body).not.toContain("secret-key");
  });
});

describe("full session timeouts (R35)", () => {
  it("stays open when used every 29 minutes", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = await signInFully(t, "alice", secret);
    for (let i = 0; i < 4; i++) {
      t.clock.advanceSeconds(29 * MINUTE);
      expect((await client.get("/")).statusCode).toBe(200);
    }
  });

  it("expires after 30 minutes without a request", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = await signInFully(t, "alice", secret);
    t.clock.advanceSeconds(30 * MINUTE + 1);
    const res = await client.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2F");
  });

  it("expires 12 hours after sign-in even when used every 20 minutes", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const client = await signInFully(t, "alice", secret);
    for (let elapsed = 0; elapsed + 20 * MINUTE < 12 * HOUR; elapsed += 20 * MINUTE) {
      t.clock.advanceSeconds(20 * MINUTE);
      expect((await client.get("/")).statusCode, `after ${elapsed / MINUTE + 20} minutes`).toBe(200);
    }
    t.clock.advanceSeconds(20 * MINUTE);
    const res = await client.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2F");
  });
});

describe("security headers (R29, R59)", () => {
  /** A browser at every step, with the pages it saw. */
  async function pagesOfAFullFlow() {
    t = await buildTestApp();
    const client = t.client();
    const pages: Record<string, Awaited<ReturnType<typeof client.get>>> = {};
    pages["GET /login"] = await client.get("/login");
    pages["GET /register"] = await client.get("/register");
    await client.post("/register", { username: "alice", password: STRONG_PASSWORD });
    pages["GET /2fa/setup"] = await client.get("/2fa/setup");
    const secret = /id="secret-key">([^<]+)</.exec(pages["GET /2fa/setup"].body)![1]!.replace(/\s+/g, "");
    pages["POST /2fa/setup (wrong)"] = await client.post("/2fa/setup", { otp: wrongCodeAt(secret, t.clock.ms) });
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    pages["GET /2fa/recovery-codes"] = await client.get("/2fa/recovery-codes");
    pages["GET /"] = await client.get("/");
    pages["GET /account"] = await client.get("/account");
    await client.post("/logout", {});
    t.clock.advanceSeconds(30);
    await signInPassword(client, "alice");
    pages["GET /2fa"] = await client.get("/2fa");
    pages["POST /2fa (wrong)"] = await client.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) });
    return pages;
  }

  it("sends Cache-Control: no-store on the login, setup, challenge, recovery-codes, home and account pages", async () => {
    const pages = await pagesOfAFullFlow();
    for (const [name, res] of Object.entries(pages)) {
      expect(String(res.headers["cache-control"]), name).toMatch(/no-store/);
    }
  });

  it("sends a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval' and with frame-ancestors 'none'", async () => {
    const pages = await pagesOfAFullFlow();
    for (const [name, res] of Object.entries(pages)) {
      const csp = String(res.headers["content-security-policy"] ?? "");
      expect(csp, name).not.toBe("");
      expect(csp, name).not.toContain("unsafe-inline");
      expect(csp, name).not.toContain("unsafe-eval");
      expect(csp, name).toMatch(/frame-ancestors 'none'/);
    }
  });

  it("sends X-Content-Type-Options: nosniff", async () => {
    const pages = await pagesOfAFullFlow();
    for (const [name, res] of Object.entries(pages)) expect(res.headers["x-content-type-options"], name).toBe("nosniff");
  });

  it("sends a Referrer-Policy that keeps the Origin of same-origin POSTs and leaks no path off-site", async () => {
    const pages = await pagesOfAFullFlow();
    for (const [name, res] of Object.entries(pages)) {
      expect(["same-origin", "strict-origin", "strict-origin-when-cross-origin"], name).toContain(res.headers["referrer-policy"]);
    }
  });

  it("sends Cache-Control: no-store on the 429 answer of a throttled challenge", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    let res = await client.post("/2fa", { otp: "abcdef" });
    for (let i = 0; i < 5; i++) res = await client.post("/2fa", { otp: "abcdef" });
    expect(res.statusCode).toBe(429);
    expect(String(res.headers["cache-control"])).toMatch(/no-store/);
  });

  it("shows nothing protected on / after logout (back button, R59)", async () => {
    t = await buildTestApp();
    const client = t.client();
    await enroll(t, client, "alice");
    await client.post("/logout", {});
    const res = await client.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.body).not.toContain("Signed in as");
  });
});
