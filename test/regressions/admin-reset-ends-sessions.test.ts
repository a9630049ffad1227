// Regression suite (security review F3): `gatehouse user reset-2fa` ended no session.
//   - a phone thief's full session kept working after the owner had the lost phone's
//     authenticator reset (CVE-2024-21722 class: sessions surviving a factor change), R37
//   - an attacker's password-only session, opened before the reset, went on to enroll the
//     attacker's own key and became a full session: the account's "new" second factor was the
//     attacker's, R25, R33
//   - the second-factor lock (also the hard one after 100 failures) outlived the reset, so the
//     owner could not enroll until a separate `gatehouse user unlock`, R12
// The admin action runs through the same core the CLI calls (services.admin).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import { buildTestApp, type TestApp, type TestClient } from "../support/app.js";
import { REDIS_TEST_URL, scratchPrefix } from "../support/redis.js";
import {
  codeAt,
  enroll,
  pendingClient,
  secretFromSetupPage,
  sessionCookieOf,
  sessionExists,
  signInFully,
  signInPassword,
  userIdOf,
  wrongCodeAt,
} from "../http/helpers.js";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

/** Every way a session could still open something: the home page, the challenge, the setup key. */
async function expectOpensNothing(client: TestClient) {
  const token = sessionCookieOf(client)!.value;
  expect(await sessionExists(t, token)).toBe(false);
  for (const path of ["/", "/account", "/2fa", "/2fa/setup"]) {
    const res = await client.get(path);
    expect(res.statusCode, path).toBe(303);
    expect(res.headers.location, path).toMatch(/^\/login/);
    expect(res.body, path).not.toContain('id="secret-key"');
  }
}

describe("F3: gatehouse user reset-2fa ends every session and lifts the lock", () => {
  it("a thief's full session and an attacker's password-only session open nothing afterwards, and the attacker cannot enroll a key", async () => {
    const owner = t.client();
    const { secret } = await enroll(t, owner, "alice");
    const thief = await signInFully(t, "alice", secret);
    expect((await thief.get("/")).body).toContain("Signed in as alice");
    const attacker = await pendingClient(t, "alice");
    const thiefToken = sessionCookieOf(thief)!.value;
    const attackerCookie = sessionCookieOf(attacker)!;
    const attackerCSRF = attacker.csrf;

    const userId = await userIdOf(t, "alice");
    expect(await t.services.admin.resetTwoFactor(userId, CLI_ORIGIN)).toEqual({ hadFactor: true, sessionsEnded: 3 });

    await expectOpensNothing(owner);
    await expectOpensNothing(thief);
    await expectOpensNothing(attacker);
    // The attacker's old cookie and CSRF token, replayed as they were, confirm no key of theirs.
    attacker.cookies.set(attackerCookie.name, attackerCookie.value);
    attacker.csrf = attackerCSRF;
    const confirm = await attacker.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    expect(confirm.headers.location ?? "").not.toBe("/2fa/recovery-codes");
    expect(await t.services.twoFactor.isEnrolled(userId)).toBe(false);
    expect(await sessionExists(t, thiefToken)).toBe(false);

    const events = await t.store.events.listEvents({ userId, limit: 1 });
    expect(events[0]).toMatchObject({ type: "admin-reset-2fa", userAgent: "gatehouse-cli", detail: { hadFactor: true, sessionsEnded: 3 } });
  });

  it("a locked second factor is unlocked: the owner enrolls right away after the reset", async () => {
    const { secret } = await enroll(t, t.client(), "alice");
    t.clock.advanceSeconds(30);
    const guesser = await pendingClient(t, "alice");
    for (let i = 0; i < 5; i++) expect((await guesser.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) })).statusCode).toBe(401);
    expect((await guesser.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) })).statusCode).toBe(429);

    await t.services.admin.resetTwoFactor(await userIdOf(t, "alice"), CLI_ORIGIN);

    const owner = t.client();
    expect((await signInPassword(owner, "alice")).headers.location).toBe("/2fa/setup");
    const newSecret = secretFromSetupPage((await owner.get("/2fa/setup")).body);
    const confirmed = await owner.post("/2fa/setup", { otp: codeAt(newSecret, t.clock.ms) });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe("/2fa/recovery-codes");
  });

  it.each([
    ["the database", {}],
    ["Redis (REDIS_URL)", { redisURL: REDIS_TEST_URL, redisKeyPrefix: scratchPrefix() }],
  ])("the hard lock after 100 failures is lifted too, with the counters in %s", async (_, settings) => {
    await t.close();
    t = await buildTestApp(settings);
    await enroll(t, t.client(), "alice");
    const userId = await userIdOf(t, "alice");
    const throttle = t.services.throttles.secondFactor;
    let at = t.clock.ms;
    for (let i = 0; i < 100; i++, at += 2 * 86_400_000) expect((await throttle.charge(userId, at)).allowed).toBe(true);
    expect((await throttle.status(userId)).hardLocked).toBe(true);

    await t.services.admin.resetTwoFactor(userId, CLI_ORIGIN);

    expect(await throttle.status(userId)).toEqual({ consecutiveFailures: 0, lockedUntil: 0, hardLocked: false });
    expect((await throttle.charge(userId, at)).allowed).toBe(true);
  });
});
