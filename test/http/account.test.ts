// Contract: GET /account and the /account POST rows (http-interface.md, and docs/http-interface.md
// "Status in this version" for reenroll, password, devices and sessions). Security: R22 (new
// recovery codes invalidate the old), R23, R30 (notify the user), R37 (a factor change ends other
// sessions), R39 (password + code in the same request, from a full session), R40 (no standing
// step-up window), R46/R47 (remembered browsers end with a factor change), R53 (activity log).
// Everything goes through the real app (app.inject); state is read through pages, cookies and the
// store's public ports.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LightMyRequestResponse } from "fastify";
import type { Notifier, UserNotification } from "../../src/notify/notifier.js";
import { buildTestApp, ORIGIN, register, type TestApp, type TestClient } from "../support/app.js";
import {
  alertText,
  codeAt,
  enroll,
  enrolledUser,
  pendingClient,
  recoveryCodesIn,
  requestWithCookie,
  retryAfterSeconds,
  secretFromSetupPage,
  sessionCookieOf,
  sessionExists,
  signInFully,
  signInPassword,
  STRONG_PASSWORD,
  UNISSUED_RECOVERY_CODE,
  userIdOf,
  wrongCodeAt,
} from "./helpers.js";

const NEW_PASSWORD = "copper-lantern-meadow-77";
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_IOS =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const ADDRESS = "203.0.113.77";
const IDLE_MS = 30 * 60_000;
const ACCOUNT_LOGIN = "/login?next=%2Faccount";

let t: TestApp;
let notifications: UserNotification[];

/** A notifier that keeps what it is given, to assert which users hear about what (R30). */
function capturingNotifier(into: UserNotification[]): Notifier {
  return {
    notify: (notification) => {
      into.push(notification);
    },
    close: async () => {},
  };
}

beforeEach(async () => {
  notifications = [];
  t = await buildTestApp({ notifier: capturingNotifier(notifications) });
});
afterEach(() => t.close());

interface SignedIn {
  client: TestClient;
  secret: string;
  recoveryCodes: string[];
  userId: string;
}

/** Registers and enrolls `username`; the browser is fully signed in and holds the account page's CSRF token. */
async function onAccountPage(username = "alice"): Promise<SignedIn> {
  const client = t.client();
  const { secret, recoveryCodes } = await enroll(t, client, username);
  expect((await client.get("/account")).statusCode).toBe(200);
  return { client, secret, recoveryCodes, userId: await userIdOf(t, username) };
}

/** The code of the next time step: each step is accepted once per account (R6). */
function freshCode(secret: string): string {
  t.clock.advanceSeconds(30);
  return codeAt(secret, t.clock.ms);
}

/** A form POST as TestClient.post, from a chosen client address and browser. */
function postAs(
  client: TestClient,
  url: string,
  fields: Record<string, string>,
  who: { remoteAddress?: string; userAgent?: string } = {},
): Promise<LightMyRequestResponse> {
  const payload = new URLSearchParams({ ...fields, ...(client.csrf ? { _csrf: client.csrf } : {}) }).toString();
  return client.request({
    method: "POST",
    url,
    payload,
    ...(who.remoteAddress ? { remoteAddress: who.remoteAddress } : {}),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: ORIGIN,
      ...(who.userAgent ? { "user-agent": who.userAgent } : {}),
    },
  });
}

/** A new browser that signs in with password + code and ticks "remember", then signs out. */
async function rememberedBrowser(username: string, secret: string, userAgent = FIREFOX_LINUX): Promise<TestClient> {
  t.clock.advanceSeconds(30);
  const client = await pendingClient(t, username);
  const res = await postAs(client, "/2fa", { otp: codeAt(secret, t.clock.ms), remember: "1" }, { userAgent });
  expect(res.statusCode).toBe(303);
  await client.get("/");
  await client.post("/logout", {});
  return client;
}

/** Where the password step leads this (signed-out) browser: "/" when remembered, "/2fa" when challenged. */
async function passwordStepLeadsTo(client: TestClient, username: string, password = STRONG_PASSWORD) {
  await client.get("/login");
  const res = await client.post("/login", { username, password });
  return res.statusCode === 303 ? res.headers.location : res.statusCode;
}

/** Whether this browser's session still opens the account page. */
async function opensAccount(client: TestClient): Promise<boolean> {
  const res = await client.get("/account");
  return res.statusCode === 200;
}

/** A signed-in-by-recovery-code browser: password, then /2fa/recovery. */
async function recoverySignIn(username: string, code: string) {
  const client = await pendingClient(t, username);
  return client.post("/2fa/recovery", { recovery_code: code });
}

/** Everything an account change could touch, to show that a refused request changed nothing. */
async function accountState(userId: string) {
  const user = await t.store.users.findUserById(userId);
  const sessions = await t.store.sessions.listUserSessions(userId, t.clock.ms, IDLE_MS);
  return {
    passwordHash: user?.passwordHash,
    factor: await t.store.totp.findFactor(userId),
    pendingEnrollment: await t.store.totp.listPendingEnrollments(userId, t.clock.ms),
    recoveryCodes: (await t.store.recoveryCodes.listUnused(userId)).map((code) => code.id).sort(),
    sessions: sessions.map((session) => session.idHash).sort(),
    devices: (await t.store.devices.listDevices(userId, t.clock.ms)).map((device) => device.id).sort(),
  };
}

async function eventsOf(userId: string) {
  return t.store.events.listEvents({ userId, limit: 200 });
}

async function latestEvent(userId: string, type: string) {
  return (await eventsOf(userId)).find((event) => event.type === type);
}

/** Notifications go out after the response (never on the request's path): wait for this one. */
async function notificationOf(type: string): Promise<UserNotification> {
  await vi.waitFor(() => {
    if (!notifications.some((n) => n.type === type)) throw new Error(`no ${type} notification yet`);
  });
  return notifications.find((n) => n.type === type)!;
}

