// Regression suite: limits that live in process memory (CVE-2021-41177, Nextcloud: rate limits on
// 2FA codes silently not enforced without a shared backend). Two app instances share one SQLite file,
// one master secret and one clock; a browser alternates between them (R6, R10, R15, R20, R36).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, TestClock, type TestApp, type TestClient } from "../support/app.js";
import { codeAt, enroll, postFrom, retryAfterSeconds, STRONG_PASSWORD, wrongCodeAt } from "../http/helpers.js";

let dir: string;
let a: TestApp;
let b: TestApp;
let clock: TestClock;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gatehouse-instances-"));
  clock = new TestClock();
  const shared = { databaseFile: join(dir, "gatehouse.db"), masterSecrets: [new Uint8Array(randomBytes(32))], clock };
  a = await buildTestApp(shared);
  b = await buildTestApp(shared);
  a.clock = clock;
  b.clock = clock;
});

afterEach(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The same browser (cookies and last CSRF token) on the other instance. */
function on(instance: TestApp, browser: TestClient): TestClient {
  const moved = instance.client();
  moved.cookies = browser.cookies;
  moved.csrf = browser.csrf;
  return moved;
}

/** Enrolls alice on instance A and signs out; returns the key and recovery codes. */
async function enrolledOnA() {
  const browser = a.client();
  const enrolled = await enroll(a, browser, "alice");
  await browser.post("/logout", {});
  clock.advanceSeconds(30);
  return enrolled;
}

/** A browser that passed the password step on `instance`. */
async function pendingOn(instance: TestApp): Promise<TestClient> {
  const browser = instance.client();
  await browser.get("/login");
  const res = await browser.post("/login", { username: "alice", password: STRONG_PASSWORD });
  expect(res.headers.location).toBe("/2fa");
  await browser.get("/2fa");
  return browser;
}

describe("two instances sharing one store", () => {
  it("open the same session: a sign-in on A is signed in on B", async () => {
    const { secret } = await enrolledOnA();
    const browser = await pendingOn(a);
    await browser.post("/2fa", { otp: codeAt(secret, clock.ms) });
    expect((await on(b, browser).get("/")).body).toContain("Signed in as alice");
  });

  it("refuse on B a code already used on A (R6)", async () => {
    const { secret } = await enrolledOnA();
    const code = codeAt(secret, clock.ms);
    expect((await (await pendingOn(a)).post("/2fa", { otp: code })).statusCode).toBe(303);
    expect((await (await pendingOn(b)).post("/2fa", { otp: code })).statusCode).toBe(401);
  });

  it("refuse on B a recovery code already used on A (R20)", async () => {
    const { recoveryCodes } = await enrolledOnA();
    expect((await (await pendingOn(a)).post("/2fa/recovery", { recovery_code: recoveryCodes[0]! })).statusCode).toBe(303);
    expect((await (await pendingOn(b)).post("/2fa/recovery", { recovery_code: recoveryCodes[0]! })).statusCode).toBe(401);
  });

  it("share the second-factor count: 3 failures on A and 2 on B lock the account on both (R10, R15)", async () => {
    const { secret } = await enrolledOnA();
    const browser = await pendingOn(a);
    for (let i = 0; i < 5; i++) {
      const instance = i < 3 ? a : b;
      const res = await on(instance, browser).post("/2fa", { otp: wrongCodeAt(secret, clock.ms) });
      expect(res.statusCode).toBe(401);
    }
    expect((await on(a, browser).post("/2fa", { otp: codeAt(secret, clock.ms) })).statusCode).toBe(429);
    expect((await on(b, browser).post("/2fa", { otp: codeAt(secret, clock.ms) })).statusCode).toBe(429);
  });

  it("share the password count: 5 failures on A and 5 on B throttle the 11th attempt (R15)", async () => {
    await enrolledOnA();
    const browser = a.client();
    await browser.get("/login");
    for (let i = 0; i < 10; i++) {
      const res = await postFrom(on(i % 2 === 0 ? a : b, browser), "203.0.113.7", "/login", { username: "alice", password: `wrong-${i}` });
      expect(res.statusCode).toBe(401);
    }
    const res = await postFrom(on(b, browser), "203.0.113.7", "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(0);
  });

  it("end the session everywhere: after sign-out on A the old cookie opens nothing on B (R36)", async () => {
    const { secret } = await enrolledOnA();
    const browser = await pendingOn(a);
    await browser.post("/2fa", { otp: codeAt(secret, clock.ms) });
    await browser.get("/");
    const stolen = new Map(browser.cookies);
    expect((await browser.post("/logout", {})).statusCode).toBe(303);
    const replay = b.client();
    replay.cookies = stolen;
    const res = await replay.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2F");
  });

  it("accept on B the enrollment key shown on A (R24)", async () => {
    const browser = a.client();
    await browser.get("/register");
    await browser.post("/register", { username: "alice", password: STRONG_PASSWORD });
    const shownOnA = /id="secret-key">([^<]+)</.exec((await browser.get("/2fa/setup")).body)![1]!.replace(/\s+/g, "");
    const res = await on(b, browser).post("/2fa/setup", { otp: codeAt(shownOnA, clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/recovery-codes");
  });
});
