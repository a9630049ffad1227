// Regression suite: a password sign-in in flight while an administrator runs `gatehouse user
// password` or `gatehouse user disable` kept a session. The sign-in checked the old password
// (an Argon2 verify, tens to hundreds of milliseconds in production) against the account as it
// was before the action, the action ended every session, and the sign-in's session was written
// after that: it outlived the password reset (with the code, a full session), and the disable
// too, waking when the account was enabled again. A right password is refunded by the throttle,
// so an attacker holding the old password can keep a sign-in in flight at all times.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import { createPasswordHasher } from "../../src/core/password.js";
import { buildTestApp, TEST_ARGON2, type TestApp } from "../support/app.js";
import { codeAt, enrolledUser, STRONG_PASSWORD, userIdOf } from "../http/helpers.js";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

/**
 * Starts a sign-in of alice with her current password and runs `action` while that sign-in is
 * between reading the account and starting its session; returns the sign-in's answer.
 */
async function signInAcross(action: () => Promise<unknown>) {
  const users = t.store.users;
  const lookup = users.findUserByUsernameKey.bind(users);
  let reached!: () => void;
  const atLookup = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  users.findUserByUsernameKey = async (key) => {
    const user = await lookup(key);
    users.findUserByUsernameKey = lookup;
    reached();
    await released;
    return user;
  };
  const attacker = t.client();
  await attacker.get("/login");
  const answer = attacker.post("/login", { username: "alice", password: STRONG_PASSWORD });
  await atLookup;
  await action();
  release();
  return { attacker, res: await answer };
}

const liveSessions = async (userId: string) => (await t.store.sessions.listUserSessions(userId, t.clock.ms, 30 * 60_000)).length;

describe("a sign-in racing an administrator's action keeps no session", () => {
  it("a password sign-in in flight across 'user password' gets no session, and its code opens nothing", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const id = await userIdOf(t, "alice");
    const user = (await t.store.users.findUserById(id))!;
    const { attacker, res } = await signInAcross(() => t.services.admin.setPassword(user, "a-brand-new-password-77", CLI_ORIGIN));
    expect(res.statusCode).toBe(401);
    expect(await liveSessions(id)).toBe(0);
    t.clock.advanceSeconds(30);
    await attacker.get("/2fa");
    await attacker.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect((await attacker.get("/account")).headers.location).toMatch(/^\/login/);
  });

  it("a password sign-in in flight across 'user disable' gets no session that wakes at 'user enable'", async () => {
    await enrolledUser(t, "alice");
    const id = await userIdOf(t, "alice");
    const { res } = await signInAcross(() => t.services.admin.disable(id, CLI_ORIGIN));
    expect(res.statusCode).toBe(403);
    await t.services.admin.enable(id, CLI_ORIGIN);
    expect(await liveSessions(id)).toBe(0);
  });

  it("a sign-in whose password hash is upgraded on the way in (R42) still gets its session", async () => {
    await enrolledUser(t, "alice");
    const id = await userIdOf(t, "alice");
    const older = createPasswordHasher({ ...TEST_ARGON2, timeCost: TEST_ARGON2.timeCost + 1 });
    await t.store.users.updatePasswordHash(id, await older.hash(STRONG_PASSWORD));
    const client = t.client();
    await client.get("/login");
    const res = await client.post("/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect((await t.store.users.findUserById(id))!.passwordHash).toContain("t=1,");
  });

  it("a sign-in in flight whose hash needs an upgrade never overwrites the password an administrator set meanwhile", async () => {
    await enrolledUser(t, "alice");
    const id = await userIdOf(t, "alice");
    const older = createPasswordHasher({ ...TEST_ARGON2, timeCost: TEST_ARGON2.timeCost + 1 });
    await t.store.users.updatePasswordHash(id, await older.hash(STRONG_PASSWORD));
    const user = (await t.store.users.findUserById(id))!;
    const { res } = await signInAcross(() => t.services.admin.setPassword(user, "a-brand-new-password-77", CLI_ORIGIN));
    expect(res.statusCode).toBe(401);
    // The administrator's password is the one that works; the old one no longer does.
    const owner = t.client();
    await owner.get("/login");
    expect((await owner.post("/login", { username: "alice", password: "a-brand-new-password-77" })).statusCode).toBe(303);
    const thief = t.client();
    await thief.get("/login");
    expect((await thief.post("/login", { username: "alice", password: STRONG_PASSWORD })).statusCode).toBe(401);
  });
});