const eventRows = (body: string) => body.match(/<tr class="event">/g)?.length ?? 0;
const statusOf = (body: string) => /id="two-factor-status">([^<]*)</.exec(body)?.[1];
const codesLeftOf = (body: string) => /id="recovery-codes-left">([^<]*)</.exec(body)?.[1];
const deviceIdsIn = (body: string) => [...body.matchAll(/name="device_id" value="([^"]+)"/g)].map((m) => m[1]!);

describe("GET /account", () => {
  it("sends an anonymous visitor to /login?next=%2Faccount", async () => {
    const res = await t.client().get("/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(ACCOUNT_LOGIN);
  });

  it("sends a password-only session of an enrolled user to /2fa (R33)", async () => {
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.get("/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
  });

  it("sends a password-only session of a user without a factor to /2fa/setup (R26)", async () => {
    const client = t.client();
    await register(client, "alice");
    const res = await client.get("/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
  });

  it("shows that two-factor sign-in is on and 10 recovery codes are left, without a warning", async () => {
    const { client } = await onAccountPage();
    const res = await client.get("/account");
    expect(res.statusCode).toBe(200);
    expect(statusOf(res.body)).toMatch(/^On/);
    expect(codesLeftOf(res.body)).toBe("10");
    expect(res.body).not.toContain('id="few-codes"');
  });

  it("does not warn while 4 recovery codes are left", async () => {
    const { client, recoveryCodes } = await onAccountPage();
    for (const code of recoveryCodes.slice(0, 6)) expect((await recoverySignIn("alice", code)).statusCode).toBe(303);
    const res = await client.get("/account");
    expect(codesLeftOf(res.body)).toBe("4");
    expect(res.body).not.toContain('id="few-codes"');
  });

  it("warns once only 3 recovery codes are left (R23)", async () => {
    const { client, recoveryCodes } = await onAccountPage();
    for (const code of recoveryCodes.slice(0, 7)) expect((await recoverySignIn("alice", code)).statusCode).toBe(303);
    const res = await client.get("/account");
    expect(codesLeftOf(res.body)).toBe("3");
    expect(res.body).toMatch(/id="few-codes"[^>]*>[^<]*3 recovery codes/);
  });

  it("lists each remembered browser by its label with a forget button for its id (R46)", async () => {
    const { client, secret, userId } = await onAccountPage();
    await rememberedBrowser("alice", secret, FIREFOX_LINUX);
    await rememberedBrowser("alice", secret, SAFARI_IOS);
    const res = await client.get("/account");
    const stored = await t.store.devices.listDevices(userId, t.clock.ms);
    expect(stored).toHaveLength(2);
    expect(res.body).toContain("Firefox on Linux");
    expect(res.body).toContain("Safari on iOS");
    expect(res.body.match(/action="\/account\/devices\/forget"/g)).toHaveLength(2);
    expect(deviceIdsIn(res.body).sort()).toEqual(stored.map((d) => d.id).sort());
  });

  it("counts the user's other sessions", async () => {
    const { client, secret } = await onAccountPage();
    expect((await client.get("/account")).body).toMatch(/and 0 other sessions/);
    await signInFully(t, "alice", secret);
    await signInFully(t, "alice", secret);
    expect((await client.get("/account")).body).toMatch(/and 2 other sessions/);
  });

  it("does not count another user's sessions", async () => {
    const { client } = await onAccountPage();
    const bob = await enrolledUser(t, "bob");
    await signInFully(t, "bob", bob.secret);
    expect((await client.get("/account")).body).toMatch(/and 0 other sessions/);
  });

  it("shows the last 20 events, newest first, with the client address and a browser label (R53)", async () => {
    const { client, secret } = await onAccountPage();
    await client.post("/logout", {});
    // 25 wrong passwords, each from its own address so the password throttle stays out of the way.
    for (let i = 1; i <= 25; i++) {
      const browser = t.client();
      await browser.get("/login");
      const res = await postAs(browser, "/login", { username: "alice", password: "not-the-password-x" }, { remoteAddress: `198.51.100.${i}` });
      expect(res.statusCode).toBe(401);
    }
    t.clock.advanceSeconds(30);
    const browser = t.client();
    await browser.get("/login");
    await postAs(browser, "/login", { username: "alice", password: STRONG_PASSWORD }, { remoteAddress: ADDRESS, userAgent: FIREFOX_LINUX });
    await browser.get("/2fa");
    await postAs(browser, "/2fa", { otp: codeAt(secret, t.clock.ms) }, { remoteAddress: ADDRESS, userAgent: FIREFOX_LINUX });

    const res = await browser.get("/account");
    expect(res.statusCode).toBe(200);
    expect(eventRows(res.body)).toBe(20);
    const rows = res.body.split('<tr class="event">').slice(1);
    expect(rows[0]).toContain(ADDRESS);
    expect(rows[0]).toContain("Firefox on Linux");
    expect(res.body).toContain("198.51.100.25");
    // The oldest events (the registration, the first wrong passwords) fell off the list.
    expect(res.body).not.toContain("198.51.100.1<");
    expect(res.body).not.toContain("Account created");
  });

  it("never shows the secret, a code, a recovery code or the password (R25, R52)", async () => {
    const { secret, recoveryCodes } = await onAccountPage();
    const res1 = await recoverySignIn("alice", recoveryCodes[0]!);
    expect(res1.statusCode).toBe(303);
    const full = await signInFully(t, "alice", secret);
    const usedCode = codeAt(secret, t.clock.ms);
    const res = await full.get("/account");
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain("otpauth://");
    expect(res.body).not.toContain('id="secret-key"');
    expect(res.body).not.toContain(usedCode);
    expect(res.body).not.toContain(STRONG_PASSWORD);
    for (const code of recoveryCodes) expect(res.body).not.toContain(code);
  });
});

describe("POST /account/2fa/disable", () => {
  it("turns two-factor sign-in off with the right password and code: 303 to /account, which says Off", async () => {
    const { client, secret, userId } = await onAccountPage();
    const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(secret) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(await t.store.totp.findFactor(userId)).toBeNull();
    expect(statusOf((await client.get("/account")).body)).toBe("Off");
  });

  it("makes the next sign-in enroll again with a new key", async () => {
    const { client, secret } = await onAccountPage();
    await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(secret) });
    const browser = t.client();
    const login = await signInPassword(browser, "alice");
    expect(login.headers.location).toBe("/2fa/setup");
    const setup = await browser.get("/2fa/setup");
    const newSecret = secretFromSetupPage(setup.body);
    expect(newSecret).not.toBe(secret);
    const res = await browser.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/recovery-codes");
    expect(recoveryCodesIn((await browser.get("/2fa/recovery-codes")).body)).toHaveLength(10);
  });

  it("ends the user's other sessions: a second browser's cookie opens nothing (R37)", async () => {
    const { client, secret } = await onAccountPage();
    const other = await signInFully(t, "alice", secret);
    const otherCookie = sessionCookieOf(other)!;
    await client.get("/account");
    await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(secret) });
    expect(await sessionExists(t, otherCookie.value)).toBe(false);
    const res = await requestWithCookie(t, "/account", otherCookie);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(ACCOUNT_LOGIN);
  });

  it("keeps this browser signed in under a new session cookie; the old value opens nothing (R32)", async () => {
    const { client, secret } = await onAccountPage();
    const before = sessionCookieOf(client)!;
    await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(secret) });
    const after = sessionCookieOf(client)!;
    expect(after.value).not.toBe(before.value);
    expect(await opensAccount(client)).toBe(true);
    expect((await requestWithCookie(t, "/account", before)).headers.location).toBe(ACCOUNT_LOGIN);
  });

  it("forgets remembered browsers: once 2FA is on again, a browser remembered before is challenged (R47)", async () => {
    const { client, secret, userId } = await onAccountPage();
    const remembered = await rememberedBrowser("alice", secret);
    await client.get("/account");
    await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(secret) });
    expect(await t.store.devices.listDevices(userId, t.clock.ms)).toEqual([]);
    // Turn it on again from the account page, then sign in from the formerly remembered browser.
    const newSecret = secretFromSetupPage((await client.get("/2fa/setup")).body);
    expect((await client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) })).statusCode).toBe(303);
    expect(await passwordStepLeadsTo(remembered, "alice")).toBe("/2fa");
  });

  it("answers 401 with the account page and a clear message to a wrong password, and changes nothing", async () => {
    const { client, secret, userId } = await onAccountPage();
    await signInFully(t, "alice", secret);
    const before = await accountState(userId);
    const res = await client.post("/account/2fa/disable", { password: "not-the-password-x", otp: freshCode(secret) });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain("Account security");
    expect(alertText(res.body)).toMatch(/password is not right/);
    expect(await accountState(userId)).toEqual(before);
  });

  it("answers 401 with the account page and a clear message to a wrong code, and changes nothing", async () => {
    const { client, secret, userId } = await onAccountPage();
    await signInFully(t, "alice", secret);
    t.clock.advanceSeconds(30);
    const before = await accountState(userId);
    const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: wrongCodeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain("Account security");
    expect(alertText(res.body)).toMatch(/code is not right/);
    expect(await accountState(userId)).toEqual(before);
  });

  it("accepts an unused recovery code in otp", async () => {
    const { client, recoveryCodes, userId } = await onAccountPage();
    const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: recoveryCodes[3]! });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(await t.store.totp.findFactor(userId)).toBeNull();
  });

  it("refuses a used recovery code in otp with 401", async () => {
    const { client, recoveryCodes, userId } = await onAccountPage();
    expect((await recoverySignIn("alice", recoveryCodes[0]!)).statusCode).toBe(303);
    await client.get("/account");
    const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: recoveryCodes[0]! });
    expect(res.statusCode).toBe(401);
    expect(await t.store.totp.findFactor(userId)).not.toBeNull();
  });

  it("refuses a code whose step was already used at sign-in (replay, R6, R14)", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const userId = await userIdOf(t, "alice");
    const client = await signInFully(t, "alice", secret);
    await client.get("/account");
    const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(await t.store.totp.findFactor(userId)).not.toBeNull();
    expect((await eventsOf(userId))[0]?.type).toBe("second-factor-replayed");
  });

  it("locks after 5 wrong codes: the next attempt, right code included, gets 429 with Retry-After (R10, R14)", async () => {
    const { client, secret, userId } = await onAccountPage();
    t.clock.advanceSeconds(30);
    for (let i = 0; i < 5; i++) {
      const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: wrongCodeAt(secret, t.clock.ms) });
      expect(res.statusCode, `wrong code #${i + 1}`).toBe(401);
    }
    const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(0);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(30);
    expect(await t.store.totp.findFactor(userId)).not.toBeNull();
  });

  it("shares the counter with the sign-in challenge: 3 wrong here and 2 at /2fa lock /2fa (R10)", async () => {
    const { client, secret } = await onAccountPage();
    t.clock.advanceSeconds(30);
    for (let i = 0; i < 3; i++) {
      expect((await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: wrongCodeAt(secret, t.clock.ms) })).statusCode).toBe(401);
    }
    const pending = await pendingClient(t, "alice");
    for (let i = 0; i < 2; i++) expect((await pending.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) })).statusCode).toBe(401);
    const res = await pending.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(0);
  });

  it("shares the counter with the sign-in challenge: 4 wrong at /2fa and 1 here lock this form (R10)", async () => {
    const { client, secret, userId } = await onAccountPage();
    t.clock.advanceSeconds(30);
    const pending = await pendingClient(t, "alice");
    for (let i = 0; i < 4; i++) expect((await pending.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) })).statusCode).toBe(401);
    await client.get("/account");
    expect((await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: wrongCodeAt(secret, t.clock.ms) })).statusCode).toBe(401);
    const res = await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(429);
    expect(await t.store.totp.findFactor(userId)).not.toBeNull();
  });

  it("lets the user turn it on again from the account page's link, with new recovery codes", async () => {
    const { client, secret, recoveryCodes, userId } = await onAccountPage();
    await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(secret) });
    const account = await client.get("/account");
    expect(account.body).toMatch(/<a href="\/2fa\/setup">Turn it on<\/a>/);
    const setup = await client.get("/2fa/setup");
    expect(setup.statusCode).toBe(200);
    const newSecret = secretFromSetupPage(setup.body);
    expect(newSecret).not.toBe(secret);
    const res = await client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/recovery-codes");
    const codes = recoveryCodesIn((await client.get("/2fa/recovery-codes")).body);
    expect(codes).toHaveLength(10);
    expect(codes.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    expect(await t.store.totp.findFactor(userId)).not.toBeNull();
    const after = await client.get("/account");
    expect(statusOf(after.body)).toMatch(/^On/);
    expect(codesLeftOf(after.body)).toBe("10");
  });
});

