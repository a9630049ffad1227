// Regression suite: taking over an account through its security settings.
//   - a stolen full-session cookie changing factors without the password and a current code
//     (CVE-2025-14427 Shield Security; MFA-CS "Changing MFA Factors"), R39
//   - a password-only session enrolling its own authenticator or reading a new key
//     (AthenaNetworks/mymate#42; jaredhanson/passport-totp#9), R25, R26, R33
//   - a second session riding the new-phone enrollment another session started, to read or
//     replace the new key and confirm it as its own, R25, R39
//   - sessions and remembered browsers surviving a factor change (CVE-2024-21722; scheb/2fa#126), R37, R47
//   - guessing or replaying codes through the step-up form instead of the sign-in challenge
//     (GitLab MR !92725; Gitea X-Gitea-OTP path), R6, R10, R14
//   - a standing "sudo" window after one step-up (caddy-security#271), R40
//   - cross-site form posts riding the victim's cookies, R41
//   - naming another user in the request (CVE-2025-14427 `active_wp_user`), R39
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp, type TestClient } from "../support/app.js";
import {
  codeAt,
  enroll,
  enrolledUser,
  pendingClient,
  recoveryCodesIn,
  requestWithCookie,
  secretFromSetupPage,
  sessionCookieOf,
  signInFully,
  STRONG_PASSWORD,
  userIdOf,
  wrongCodeAt,
} from "../http/helpers.js";

const NEW_PASSWORD = "copper-lantern-meadow-77";
const EVIL_ORIGIN = "https://evil.example";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

interface Victim {
  client: TestClient;
  secret: string;
  recoveryCodes: string[];
  userId: string;
}

/** Alice, enrolled and fully signed in, on her account page (CSRF loaded). */
async function victim(username = "alice"): Promise<Victim> {
  const client = t.client();
  const { secret, recoveryCodes } = await enroll(t, client, username);
  await client.get("/account");
  return { client, secret, recoveryCodes, userId: await userIdOf(t, username) };
}

/** A second browser holding a full session of the victim (a stolen or left-open session), on /account. */
async function hijackedSession(v: Victim): Promise<TestClient> {
  const client = await signInFully(t, "alice", v.secret);
  await client.get("/account");
  await v.client.get("/account");
  return client;
}

/** A browser holding an exact copy of the victim's current session cookie. */
function cookieThief(v: Victim): TestClient {
  const thief = t.client();
  for (const [name, value] of v.client.cookies) thief.cookies.set(name, value);
  thief.csrf = v.client.csrf;
  return thief;
}

function freshCode(secret: string): string {
  t.clock.advanceSeconds(30);
  return codeAt(secret, t.clock.ms);
}

/** A browser that once passed password + code with "remember", signed out. */
async function rememberedBrowser(secret: string): Promise<TestClient> {
  t.clock.advanceSeconds(30);
  const client = await pendingClient(t, "alice");
  expect((await client.post("/2fa", { otp: codeAt(secret, t.clock.ms), remember: "1" })).statusCode).toBe(303);
  await client.get("/");
  await client.post("/logout", {});
  return client;
}

async function passwordStepLeadsTo(client: TestClient, password = STRONG_PASSWORD) {
  await client.get("/login");
  const res = await client.post("/login", { username: "alice", password });
  return res.statusCode === 303 ? res.headers.location : res.statusCode;
}

async function factorOf(userId: string) {
  return (await t.store.totp.findFactor(userId))?.sealedSecret;
}

/** Starts a new phone in the victim's browser; returns the key her setup page shows. */
async function victimStartsNewPhone(v: Victim): Promise<string> {
  const res = await v.client.post("/account/2fa/reenroll", { password: STRONG_PASSWORD, otp: freshCode(v.secret) });
  expect(res.statusCode).toBe(303);
  return secretFromSetupPage((await v.client.get("/2fa/setup")).body);
}

