// Regression suite (security review F1, S4): a known-password attacker reads, plants, or
// confirms first the victim's setup key. While an account has no active factor (a new account,
// 2FA turned off at /account, an admin's reset-2fa), anyone with the password reaches
// /2fa/setup. When the pending key was the account's, shared by every session, the attacker
//   - read the key the victim was scanning: a working code generator forever;
//   - planted a key by opening /2fa/setup first: the victim then scanned the attacker's key;
//   - confirmed first: the attacker got the recovery codes, and the victim's confirmation
//     silently landed on /2fa;
// and a new-phone session's error page showed another session's key (S4). Contract (/2fa/setup):
// the key belongs to the session that shows it; the first confirmation wins and discards the
// other sessions' keys.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import { buildTestApp, type TestApp, type TestClient } from "../support/app.js";
import {
  codeAt,
  enroll,
  recoveryCodesIn,
  secretFromSetupPage,
  signInFully,
  signInPassword,
  STRONG_PASSWORD,
  userIdOf,
  wrongCodeAt,
} from "../http/helpers.js";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

/** The key this session's setup page shows. */
async function shownKey(client: TestClient): Promise<string> {
  const page = await client.get("/2fa/setup");
  expect(page.statusCode).toBe(200);
  return secretFromSetupPage(page.body);
}

/** A new browser that signs in with the password and lands on the setup page. */
async function passwordOnly(): Promise<TestClient> {
  const client = t.client();
  const res = await signInPassword(client, "victim");
  expect(res.headers.location).toBe("/2fa/setup");
  return client;
}

const confirm = (client: TestClient, key: string) => client.post("/2fa/setup", { otp: codeAt(key, t.clock.ms) });

/** A right code of `key` at the sign-in challenge, one step later (R6), from a new browser. */
async function signsInWith(key: string): Promise<boolean> {
  t.clock.advanceSeconds(30);
  const client = t.client();
  await signInPassword(client, "victim");
  return (await client.post("/2fa", { otp: codeAt(key, t.clock.ms) })).statusCode === 303;
}

/**
 * The account states in which the password alone reaches /2fa/setup: each makes the victim's
 * own session, about to open the setup page, and says where that session belongs once the
 * account is enrolled (a password-only session at the code step, a full one at /account).
 */
const unenrolledStates: [string, () => Promise<TestClient>, string][] = [
  [
    "a new account (the victim's session from /register)",
    async () => {
      const victim = t.client();
      await victim.get("/register");
      const res = await victim.post("/register", { username: "victim", password: STRONG_PASSWORD });
      expect(res.headers.location).toBe("/2fa/setup");
      return victim;
    },
    "/2fa",
  ],
  [
    "2FA turned off at /account (the victim's full session goes on)",
    async () => {
      const victim = t.client();
      const { secret } = await enroll(t, victim, "victim");
      t.clock.advanceSeconds(30);
      await victim.get("/account");
      const res = await victim.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) });
      expect(res.statusCode).toBe(303);
      return victim;
    },
    "/account",
  ],
  [
    "an admin's reset-2fa",
    async () => {
      await enroll(t, t.client(), "victim");
      expect(await t.services.twoFactor.disable(await userIdOf(t, "victim"), CLI_ORIGIN)).toBe(true);
      return passwordOnly();
    },
    "/2fa",
  ],
];