describe("POST /account/recovery-codes", () => {
  it("answers 303 to /2fa/recovery-codes, which shows 10 new codes once", async () => {
    const { client, secret, recoveryCodes } = await onAccountPage();
    const res = await client.post("/account/recovery-codes", { otp: freshCode(secret) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/recovery-codes");
    const page = await client.get("/2fa/recovery-codes");
    const codes = recoveryCodesIn(page.body);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(codes.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    const again = await client.get("/2fa/recovery-codes");
    expect(again.statusCode).toBe(303);
    expect(recoveryCodesIn(again.body)).toEqual([]);
  });

  it("makes every old code, used or unused, fail at /2fa/recovery (R22)", async () => {
    const { client, secret, recoveryCodes: old } = await onAccountPage();
    expect((await recoverySignIn("alice", old[0]!)).statusCode).toBe(303);
    await client.get("/account");
    await client.post("/account/recovery-codes", { otp: freshCode(secret) });
    const fresh = recoveryCodesIn((await client.get("/2fa/recovery-codes")).body);
    for (const [i, code] of old.entries()) {
      expect((await recoverySignIn("alice", code)).statusCode, `old code #${i + 1}`).toBe(401);
      // A right new code between attempts keeps the throttle from locking (R13).
      expect((await recoverySignIn("alice", fresh[i]!)).statusCode).toBe(303);
    }
  });

  it("makes each new code work exactly once at /2fa/recovery", async () => {
    const { client, secret } = await onAccountPage();
    await client.post("/account/recovery-codes", { otp: freshCode(secret) });
    const fresh = recoveryCodesIn((await client.get("/2fa/recovery-codes")).body);
    for (const [i, code] of fresh.entries()) {
      expect((await recoverySignIn("alice", code)).statusCode, `new code #${i + 1}`).toBe(303);
      expect((await recoverySignIn("alice", code)).statusCode, `new code #${i + 1} again`).toBe(401);
    }
  });

  it("ends the other sessions and remembered browsers, and keeps this one under a new cookie (R37, R47)", async () => {
    const { client, secret, userId } = await onAccountPage();
    const remembered = await rememberedBrowser("alice", secret);
    const other = await signInFully(t, "alice", secret);
    await client.get("/account");
    const before = sessionCookieOf(client)!;
    await client.post("/account/recovery-codes", { otp: freshCode(secret) });
    expect(sessionCookieOf(client)!.value).not.toBe(before.value);
    expect(await opensAccount(other)).toBe(false);
    expect(await t.store.devices.listDevices(userId, t.clock.ms)).toEqual([]);
    expect(await passwordStepLeadsTo(remembered, "alice")).toBe("/2fa");
    expect(await opensAccount(client)).toBe(true);
  });

  it("accepts an unused recovery code in otp", async () => {
    const { client, recoveryCodes } = await onAccountPage();
    const res = await client.post("/account/recovery-codes", { otp: recoveryCodes[5]! });
    expect(res.statusCode).toBe(303);
    expect(recoveryCodesIn((await client.get("/2fa/recovery-codes")).body)).toHaveLength(10);
  });

  it("answers 401 to a wrong code and keeps the old codes", async () => {
    const { client, secret, userId } = await onAccountPage();
    await signInFully(t, "alice", secret);
    t.clock.advanceSeconds(30);
    const before = await accountState(userId);
    const res = await client.post("/account/recovery-codes", { otp: wrongCodeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(alertText(res.body)).toMatch(/code is not right/);
    expect(await accountState(userId)).toEqual(before);
  });
});

describe("POST /account/2fa/reenroll (new phone)", () => {
  /** Starts a new-phone enrollment from the account page; returns the new key shown on /2fa/setup. */
  async function startNewPhone(signedIn: SignedIn): Promise<string> {
    const res = await signedIn.client.post("/account/2fa/reenroll", { password: STRONG_PASSWORD, otp: freshCode(signedIn.secret) });
    expect(res.statusCode).toBe(303);
    const setup = await signedIn.client.get("/2fa/setup");
    expect(setup.statusCode).toBe(200);
    return secretFromSetupPage(setup.body);
  }

  it("answers 303 to /2fa/setup, which shows a new key and its QR code", async () => {
    const alice = await onAccountPage();
    const res = await alice.client.post("/account/2fa/reenroll", { password: STRONG_PASSWORD, otp: freshCode(alice.secret) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
    const setup = await alice.client.get("/2fa/setup");
    expect(setup.statusCode).toBe(200);
    expect(setup.body).toContain('id="qr-code"');
    const newSecret = secretFromSetupPage(setup.body);
    expect(newSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newSecret).not.toBe(alice.secret);
  });

  it("keeps the old secret working at sign-in until the new key is confirmed", async () => {
    const alice = await onAccountPage();
    await startNewPhone(alice);
    t.clock.advanceSeconds(30);
    const browser = await pendingClient(t, "alice");
    const res = await browser.post("/2fa", { otp: codeAt(alice.secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
  });

  it("confirms with a code of the new key: 303 to /2fa/recovery-codes with 10 new codes", async () => {
    const alice = await onAccountPage();
    const newSecret = await startNewPhone(alice);
    const res = await alice.client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/recovery-codes");
    const codes = recoveryCodesIn((await alice.client.get("/2fa/recovery-codes")).body);
    expect(codes).toHaveLength(10);
    expect(codes.filter((code) => alice.recoveryCodes.includes(code))).toEqual([]);
  });

  it("refuses a code of the old secret as the confirmation", async () => {
    const alice = await onAccountPage();
    await startNewPhone(alice);
    t.clock.advanceSeconds(30);
    const res = await alice.client.post("/2fa/setup", { otp: codeAt(alice.secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(await t.store.totp.listPendingEnrollments(alice.userId, t.clock.ms)).not.toEqual([]);
  });

  it("after confirmation, the old secret fails at sign-in and the new one works", async () => {
    const alice = await onAccountPage();
    const newSecret = await startNewPhone(alice);
    await alice.client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    t.clock.advanceSeconds(30);
    const browser = await pendingClient(t, "alice");
    expect((await browser.post("/2fa", { otp: codeAt(alice.secret, t.clock.ms) })).statusCode).toBe(401);
    expect((await browser.post("/2fa", { otp: codeAt(newSecret, t.clock.ms) })).statusCode).toBe(303);
  });

  it("after confirmation, the old recovery codes fail", async () => {
    const alice = await onAccountPage();
    const newSecret = await startNewPhone(alice);
    await alice.client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect((await recoverySignIn("alice", alice.recoveryCodes[0]!)).statusCode).toBe(401);
  });

  it("ends the other sessions on confirmation, including one signed in with the old secret meanwhile (R37)", async () => {
    const alice = await onAccountPage();
    const before = await signInFully(t, "alice", alice.secret);
    await alice.client.get("/account");
    const newSecret = await startNewPhone(alice);
    const meanwhile = await signInFully(t, "alice", alice.secret);
    await alice.client.get("/2fa/setup");
    await alice.client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect(await opensAccount(before)).toBe(false);
    expect(await opensAccount(meanwhile)).toBe(false);
    expect(await opensAccount(alice.client)).toBe(true);
  });

  it("forgets remembered browsers on confirmation (R47)", async () => {
    const alice = await onAccountPage();
    const remembered = await rememberedBrowser("alice", alice.secret);
    await alice.client.get("/account");
    const newSecret = await startNewPhone(alice);
    await alice.client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect(await t.store.devices.listDevices(alice.userId, t.clock.ms)).toEqual([]);
    expect(await passwordStepLeadsTo(remembered, "alice")).toBe("/2fa");
  });

  it("answers 401 to a wrong password and shows no new key", async () => {
    const alice = await onAccountPage();
    const res = await alice.client.post("/account/2fa/reenroll", { password: "not-the-password-x", otp: freshCode(alice.secret) });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain("otpauth://");
    expect(res.body).not.toContain('id="secret-key"');
    expect(await t.store.totp.listPendingEnrollments(alice.userId, t.clock.ms)).toEqual([]);
    const setup = await alice.client.get("/2fa/setup");
    expect(setup.statusCode).toBe(303);
    expect(setup.headers.location).toBe("/account");
  });

  it("answers 401 to a wrong code and shows no new key", async () => {
    const alice = await onAccountPage();
    t.clock.advanceSeconds(30);
    const res = await alice.client.post("/account/2fa/reenroll", { password: STRONG_PASSWORD, otp: wrongCodeAt(alice.secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain("otpauth://");
    expect(await t.store.totp.listPendingEnrollments(alice.userId, t.clock.ms)).toEqual([]);
    expect((await alice.client.get("/2fa/setup")).headers.location).toBe("/account");
  });

  it("never shows the new key to a password-only session of the same user (R25, R26)", async () => {
    const alice = await onAccountPage();
    const newSecret = await startNewPhone(alice);
    const pending = await pendingClient(t, "alice");
    const res = await pending.get("/2fa/setup");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect(res.body).not.toContain(newSecret);
    const confirm = await pending.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect(confirm.statusCode).toBe(303);
    expect(confirm.headers.location).toBe("/2fa");
    expect(await opensAccount(pending)).toBe(false);
  });
});

describe("POST /account/password", () => {
  it("changes the password: 303 to /account; the old password fails at /login and the new one works", async () => {
    const { client, secret } = await onAccountPage();
    const res = await client.post("/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: freshCode(secret) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(await opensAccount(client)).toBe(true);
    expect(await passwordStepLeadsTo(t.client(), "alice", STRONG_PASSWORD)).toBe(401);
    expect(await passwordStepLeadsTo(t.client(), "alice", NEW_PASSWORD)).toBe("/2fa");
  });

  it("ends the other sessions and remembered browsers, and keeps this one under a new cookie (R37, R47)", async () => {
    const { client, secret, userId } = await onAccountPage();
    const remembered = await rememberedBrowser("alice", secret);
    const other = await signInFully(t, "alice", secret);
    await client.get("/account");
    const before = sessionCookieOf(client)!;
    await client.post("/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: freshCode(secret) });
    expect(sessionCookieOf(client)!.value).not.toBe(before.value);
    expect(await opensAccount(other)).toBe(false);
    expect(await t.store.devices.listDevices(userId, t.clock.ms)).toEqual([]);
    expect(await passwordStepLeadsTo(remembered, "alice", NEW_PASSWORD)).toBe("/2fa");
  });

  it("answers 400 to a weak new password and changes nothing", async () => {
    const { client, secret, userId } = await onAccountPage();
    await rememberedBrowser("alice", secret);
    await signInFully(t, "alice", secret);
    await client.get("/account");
    const before = await accountState(userId);
    const res = await client.post("/account/password", { password: STRONG_PASSWORD, new_password: "password", otp: freshCode(secret) });
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toMatch(/password/i);
    // The step-up passed before the new password was refused, so only the code's step moved on.
    const { factor: factorAfter, ...after } = await accountState(userId);
    const { factor: factorBefore, ...rest } = before;
    expect(after).toEqual(rest);
    expect(factorAfter?.sealedSecret).toBe(factorBefore?.sealedSecret);
    expect(await passwordStepLeadsTo(t.client(), "alice", "password")).toBe(401);
  });

  it("answers 401 to a wrong current password and changes nothing", async () => {
    const { client, secret, userId } = await onAccountPage();
    await signInFully(t, "alice", secret);
    const before = await accountState(userId);
    const res = await client.post("/account/password", { password: "not-the-password-x", new_password: NEW_PASSWORD, otp: freshCode(secret) });
    expect(res.statusCode).toBe(401);
    expect(alertText(res.body)).toMatch(/password is not right/);
    expect(await accountState(userId)).toEqual(before);
  });

  it("refuses a request without otp for an enrolled user and changes nothing (R39)", async () => {
    const { client, secret, userId } = await onAccountPage();
    await signInFully(t, "alice", secret);
    const before = await accountState(userId);
    const res = await client.post("/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD });
    expect([400, 401]).toContain(res.statusCode);
    expect(await accountState(userId)).toEqual(before);
    expect(await passwordStepLeadsTo(t.client(), "alice", NEW_PASSWORD)).toBe(401);
  });

  it("accepts an unused recovery code in otp and uses it up", async () => {
    const { client, recoveryCodes, userId } = await onAccountPage();
    const res = await client.post("/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: recoveryCodes[2]! });
    expect(res.statusCode).toBe(303);
    expect(await t.store.recoveryCodes.listUnused(userId)).toHaveLength(9);
    await client.get("/account");
    const again = await client.post("/account/password", { password: NEW_PASSWORD, new_password: STRONG_PASSWORD, otp: recoveryCodes[2]! });
    expect(again.statusCode).toBe(401);
  });
});

describe("POST /account/devices/forget and /account/devices/forget-all", () => {
  it("forgets only the chosen browser", async () => {
    const { client, secret, userId } = await onAccountPage();
    const firefox = await rememberedBrowser("alice", secret, FIREFOX_LINUX);
    const safari = await rememberedBrowser("alice", secret, SAFARI_IOS);
    const page = await client.get("/account");
    const firefoxId = (await t.store.devices.listDevices(userId, t.clock.ms)).find((d) => d.label === "Firefox on Linux")!.id;
    expect(deviceIdsIn(page.body)).toContain(firefoxId);
    const res = await client.post("/account/devices/forget", { device_id: firefoxId });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect((await t.store.devices.listDevices(userId, t.clock.ms)).map((d) => d.label)).toEqual(["Safari on iOS"]);
    expect(await passwordStepLeadsTo(firefox, "alice")).toBe("/2fa");
    expect(await passwordStepLeadsTo(safari, "alice")).toBe("/");
  });

  it("never forgets another user's browser: bob's device id from alice's session changes nothing for bob (R39)", async () => {
    const alice = await onAccountPage("alice");
    const bob = await enrolledUser(t, "bob");
    const bobId = await userIdOf(t, "bob");
    const bobBrowser = await rememberedBrowser("bob", bob.secret);
    const [bobDevice] = await t.store.devices.listDevices(bobId, t.clock.ms);
    await alice.client.get("/account");
    const res = await alice.client.post("/account/devices/forget", { device_id: bobDevice!.id });
    expect(res.statusCode).not.toBe(500);
    expect(await t.store.devices.listDevices(bobId, t.clock.ms)).toEqual([bobDevice]);
    expect(await passwordStepLeadsTo(bobBrowser, "bob")).toBe("/");
    expect(await latestEvent(bobId, "device-forgotten")).toBeUndefined();
  });

  it("forget-all forgets every remembered browser of the user", async () => {
    const { client, secret, userId } = await onAccountPage();
    const firefox = await rememberedBrowser("alice", secret, FIREFOX_LINUX);
    const safari = await rememberedBrowser("alice", secret, SAFARI_IOS);
    await client.get("/account");
    const res = await client.post("/account/devices/forget-all", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(await t.store.devices.listDevices(userId, t.clock.ms)).toEqual([]);
    expect(await passwordStepLeadsTo(firefox, "alice")).toBe("/2fa");
    expect(await passwordStepLeadsTo(safari, "alice")).toBe("/2fa");
  });

  it("forget-all leaves another user's remembered browser alone", async () => {
    const { client } = await onAccountPage("alice");
    const bob = await enrolledUser(t, "bob");
    const bobBrowser = await rememberedBrowser("bob", bob.secret);
    await client.get("/account");
    await client.post("/account/devices/forget-all", {});
    expect(await passwordStepLeadsTo(bobBrowser, "bob")).toBe("/");
  });
});

describe("POST /account/sessions/end-others", () => {
  it("ends the user's other sessions and keeps this one", async () => {
    const { client, secret, userId } = await onAccountPage();
    const first = await signInFully(t, "alice", secret);
    const second = await signInFully(t, "alice", secret);
    await client.get("/account");
    const res = await client.post("/account/sessions/end-others", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(await opensAccount(first)).toBe(false);
    expect(await opensAccount(second)).toBe(false);
    expect(await opensAccount(client)).toBe(true);
    expect(await t.store.sessions.listUserSessions(userId, t.clock.ms, IDLE_MS)).toHaveLength(1);
  });

  it("leaves another user's sessions alone", async () => {
    const { client } = await onAccountPage("alice");
    const bob = await enrolledUser(t, "bob");
    const bobBrowser = await signInFully(t, "bob", bob.secret);
    await client.get("/account");
    await client.post("/account/sessions/end-others", {});
    expect(await opensAccount(bobBrowser)).toBe(true);
  });
});

/** Each /account POST with fields that would succeed for a signed-in alice. */
const ACCOUNT_POSTS: [string, (secret: string, codes: string[], deviceId: string) => Record<string, string>][] = [
  ["/account/2fa/disable", (secret) => ({ password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) })],
  ["/account/recovery-codes", (secret) => ({ otp: codeAt(secret, t.clock.ms) })],
  ["/account/2fa/reenroll", (secret) => ({ password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) })],
  ["/account/password", (secret) => ({ password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: codeAt(secret, t.clock.ms) })],
  ["/account/devices/forget", (_secret, _codes, deviceId) => ({ device_id: deviceId })],
  ["/account/devices/forget-all", () => ({})],
  ["/account/sessions/end-others", () => ({})],
];

describe("every /account POST (R39, R41)", () => {
  /** Alice signed in on the account page, with another session and a remembered browser to lose. */
  async function aliceWithSomethingToLose() {
    const alice = await onAccountPage();
    await rememberedBrowser("alice", alice.secret);
    await signInFully(t, "alice", alice.secret);
    await alice.client.get("/account");
    const [device] = await t.store.devices.listDevices(alice.userId, t.clock.ms);
    t.clock.advanceSeconds(30);
    return { ...alice, deviceId: device!.id };
  }

  it.each(ACCOUNT_POSTS)("%s answers 403 without the CSRF token and changes nothing", async (url, fields) => {
    const alice = await aliceWithSomethingToLose();
    const before = await accountState(alice.userId);
    const res = await alice.client.post(url, fields(alice.secret, alice.recoveryCodes, alice.deviceId), { csrf: null });
    expect(res.statusCode).toBe(403);
    expect(await accountState(alice.userId)).toEqual(before);
  });

  it.each(ACCOUNT_POSTS)("%s answers 403 with a wrong CSRF token and changes nothing", async (url, fields) => {
    const alice = await aliceWithSomethingToLose();
    const before = await accountState(alice.userId);
    const res = await alice.client.post(url, fields(alice.secret, alice.recoveryCodes, alice.deviceId), { csrf: "A".repeat(43) });
    expect(res.statusCode).toBe(403);
    expect(await accountState(alice.userId)).toEqual(before);
  });

  it.each(ACCOUNT_POSTS)("%s answers 403 to a foreign Origin and changes nothing", async (url, fields) => {
    const alice = await aliceWithSomethingToLose();
    const before = await accountState(alice.userId);
    const res = await alice.client.post(url, fields(alice.secret, alice.recoveryCodes, alice.deviceId), { origin: "https://evil.example" });
    expect(res.statusCode).toBe(403);
    expect(await accountState(alice.userId)).toEqual(before);
  });

  it.each(ACCOUNT_POSTS)("%s sends an anonymous visitor to the sign-in page (next: /account) and changes nothing", async (url, fields) => {
    const alice = await aliceWithSomethingToLose();
    const before = await accountState(alice.userId);
    const anonymous = t.client();
    await anonymous.get("/login");
    const res = await anonymous.post(url, fields(alice.secret, alice.recoveryCodes, alice.deviceId));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(ACCOUNT_LOGIN);
    expect(await accountState(alice.userId)).toEqual(before);
  });

  it.each(ACCOUNT_POSTS)("%s sends a password-only session to /2fa and changes nothing, even with a right code (R33)", async (url, fields) => {
    const alice = await aliceWithSomethingToLose();
    const pending = await pendingClient(t, "alice");
    const before = await accountState(alice.userId);
    const res = await pending.post(url, fields(alice.secret, alice.recoveryCodes, alice.deviceId));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect(await accountState(alice.userId)).toEqual(before);
  });
});

describe("the activity log (R53)", () => {
  const who = { remoteAddress: ADDRESS, userAgent: FIREFOX_LINUX };

  /** Alice on the account page with another session and a remembered browser, so every action has effects. */
  async function alice() {
    const signedIn = await onAccountPage();
    await rememberedBrowser("alice", signedIn.secret);
    await signInFully(t, "alice", signedIn.secret);
    await signedIn.client.get("/account");
    return signedIn;
  }

  const ACTIONS: [string, string, (a: SignedIn) => Promise<unknown>][] = [
    ["turning 2FA off", "two-factor-disabled", (a) => postAs(a.client, "/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(a.secret) }, who)],
    ["replacing recovery codes", "recovery-codes-regenerated", (a) => postAs(a.client, "/account/recovery-codes", { otp: freshCode(a.secret) }, who)],
    [
      "confirming a new phone",
      "two-factor-reenrolled",
      async (a) => {
        await postAs(a.client, "/account/2fa/reenroll", { password: STRONG_PASSWORD, otp: freshCode(a.secret) }, who);
        const newSecret = secretFromSetupPage((await a.client.get("/2fa/setup")).body);
        return postAs(a.client, "/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) }, who);
      },
    ],
    ["changing the password", "password-changed", (a) => postAs(a.client, "/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: freshCode(a.secret) }, who)],
    ["using a recovery code in otp", "recovery-code-used", (a) => postAs(a.client, "/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: a.recoveryCodes[0]! }, who)],
    [
      "a wrong code in otp",
      "second-factor-rejected",
      (a) => {
        t.clock.advanceSeconds(30);
        return postAs(a.client, "/account/2fa/disable", { password: STRONG_PASSWORD, otp: wrongCodeAt(a.secret, t.clock.ms) }, who);
      },
    ],
    [
      "forgetting a browser",
      "device-forgotten",
      async (a) => {
        const [device] = await t.store.devices.listDevices(a.userId, t.clock.ms);
        return postAs(a.client, "/account/devices/forget", { device_id: device!.id }, who);
      },
    ],
    ["forgetting all browsers", "device-forgotten", (a) => postAs(a.client, "/account/devices/forget-all", {}, who)],
    ["ending the other sessions", "sessions-ended", (a) => postAs(a.client, "/account/sessions/end-others", {}, who)],
  ];

  it.each(ACTIONS)("records %s as %s for that user with the client address and browser", async (_, type, act) => {
    const a = await alice();
    const before = (await eventsOf(a.userId)).filter((e) => e.type === type).length;
    await act(a);
    const matching = (await eventsOf(a.userId)).filter((e) => e.type === type);
    expect(matching.length).toBe(before + 1);
    expect(matching[0]).toMatchObject({ userId: a.userId, clientAddress: ADDRESS, userAgent: FIREFOX_LINUX });
  });

  it("shows an account action on the account page with its address and browser label", async () => {
    const a = await alice();
    await postAs(a.client, "/account/sessions/end-others", {}, who);
    const res = await a.client.get("/account");
    const firstRow = res.body.split('<tr class="event">')[1] ?? "";
    expect(firstRow).toContain("Other sessions signed out");
    expect(firstRow).toContain(ADDRESS);
    expect(firstRow).toContain("Firefox on Linux");
  });
});

describe("user notifications (R30)", () => {
  const DECLARED_FIELDS = ["at", "clientAddress", "detail", "id", "type", "userAgent", "userId", "username"];

  /** The notification names the user and carries none of their secrets. */
  function expectSafe(n: UserNotification, a: SignedIn, extraSecrets: string[] = []) {
    expect(n.username).toBe("alice");
    expect(n.userId).toBe(a.userId);
    expect(Object.keys(n).sort()).toEqual(DECLARED_FIELDS);
    const text = JSON.stringify(n);
    for (const secret of [a.secret, STRONG_PASSWORD, NEW_PASSWORD, ...a.recoveryCodes, ...extraSecrets]) {
      expect(text).not.toContain(secret);
    }
    for (const cookie of a.client.cookies.values()) expect(text).not.toContain(cookie);
  }

  it("tells the user that two-factor sign-in was turned off", async () => {
    const a = await onAccountPage();
    const otp = freshCode(a.secret);
    await a.client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp });
    expectSafe(await notificationOf("two-factor-disabled"), a, [otp]);
  });

  it("tells the user that the recovery codes were replaced, without the new codes", async () => {
    const a = await onAccountPage();
    const otp = freshCode(a.secret);
    await a.client.post("/account/recovery-codes", { otp });
    const fresh = recoveryCodesIn((await a.client.get("/2fa/recovery-codes")).body);
    expect(fresh).toHaveLength(10);
    expectSafe(await notificationOf("recovery-codes-regenerated"), a, [otp, ...fresh]);
  });

  it("tells the user that a new phone was set up, without its key", async () => {
    const a = await onAccountPage();
    await a.client.post("/account/2fa/reenroll", { password: STRONG_PASSWORD, otp: freshCode(a.secret) });
    const newSecret = secretFromSetupPage((await a.client.get("/2fa/setup")).body);
    await a.client.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expectSafe(await notificationOf("two-factor-reenrolled"), a, [newSecret]);
  });

  it("tells the user that the password was changed", async () => {
    const a = await onAccountPage();
    await a.client.post("/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: freshCode(a.secret) });
    expectSafe(await notificationOf("password-changed"), a);
  });

  it("tells the user that a recovery code was used to sign in, without the code (R23)", async () => {
    const a = await onAccountPage();
    expect((await recoverySignIn("alice", a.recoveryCodes[4]!)).statusCode).toBe(303);
    const n = await notificationOf("recovery-code-used");
    expectSafe(n, a);
    expect(n.detail).toEqual({ remaining: 9 });
  });

  it("tells the user that the second factor was locked after too many wrong codes", async () => {
    const a = await onAccountPage();
    t.clock.advanceSeconds(30);
    const pending = await pendingClient(t, "alice");
    for (let i = 0; i < 5; i++) await pending.post("/2fa", { otp: wrongCodeAt(a.secret, t.clock.ms) });
    expect((await pending.post("/2fa", { otp: codeAt(a.secret, t.clock.ms) })).statusCode).toBe(429);
    expectSafe(await notificationOf("second-factor-locked"), a, [codeAt(a.secret, t.clock.ms)]);
  });

  it("tells the user when the right password was followed by a wrong code", async () => {
    const a = await onAccountPage();
    t.clock.advanceSeconds(30);
    const pending = await pendingClient(t, "alice");
    const wrong = wrongCodeAt(a.secret, t.clock.ms);
    expect((await pending.post("/2fa", { otp: wrong })).statusCode).toBe(401);
    expectSafe(await notificationOf("second-factor-rejected"), a, [wrong]);
  });

  it("tells nobody else: bob hears nothing of alice's changes", async () => {
    const a = await onAccountPage("alice");
    await enrolledUser(t, "bob");
    await a.client.get("/account");
    await a.client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(a.secret) });
    await notificationOf("two-factor-disabled");
    expect(notifications.filter((n) => n.username === "bob" && n.type === "two-factor-disabled")).toEqual([]);
  });
});

describe("an unused recovery code in otp", () => {
  it("is refused once it was typed at /2fa/recovery", async () => {
    const { client, recoveryCodes, userId } = await onAccountPage();
    expect((await recoverySignIn("alice", recoveryCodes[1]!)).statusCode).toBe(303);
    await client.get("/account");
    const res = await client.post("/account/recovery-codes", { otp: recoveryCodes[1]! });
    expect(res.statusCode).toBe(401);
    expect(alertText(res.body)).toMatch(/recovery code/i);
    expect(await t.store.recoveryCodes.listUnused(userId)).toHaveLength(9);
  });

  it("that was never issued is refused with 401", async () => {
    const { client } = await onAccountPage();
    const res = await client.post("/account/recovery-codes", { otp: UNISSUED_RECOVERY_CODE });
    expect(res.statusCode).toBe(401);
  });
});