describe("a stolen full session without the password (R39)", () => {
  it.each([
    ["/account/2fa/disable", (code: string) => ({ password: "guessed-password-1", otp: code })],
    ["/account/2fa/reenroll", (code: string) => ({ password: "guessed-password-1", otp: code })],
    ["/account/password", (code: string) => ({ password: "guessed-password-1", new_password: NEW_PASSWORD, otp: code })],
  ])("cannot use %s even with a phished current code", async (url, fields) => {
    const v = await victim();
    const thief = await hijackedSession(v);
    const factor = await factorOf(v.userId);
    const res = await thief.post(url, fields(freshCode(v.secret)));
    expect(res.statusCode).toBe(401);
    expect(await factorOf(v.userId)).toBe(factor);
    expect(await t.store.totp.listPendingEnrollments(v.userId, t.clock.ms)).toEqual([]);
    expect(await passwordStepLeadsTo(t.client())).toBe("/2fa");
  });

  it("cannot replace the recovery codes without a current code", async () => {
    const v = await victim();
    const thief = await hijackedSession(v);
    const before = (await t.store.recoveryCodes.listUnused(v.userId)).map((c) => c.id).sort();
    const res = await thief.post("/account/recovery-codes", { otp: "" });
    expect(res.statusCode).toBe(401);
    expect((await t.store.recoveryCodes.listUnused(v.userId)).map((c) => c.id).sort()).toEqual(before);
  });

  it("cannot replay the code the victim just typed at sign-in (R6)", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const userId = await userIdOf(t, "alice");
    const victimBrowser = await signInFully(t, "alice", secret);
    const observed = codeAt(secret, t.clock.ms);
    await victimBrowser.get("/account");
    const thief = t.client();
    for (const [name, value] of victimBrowser.cookies) thief.cookies.set(name, value);
    thief.csrf = victimBrowser.csrf;
    const before = (await t.store.recoveryCodes.listUnused(userId)).map((c) => c.id).sort();
    const res = await thief.post("/account/recovery-codes", { otp: observed });
    expect(res.statusCode).toBe(401);
    expect((await t.store.recoveryCodes.listUnused(userId)).map((c) => c.id).sort()).toEqual(before);
  });
});