describe.each(unenrolledStates)("F1 after %s", (_, victimSession, whereVictimBelongs) => {
  it("each session is shown its own key, the same on every reload (read)", async () => {
    const victim = await victimSession();
    const victimKey = await shownKey(victim);
    const attacker = await passwordOnly();
    const attackerKey = await shownKey(attacker);
    expect(attackerKey).not.toBe(victimKey);
    expect(await shownKey(victim)).toBe(victimKey);
    expect(await shownKey(attacker)).toBe(attackerKey);
    expect(await shownKey(await passwordOnly())).not.toMatch(new RegExp(`^(${victimKey}|${attackerKey})$`));
  });

  it("a code of one session's key never confirms another session's enrollment", async () => {
    const victim = await victimSession();
    const victimKey = await shownKey(victim);
    const attacker = await passwordOnly();
    const attackerKey = await shownKey(attacker);
    const stolen = await confirm(attacker, victimKey);
    expect(stolen.statusCode).toBe(401);
    expect(secretFromSetupPage(stolen.body)).toBe(attackerKey);
    expect((await confirm(victim, attackerKey)).statusCode).toBe(401);
    expect(await t.services.twoFactor.isEnrolled(await userIdOf(t, "victim"))).toBe(false);
    expect((await confirm(victim, victimKey)).headers.location).toBe("/2fa/recovery-codes");
    expect(recoveryCodesIn((await victim.get("/2fa/recovery-codes")).body)).toHaveLength(10);
  });

  it("a key planted before the victim opens the setup page is never shown to the victim (plant)", async () => {
    const victim = await victimSession();
    const attacker = await passwordOnly();
    const plantedKey = await shownKey(attacker);
    const victimKey = await shownKey(victim);
    expect(victimKey).not.toBe(plantedKey);
    expect((await confirm(victim, victimKey)).headers.location).toBe("/2fa/recovery-codes");
    expect(await signsInWith(plantedKey)).toBe(false);
    expect(await signsInWith(victimKey)).toBe(true);
  });

  it("the first confirmation wins: the other session's later one fails cleanly, without recovery codes (confirm first)", async () => {
    const victim = await victimSession();
    const victimKey = await shownKey(victim);
    const attacker = await passwordOnly();
    const attackerKey = await shownKey(attacker);
    expect((await confirm(attacker, attackerKey)).headers.location).toBe("/2fa/recovery-codes");
    expect(recoveryCodesIn((await attacker.get("/2fa/recovery-codes")).body)).toHaveLength(10);

    // The victim's key was discarded: its confirmation is sent where the session belongs now.
    const late = await confirm(victim, victimKey);
    expect(late.statusCode).toBe(303);
    expect(late.headers.location).toBe(whereVictimBelongs);
    expect(late.body).not.toContain(victimKey);
    const codesPage = await victim.get("/2fa/recovery-codes");
    expect(recoveryCodesIn(codesPage.body)).toEqual([]);
    expect(await signsInWith(victimKey)).toBe(false);
    expect(await signsInWith(attackerKey)).toBe(true);
    expect(await t.store.totp.listPendingEnrollments(await userIdOf(t, "victim"), t.clock.ms)).toEqual([]);
  });
});

describe("S4: a new-phone session's form error shows only its own key", () => {
  it("after another session started its own new phone, a wrong code re-renders this session's key and a right one confirms it", async () => {
    const { secret } = await enroll(t, t.client(), "victim");
    const first = await signInFully(t, "victim", secret);
    const second = await signInFully(t, "victim", secret);

    const startNewPhone = async (client: TestClient) => {
      t.clock.advanceSeconds(30);
      await client.get("/account");
      const res = await client.post("/account/2fa/reenroll", { password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) });
      expect(res.headers.location).toBe("/2fa/setup");
      return shownKey(client);
    };
    const firstKey = await startNewPhone(first);
    const secondKey = await startNewPhone(second);
    expect(secondKey).not.toBe(firstKey);

    const wrong = await first.post("/2fa/setup", { otp: wrongCodeAt(firstKey, t.clock.ms) });
    expect(wrong.statusCode).toBe(401);
    expect(secretFromSetupPage(wrong.body)).toBe(firstKey);
    expect(wrong.body).not.toContain(secondKey);
    expect((await confirm(first, firstKey)).headers.location).toBe("/2fa/recovery-codes");
    expect(await signsInWith(firstKey)).toBe(true);
  });
});
