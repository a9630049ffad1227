// Contract, Administration: what `gatehouse user disable|enable|password|sign-out` do to the web
// side, through the same core the CLI calls (services.admin). The CLI itself is covered by
// test/cli/admin.test.ts against a real server process.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import { buildTestApp, type TestApp, type TestClient } from "../support/app.js";
import { codeAt, enroll, pendingClient, sessionCookieOf, sessionExists, signInFully, STRONG_PASSWORD, userIdOf } from "./helpers.js";

const NEW_PASSWORD = "copper-lantern-meadow-77";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

async function login(client: TestClient, username: string, password: string) {
  await client.get("/login");
  return client.post("/login", { username, password });
}

/** Alice enrolled, with a full session, a password-only one and a remembered (signed-out) browser. */
async function aliceEverywhere() {
  const { secret } = await enroll(t, t.client(), "alice");
  const full = await signInFully(t, "alice", secret);
  t.clock.advanceSeconds(30);
  const remembered = await pendingClient(t, "alice");
  expect((await remembered.post("/2fa", { otp: codeAt(secret, t.clock.ms), remember: "1" })).statusCode).toBe(303);
  await remembered.get("/"); // the full session's page, for its CSRF token
  await remembered.post("/logout", {});
  const pending = await pendingClient(t, "alice");
  return { secret, full, pending, remembered, userId: await userIdOf(t, "alice") };
}

describe("gatehouse user disable / enable", () => {
  it("ends every session at once; the right password answers 403 with a page saying so, a wrong one 401", async () => {
    const { full, pending, userId } = await aliceEverywhere();
    const tokens = [sessionCookieOf(full)!.value, sessionCookieOf(pending)!.value];
    expect(await t.services.admin.disable(userId, CLI_ORIGIN)).toEqual({ changed: true, sessionsEnded: 3 });

    for (const token of tokens) expect(await sessionExists(t, token)).toBe(false);
    expect((await full.get("/")).headers.location).toMatch(/^\/login/);

    const right = await login(t.client(), "alice", STRONG_PASSWORD);
    expect(right.statusCode).toBe(403);
    expect(right.body).toContain("Account disabled");
    expect(right.body).toContain("This account is disabled.");
    expect(right.headers["set-cookie"] ?? "").not.toMatch(/gatehouse_session=[^;]/);
    expect((await login(t.client(), "alice", "wrong-password-123")).statusCode).toBe(401);
    expect((await login(t.client(), "nobody", STRONG_PASSWORD)).statusCode).toBe(401);

    const refused = (await t.store.events.listEvents({ userId, limit: 5 })).filter((e) => e.type === "disabled-account-refused");
    expect(refused).toHaveLength(1);
  });

  it("a session that outlived the disabling opens nothing (the per-request lookup checks the user)", async () => {
    const { full, userId } = await aliceEverywhere();
    // Only the flag, as if ending the sessions had not happened.
    expect(await t.store.users.setDisabled(userId, t.clock.ms)).toBe(true);
    const res = await full.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
  });

  it("enabling lets the password in again with a new sign-in; remembered browsers still need the code", async () => {
    const { full, remembered, userId, secret } = await aliceEverywhere();
    await t.services.admin.disable(userId, CLI_ORIGIN);
    expect(await t.services.admin.disable(userId, CLI_ORIGIN)).toEqual({ changed: false, sessionsEnded: 0 });
    expect(await t.services.admin.enable(userId, CLI_ORIGIN)).toBe(true);
    expect(await t.services.admin.enable(userId, CLI_ORIGIN)).toBe(false);

    expect((await full.get("/")).headers.location).toMatch(/^\/login/);
    expect((await login(remembered, "alice", STRONG_PASSWORD)).headers.location).toBe("/2fa");
    await remembered.get("/2fa");
    t.clock.advanceSeconds(30);
    expect((await remembered.post("/2fa", { otp: codeAt(secret, t.clock.ms) })).statusCode).toBe(303);
    expect((await remembered.get("/")).body).toContain("Signed in as alice");

    const types = (await t.store.events.listEvents({ userId, limit: 20 })).map((e) => e.type);
    expect(types.filter((type) => type.startsWith("admin-user-"))).toEqual(["admin-user-enabled", "admin-user-disabled"]);
  });
});

describe("gatehouse user password", () => {
  it("sets a password under the registration's rules; the old one fails, sessions and remembered browsers end", async () => {
    const { full, pending, remembered, userId } = await aliceEverywhere();
    const alice = (await t.store.users.findUserById(userId))!;
    await expect(t.services.admin.setPassword(alice, "password", CLI_ORIGIN)).rejects.toMatchObject({ code: "WEAK_PASSWORD" });
    expect((await login(t.client(), "alice", STRONG_PASSWORD)).statusCode).toBe(303); // unchanged so far

    expect(await t.services.admin.setPassword(alice, NEW_PASSWORD, CLI_ORIGIN)).toBe(4);
    for (const client of [full, pending]) expect((await client.get("/")).headers.location).toMatch(/^\/login/);
    expect((await login(t.client(), "alice", STRONG_PASSWORD)).statusCode).toBe(401);
    expect((await login(remembered, "alice", NEW_PASSWORD)).headers.location).toBe("/2fa");
    const [latest] = await t.store.events.listEvents({ userId, limit: 1 });
    expect(latest).toMatchObject({ type: "password-accepted" });
    const admin = (await t.store.events.listEvents({ userId, limit: 10 })).find((e) => e.type === "admin-password-set");
    expect(admin).toMatchObject({ userAgent: "gatehouse-cli", detail: { sessionsEnded: 4 } });
  });
});

describe("gatehouse user sign-out", () => {
  it("ends every session of the user, full and password-only, and no other user's", async () => {
    const { full, pending, userId } = await aliceEverywhere();
    const { secret: bobSecret } = await enroll(t, t.client(), "bob");
    const bob = await signInFully(t, "bob", bobSecret);
    expect(await t.services.admin.signOut(userId, CLI_ORIGIN)).toBe(3);
    for (const client of [full, pending]) expect((await client.get("/")).headers.location).toMatch(/^\/login/);
    expect((await bob.get("/")).body).toContain("Signed in as bob");
    expect(await t.services.admin.signOut(userId, CLI_ORIGIN)).toBe(0);
  });
});
