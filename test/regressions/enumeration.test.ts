// Regression suite: learning about accounts without their credentials, and skipping steps.
//   - account enumeration through /login answers or timing (authelia#949, keycloak#51887), R44
//   - a password-only session enrolling its own authenticator over the victim's (mymate#42), R26
//   - a password-only or anonymous visitor reaching a later step of the flow (R33, R55)
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, register, type TestApp } from "../support/app.js";
import {
  alertText,
  codeAt,
  enrolledUser,
  getFrom,
  normalizePage,
  pendingClient,
  postFrom,
  registerOnly,
  sessionCookieSet,
  signInPassword,
  userIdOf,
} from "../http/helpers.js";

let t: TestApp;
afterEach(() => t?.close());

const WRONG = "not-the-password-at-all";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe("R44: /login answers alike for unknown users and wrong passwords", () => {
  it("gives the same status and message", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const known = await signInPassword(t.client(), "alice", WRONG);
    const unknown = await signInPassword(t.client(), "nobody", WRONG);
    expect(unknown.statusCode).toBe(401);
    expect(known.statusCode).toBe(401);
    expect(alertText(unknown.body)).toBe(alertText(known.body));
  });

  it("gives the same page apart from the echoed username and the CSRF token", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const known = await signInPassword(t.client(), "alice", WRONG);
    const unknown = await signInPassword(t.client(), "nobod", WRONG);
    expect(normalizePage(unknown.body, ["nobod"])).toBe(normalizePage(known.body, ["alice"]));
  });

  it("gives the same header names and no cookie in either case", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const known = await signInPassword(t.client(), "alice", WRONG);
    const unknown = await signInPassword(t.client(), "nobody", WRONG);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(known.headers).sort());
    expect(sessionCookieSet(known)).toBeUndefined();
    expect(sessionCookieSet(unknown)).toBeUndefined();
  });

  it("gives the same page for a wrong password whether or not the account has a second factor", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    await registerOnly(t.client(), "carol");
    const enrolled = await signInPassword(t.client(), "alice", WRONG);
    const unenrolled = await signInPassword(t.client(), "carol", WRONG);
    expect(unenrolled.statusCode).toBe(enrolled.statusCode);
    expect(normalizePage(unenrolled.body, ["carol"])).toBe(normalizePage(enrolled.body, ["alice"]));
  });

  it("gives the same answer for a username that cannot exist (bad characters)", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const known = await signInPassword(t.client(), "alice", WRONG);
    const impossible = await signInPassword(t.client(), "no body!", WRONG);
    expect(impossible.statusCode).toBe(401);
    expect(alertText(impossible.body)).toBe(alertText(known.body));
  });

  it("spends a real password verification on an unknown user: its median time is not far below a wrong password's", async () => {
    // The production argon2 parameters (R42), so the hash dominates the request overhead: a dummy
    // verify that fails fast, or none at all, makes unknown users several times quicker.
    t = await buildTestApp({ argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 } });
    await registerOnly(t.client(), "alice");
    const timeLogin = async (username: string, address: string) => {
      const client = t.client();
      await getFrom(client, address, "/login");
      const started = performance.now();
      const res = await postFrom(client, address, "/login", { username, password: WRONG });
      const elapsed = performance.now() - started;
      expect(res.statusCode).toBe(401);
      return elapsed;
    };
    await timeLogin("warmup-unknown", "192.0.2.250");
    await timeLogin("alice", "192.0.2.251");
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 15; i++) {
      unknown.push(await timeLogin(`ghost${i}`, `192.0.2.${i + 1}`));
      known.push(await timeLogin("alice", `192.0.2.${i + 1}`));
    }
    expect(median(unknown)).toBeGreaterThanOrEqual(median(known) / 3);
  });
});

describe("R26: a password-only session of an enrolled account cannot enroll", () => {
  it("is sent from GET /2fa/setup to /2fa without any key", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.get("/2fa/setup");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect(res.body).not.toContain("secret-key");
    expect(res.body).not.toContain("otpauth:");
  });

  it("is sent from POST /2fa/setup/new to /2fa and no new secret is stored", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const userId = await userIdOf(t, "alice");
    const factor = await t.store.totp.findFactor(userId);
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa/setup/new", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect(await t.store.totp.listPendingEnrollments(userId, t.clock.ms)).toEqual([]);
    expect(await t.store.totp.findFactor(userId)).toEqual(factor);
  });

  it("is sent from POST /2fa/setup to /2fa: no sign-in, no new recovery codes, factor unchanged", async () => {
    t = await buildTestApp();
    const { secret } = await enrolledUser(t, "alice");
    const userId = await userIdOf(t, "alice");
    const factor = await t.store.totp.findFactor(userId);
    const codesBefore = await t.store.recoveryCodes.listUnused(userId);
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
    expect((await client.get("/")).headers.location).toBe("/2fa");
    expect(await t.store.totp.findFactor(userId)).toEqual(factor);
    expect(await t.store.recoveryCodes.listUnused(userId)).toEqual(codesBefore);
  });

  it("cannot see recovery codes", async () => {
    t = await buildTestApp();
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.get("/2fa/recovery-codes");
    expect(res.statusCode).toBe(303);
    expect(res.body).not.toContain("recovery-code");
  });
});

describe("R55: steps are taken in order", () => {
  it("a password-only session of an unenrolled account posting to /2fa is sent to /2fa/setup, not signed in", async () => {
    t = await buildTestApp();
    const client = t.client();
    await register(client, "alice");
    const res = await client.post("/2fa", { otp: "123456" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
    expect((await client.get("/")).headers.location).toBe("/2fa/setup");
  });

  it("a password-only session of an unenrolled account posting to /2fa/recovery is sent to /2fa/setup", async () => {
    t = await buildTestApp();
    const client = t.client();
    await register(client, "alice");
    const res = await client.post("/2fa/recovery", { recovery_code: "ZZZZZ-ZZZZ0" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
  });

  it.each([
    ["/2fa", { otp: "123456" }],
    ["/2fa/recovery", { recovery_code: "ZZZZZ-ZZZZ0" }],
    ["/2fa/setup", { otp: "123456" }],
    ["/2fa/setup/new", {}],
  ])("an anonymous POST %s is sent to /login and starts no session", async (url, fields) => {
    t = await buildTestApp();
    const client = t.client();
    await client.get("/login");
    const res = await client.post(url, fields as Record<string, string>);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
    expect(sessionCookieSet(res)).toBeUndefined();
    expect((await client.get("/")).headers.location).toBe("/login?next=%2F");
  });

  it.each(["/2fa", "/2fa/setup", "/2fa/recovery-codes", "/account"])(
    "an anonymous GET %s is sent to /login",
    async (url) => {
      t = await buildTestApp();
      const res = await t.client().get(url);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(/^\/login/);
    },
  );

  it("an anonymous POST /2fa/setup/new stores no enrollment for anyone", async () => {
    t = await buildTestApp();
    await registerOnly(t.client(), "alice");
    const userId = await userIdOf(t, "alice");
    const before = await t.store.totp.listPendingEnrollments(userId, t.clock.ms);
    const client = t.client();
    await client.get("/login");
    await client.post("/2fa/setup/new", {});
    expect(await t.store.totp.listPendingEnrollments(userId, t.clock.ms)).toEqual(before);
  });
});