describe("guessing codes through the step-up forms (R10, R14)", () => {
  it("5 wrong codes at /account lock the sign-in challenge too, from any address", async () => {
    const v = await victim();
    t.clock.advanceSeconds(30);
    for (let i = 0; i < 5; i++) {
      const res = await v.client.request({
        method: "POST",
        url: "/account/recovery-codes",
        remoteAddress: `192.0.2.${i + 1}`,
        payload: new URLSearchParams({ otp: wrongCodeAt(v.secret, t.clock.ms), _csrf: v.client.csrf! }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(res.statusCode, `guess #${i + 1}`).toBe(401);
    }
    const pending = await pendingClient(t, "alice");
    const res = await pending.post("/2fa", { otp: codeAt(v.secret, t.clock.ms) });
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("a locked account refuses the right code at /account as well", async () => {
    const v = await victim();
    t.clock.advanceSeconds(30);
    const pending = await pendingClient(t, "alice");
    for (let i = 0; i < 5; i++) await pending.post("/2fa", { otp: wrongCodeAt(v.secret, t.clock.ms) });
    const before = (await t.store.recoveryCodes.listUnused(v.userId)).map((c) => c.id).sort();
    const res = await v.client.post("/account/recovery-codes", { otp: codeAt(v.secret, t.clock.ms) });
    expect(res.statusCode).toBe(429);
    expect((await t.store.recoveryCodes.listUnused(v.userId)).map((c) => c.id).sort()).toEqual(before);
  });

  it("two sessions racing one code at /account/recovery-codes: exactly one replaces the codes (R6)", async () => {
    const v = await victim();
    const other = await hijackedSession(v);
    const otp = freshCode(v.secret);
    const results = await Promise.all([
      v.client.post("/account/recovery-codes", { otp }),
      other.post("/account/recovery-codes", { otp }),
    ]);
    const successes = results.filter((res) => res.statusCode === 303 && res.headers.location === "/2fa/recovery-codes");
    expect(successes).toHaveLength(1);
  });
});

describe("one step-up opens no window (R40)", () => {
  it("right after replacing the recovery codes, turning 2FA off still asks for a code", async () => {
    const v = await victim();
    expect((await v.client.post("/account/recovery-codes", { otp: freshCode(v.secret) })).statusCode).toBe(303);
    await v.client.get("/2fa/recovery-codes");
    await v.client.get("/account");
    const res = await v.client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: "" });
    expect([400, 401]).toContain(res.statusCode);
    expect(await factorOf(v.userId)).toBeDefined();
  });
});

describe("a recovery code typed at /account", () => {
  it("is used up for /2fa/recovery too (R20)", async () => {
    const v = await victim();
    const code = v.recoveryCodes[0]!;
    expect((await v.client.post("/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: code })).statusCode).toBe(303);
    const pending = t.client();
    await pending.get("/login");
    await pending.post("/login", { username: "alice", password: NEW_PASSWORD });
    await pending.get("/2fa");
    expect((await pending.post("/2fa/recovery", { recovery_code: code })).statusCode).toBe(401);
  });
});

describe("a password-only session during the victim's new-phone enrollment (R25, R26)", () => {
  it("is sent to /2fa and never shown the new key", async () => {
    const v = await victim();
    const newKey = await victimStartsNewPhone(v);
    const attacker = await pendingClient(t, "alice");
    const res = await attacker.get("/2fa/setup");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect(res.body).not.toContain(newKey);
  });

  it("cannot swap in a key of its own with POST /2fa/setup/new", async () => {
    const v = await victim();
    await victimStartsNewPhone(v);
    const pendingBefore = await t.store.totp.listPendingEnrollments(v.userId, t.clock.ms);
    const attacker = await pendingClient(t, "alice");
    const res = await attacker.post("/2fa/setup/new", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect(await t.store.totp.listPendingEnrollments(v.userId, t.clock.ms)).toEqual(pendingBefore);
  });

  it("cannot confirm the victim's new key even with a code of it", async () => {
    const v = await victim();
    const newKey = await victimStartsNewPhone(v);
    const factor = await factorOf(v.userId);
    const attacker = await pendingClient(t, "alice");
    const res = await attacker.post("/2fa/setup", { otp: codeAt(newKey, t.clock.ms) });
    expect(res.headers.location).not.toBe("/2fa/recovery-codes");
    expect(await factorOf(v.userId)).toBe(factor);
    expect((await attacker.get("/account")).statusCode).toBe(303);
  });
});

describe("another full session during the victim's new-phone enrollment (R25, R39)", () => {
  // enrollment.ts promises the new key only to "a full session with a new-phone enrollment it
  // started after re-authenticating"; any other session of the user must be sent to /account.
  it("is sent to /account and not shown the new key the victim's browser started", async () => {
    const v = await victim();
    const thief = await hijackedSession(v);
    const newKey = await victimStartsNewPhone(v);
    const res = await thief.get("/2fa/setup");
    expect.soft(res.statusCode).toBe(303);
    expect.soft(res.headers.location).toBe("/account");
    expect.soft(res.body).not.toContain('id="secret-key"');
    expect(res.body).not.toContain(newKey);
  });

  it("cannot replace the victim's pending key with one of its own (POST /2fa/setup/new)", async () => {
    const v = await victim();
    const thief = await hijackedSession(v);
    const newKey = await victimStartsNewPhone(v);
    await thief.get("/account");
    await thief.post("/2fa/setup/new", {});
    expect(secretFromSetupPage((await v.client.get("/2fa/setup")).body)).toBe(newKey);
  });

  it("cannot confirm a key of its own: the victim keeps her factor, her recovery codes and her session", async () => {
    const v = await victim();
    const thief = await hijackedSession(v);
    await victimStartsNewPhone(v);
    const factor = await factorOf(v.userId);
    const codes = (await t.store.recoveryCodes.listUnused(v.userId)).map((c) => c.id).sort();
    // Without re-authenticating, the thief asks for a new QR code and confirms it with its own app.
    await thief.get("/account");
    await thief.post("/2fa/setup/new", {});
    const page = await thief.get("/2fa/setup");
    const thiefKey = /id="secret-key">([^<]+)</.exec(page.body)?.[1]?.replace(/\s+/g, "");
    const confirm = await thief.post("/2fa/setup", { otp: thiefKey ? codeAt(thiefKey, t.clock.ms) : "000000" });
    expect.soft(confirm.headers.location).not.toBe("/2fa/recovery-codes");
    expect.soft(await factorOf(v.userId)).toBe(factor);
    expect.soft((await t.store.recoveryCodes.listUnused(v.userId)).map((c) => c.id).sort()).toEqual(codes);
    expect.soft(recoveryCodesIn((await thief.get("/2fa/recovery-codes")).body)).toEqual([]);
    expect((await v.client.get("/account")).statusCode).toBe(200);
  });
});

/** Each factor change, done by the victim in her own browser. */
const FACTOR_CHANGES: [string, (v: Victim) => Promise<void>][] = [
  [
    "turning 2FA off",
    async (v) => {
      expect((await v.client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(v.secret) })).statusCode).toBe(303);
    },
  ],
  [
    "replacing the recovery codes",
    async (v) => {
      expect((await v.client.post("/account/recovery-codes", { otp: freshCode(v.secret) })).statusCode).toBe(303);
    },
  ],
  [
    "setting up a new phone",
    async (v) => {
      const newKey = await victimStartsNewPhone(v);
      expect((await v.client.post("/2fa/setup", { otp: codeAt(newKey, t.clock.ms) })).statusCode).toBe(303);
    },
  ],
  [
    "changing the password",
    async (v) => {
      const res = await v.client.post("/account/password", { password: STRONG_PASSWORD, new_password: NEW_PASSWORD, otp: freshCode(v.secret) });
      expect(res.statusCode).toBe(303);
    },
  ],
];

describe("a factor change throws the attacker out (R37, R32)", () => {
  it.each(FACTOR_CHANGES)("after %s, the attacker's own full session opens nothing", async (_, change) => {
    const v = await victim();
    const thief = await hijackedSession(v);
    const stolen = sessionCookieOf(thief)!;
    await change(v);
    const res = await requestWithCookie(t, "/account", stolen);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2Faccount");
  });

  it.each(FACTOR_CHANGES)("after %s, a copy of the victim's own cookie opens nothing", async (_, change) => {
    const v = await victim();
    const copy = cookieThief(v);
    const stolen = sessionCookieOf(copy)!;
    await change(v);
    const res = await requestWithCookie(t, "/account", stolen);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2Faccount");
    expect((await v.client.get("/account")).statusCode).toBe(200);
  });
});

describe("a factor change forgets the attacker's remembered browser (R47)", () => {
  it.each(FACTOR_CHANGES.filter(([name]) => name !== "turning 2FA off"))(
    "after %s, the remembered browser is asked for a code",
    async (name, change) => {
      const v = await victim();
      const attackerBrowser = await rememberedBrowser(v.secret);
      await v.client.get("/account");
      await change(v);
      const password = name === "changing the password" ? NEW_PASSWORD : STRONG_PASSWORD;
      expect(await passwordStepLeadsTo(attackerBrowser, password)).toBe("/2fa");
    },
  );

  it("after turning 2FA off and on again, the remembered browser is asked for a code", async () => {
    const v = await victim();
    const attackerBrowser = await rememberedBrowser(v.secret);
    await v.client.get("/account");
    await v.client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(v.secret) });
    const newKey = secretFromSetupPage((await v.client.get("/2fa/setup")).body);
    expect((await v.client.post("/2fa/setup", { otp: codeAt(newKey, t.clock.ms) })).statusCode).toBe(303);
    expect(await passwordStepLeadsTo(attackerBrowser)).toBe("/2fa");
  });
});

describe("cross-site posts riding the victim's cookies (R41)", () => {
  it("refuses a disable posted from another origin, even with the right password, code and token", async () => {
    const v = await victim();
    const res = await v.client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(v.secret) }, { origin: EVIL_ORIGIN });
    expect(res.statusCode).toBe(403);
    expect(await factorOf(v.userId)).toBeDefined();
  });

  it("refuses a password change whose Referer is another site and which carries no Origin", async () => {
    const v = await victim();
    const res = await v.client.request({
      method: "POST",
      url: "/account/password",
      payload: new URLSearchParams({
        password: STRONG_PASSWORD,
        new_password: NEW_PASSWORD,
        otp: freshCode(v.secret),
        _csrf: v.client.csrf!,
      }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", referer: `${EVIL_ORIGIN}/win-a-prize` },
    });
    expect(res.statusCode).toBe(403);
    expect(await passwordStepLeadsTo(t.client(), STRONG_PASSWORD)).toBe("/2fa");
  });
});

describe("naming another user in the request (R39)", () => {
  it("a username or user_id field naming bob in alice's disable request leaves bob's 2FA on", async () => {
    const alice = await victim("alice");
    const bob = await enrolledUser(t, "bob");
    const bobId = await userIdOf(t, "bob");
    const bobFactor = await factorOf(bobId);
    await alice.client.get("/account");
    await alice.client.post("/account/2fa/disable", {
      password: STRONG_PASSWORD,
      otp: freshCode(alice.secret),
      username: "bob",
      user_id: bobId,
    });
    expect(await factorOf(bobId)).toBe(bobFactor);
    expect(bob.secret).toBeDefined();
  });

  it("alice cannot turn off bob's 2FA with bob's password and code from her own session", async () => {
    const alice = await victim("alice");
    const bob = await enrolledUser(t, "bob");
    const bobId = await userIdOf(t, "bob");
    const bobFactor = await factorOf(bobId);
    await alice.client.get("/account");
    const res = await alice.client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: freshCode(bob.secret) });
    // Both accounts share STRONG_PASSWORD here; the code is bob's, so alice's step-up must fail.
    expect(res.statusCode).toBe(401);
    expect(await factorOf(bobId)).toBe(bobFactor);
    expect(await factorOf(alice.userId)).toBeDefined();
  });
});
