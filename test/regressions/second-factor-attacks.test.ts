// Regression suite: attacks on the second factor by someone who already has the password.
//   - guessing codes outside the ±1-step window (AuthQuake: a wide window and no limit broke MFA), R5
//   - replaying an observed code, or an older one after a newer was used (CVE-2025-43798), R6
//   - replaying the enrollment confirmation code as the first login code (dragonflight 72fc608), R7
//   - racing N copies of one code or recovery code for N sessions (Parse Server CVE-2026-33624), R6, R20
//   - brute-forcing codes across sessions, addresses and both code kinds (RFC 4226 §7.3, gogs#5700), R10-R13
//   - submitting a code for another user while pending as oneself (CVE-2025-13587), R56
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, register, type TestApp, type TestClient } from "../support/app.js";
import {
  codeAt,
  enrolledUser,
  getFrom,
  normalizePage,
  pendingClient,
  postFrom,
  retryAfterSeconds,
  signInPassword,
  STEP_MS,
  STRONG_PASSWORD,
  UNISSUED_RECOVERY_CODE,
  wrongCodeAt,
} from "../http/helpers.js";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

/** The code `steps` time steps away from now. */
const codeOfStep = (secret: string, steps: number) => codeAt(secret, t.clock.ms + steps * STEP_MS);

async function submit(client: TestClient, otp: string) {
  return client.post("/2fa", { otp });
}

/** `count` wrong codes from this pending browser; each must be evaluated (401). */
async function failCodes(client: TestClient, secret: string, count: number) {
  for (let i = 0; i < count; i++) {
    const res = await submit(client, wrongCodeAt(secret, t.clock.ms));
    expect(res.statusCode, `wrong code #${i + 1}`).toBe(401);
  }
}

describe("R5: only the codes of steps T-1, T and T+1 are accepted", () => {
  it.each([
    ["T-1", -1],
    ["T", 0],
    ["T+1", 1],
  ])("accepts the code of step %s", async (_, offset) => {
    const { secret } = await enrolledUser(t, "alice");
    t.clock.advanceSeconds(300);
    const client = await pendingClient(t, "alice");
    const res = await submit(client, codeOfStep(secret, offset));
    expect(res.statusCode).toBe(303);
  });

  it.each([
    ["T-2", -2],
    ["T+2", 2],
    ["T-10", -10],
    ["T+10", 10],
  ])("refuses the code of step %s", async (_, offset) => {
    const { secret } = await enrolledUser(t, "alice");
    t.clock.advanceSeconds(600);
    const client = await pendingClient(t, "alice");
    const res = await submit(client, codeOfStep(secret, offset));
    expect(res.statusCode).toBe(401);
    expect((await client.get("/")).headers.location).toBe("/2fa");
  });

  it("accepts the code of step T-1 at the first millisecond of step T", async () => {
    const { secret } = await enrolledUser(t, "alice");
    t.clock.ms = Math.ceil((t.clock.ms + 300_000) / STEP_MS) * STEP_MS;
    const client = await pendingClient(t, "alice");
    expect((await submit(client, codeAt(secret, t.clock.ms - 1))).statusCode).toBe(303);
  });

  it("refuses the code of step T-2 at the last millisecond of step T", async () => {
    const { secret } = await enrolledUser(t, "alice");
    t.clock.ms = Math.ceil((t.clock.ms + 300_000) / STEP_MS) * STEP_MS + STEP_MS - 1;
    const client = await pendingClient(t, "alice");
    expect((await submit(client, codeOfStep(secret, -2))).statusCode).toBe(401);
  });

  it("refuses the code of step T+2 at the first millisecond of step T", async () => {
    const { secret } = await enrolledUser(t, "alice");
    t.clock.ms = Math.ceil((t.clock.ms + 300_000) / STEP_MS) * STEP_MS;
    const client = await pendingClient(t, "alice");
    expect((await submit(client, codeOfStep(secret, 2))).statusCode).toBe(401);
  });
});

describe("R6: a code is accepted once, and never an older one after it", () => {
  it("refuses the same code in a second sign-in within the same step", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const code = codeOfStep(secret, 0);
    expect((await submit(await pendingClient(t, "alice"), code)).statusCode).toBe(303);
    const second = await pendingClient(t, "alice");
    expect((await submit(second, code)).statusCode).toBe(401);
    expect((await second.get("/")).headers.location).toBe("/2fa");
  });

  it("refuses the same code one step later, while it is still inside the window", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const code = codeOfStep(secret, 0);
    expect((await submit(await pendingClient(t, "alice"), code)).statusCode).toBe(303);
    t.clock.advanceSeconds(30);
    expect((await submit(await pendingClient(t, "alice"), code)).statusCode).toBe(401);
  });

  it("refuses the code of step T after the code of step T+1 was used", async () => {
    const { secret } = await enrolledUser(t, "alice");
    expect((await submit(await pendingClient(t, "alice"), codeOfStep(secret, 1))).statusCode).toBe(303);
    expect((await submit(await pendingClient(t, "alice"), codeOfStep(secret, 0))).statusCode).toBe(401);
  });

  it("refuses the code of step T-1 after the code of step T+1 was used", async () => {
    const { secret } = await enrolledUser(t, "alice");
    expect((await submit(await pendingClient(t, "alice"), codeOfStep(secret, 1))).statusCode).toBe(303);
    expect((await submit(await pendingClient(t, "alice"), codeOfStep(secret, -1))).statusCode).toBe(401);
  });

  it("refuses alternating replay: T+1, then T, then T+1 again", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const next = codeOfStep(secret, 1);
    expect((await submit(await pendingClient(t, "alice"), next)).statusCode).toBe(303);
    await submit(await pendingClient(t, "alice"), codeOfStep(secret, 0));
    expect((await submit(await pendingClient(t, "alice"), next)).statusCode).toBe(401);
  });

  it("counts a replayed code as a failure toward the throttle", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const code = codeOfStep(secret, 0);
    expect((await submit(await pendingClient(t, "alice"), code)).statusCode).toBe(303);
    const client = await pendingClient(t, "alice");
    for (let i = 0; i < 5; i++) expect((await submit(client, code)).statusCode).toBe(401);
    expect((await submit(client, codeOfStep(secret, 1))).statusCode).toBe(429);
  });

  it("gives exactly one sign-in to 10 concurrent submissions of the same right code from 10 sessions", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const clients: TestClient[] = [];
    for (let i = 0; i < 10; i++) clients.push(await pendingClient(t, "alice"));
    const code = codeOfStep(secret, 0);
    const results = await Promise.all(clients.map((client) => submit(client, code)));
    const statuses = results.map((res) => res.statusCode);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    for (const s of statuses.filter((s) => s !== 303)) expect([401, 429]).toContain(s);
    const signedIn = await Promise.all(clients.map(async (client) => (await client.get("/")).statusCode === 200));
    expect(signedIn.filter(Boolean)).toHaveLength(1);
  });

  it("gives exactly one full session to two concurrent submissions of the right code from one session", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const code = codeOfStep(secret, 0);
    const results = await Promise.all([submit(client, code), submit(client, code)]);
    expect(results.map((res) => res.statusCode).filter((s) => s === 303)).toHaveLength(1);
    expect(results.every((res) => res.statusCode < 500)).toBe(true);
  });
});

describe("R7: the enrollment code consumes its step", () => {
  /** Registers and enrolls at the current step, then signs out; the step is not advanced. */
  async function enrollAndSignOut() {
    const client = t.client();
    const secret = await register(client, "alice");
    const code = codeOfStep(secret, 0);
    expect((await client.post("/2fa/setup", { otp: code })).statusCode).toBe(303);
    await client.post("/logout", {});
    return { secret, code };
  }

  it("refuses the enrollment code as the first login code", async () => {
    const { code } = await enrollAndSignOut();
    const client = await pendingClient(t, "alice");
    expect((await submit(client, code)).statusCode).toBe(401);
  });

  it("refuses the code of the step before the enrollment code as the first login code", async () => {
    const { secret } = await enrollAndSignOut();
    const client = await pendingClient(t, "alice");
    expect((await submit(client, codeOfStep(secret, -1))).statusCode).toBe(401);
  });

  it("accepts the code of the step after the enrollment code as the first login code", async () => {
    const { secret } = await enrollAndSignOut();
    const client = await pendingClient(t, "alice");
    expect((await submit(client, codeOfStep(secret, 1))).statusCode).toBe(303);
  });

  it("activates the factor once when two browsers confirm the same key concurrently", async () => {
    const first = t.client();
    const secret = await register(first, "alice");
    const second = t.client();
    expect((await signInPassword(second, "alice")).headers.location).toBe("/2fa/setup");
    const code = codeOfStep(secret, 0);
    const results = await Promise.all([first.post("/2fa/setup", { otp: code }), second.post("/2fa/setup", { otp: code })]);
    const toCodes = results.filter((res) => res.headers.location === "/2fa/recovery-codes");
    expect(toCodes).toHaveLength(1);
    expect(results.every((res) => res.statusCode < 500)).toBe(true);
  });
});

describe("R20: a recovery code is single-use, also under concurrency", () => {
  it("gives exactly one sign-in to 10 concurrent uses of the same recovery code from 10 sessions", async () => {
    const { recoveryCodes } = await enrolledUser(t, "alice");
    const clients: TestClient[] = [];
    for (let i = 0; i < 10; i++) clients.push(await pendingClient(t, "alice"));
    const results = await Promise.all(clients.map((client) => client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! })));
    const statuses = results.map((res) => res.statusCode);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    for (const s of statuses.filter((s) => s !== 303)) expect([401, 429]).toContain(s);
  });
});

describe("R10-R13: the account's second-factor throttle", () => {
  it("answers 429 with Retry-After of about 30 seconds to the 6th attempt, even with the right code", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    const res = await submit(client, codeOfStep(secret, 0));
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThanOrEqual(25);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(30);
  });

  it("takes the length of the first lock from the configuration (firstLockSeconds)", async () => {
    await t.close();
    t = await buildTestApp({ firstLockSeconds: 10 });
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    const res = await submit(client, codeOfStep(secret, 0));
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(10);
    t.clock.advanceSeconds(11);
    expect((await submit(client, codeOfStep(secret, 0))).statusCode).toBe(303);
  });

  it("does not use up the right code refused while locked: it signs in once the lock lifts", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    await submit(client, codeOfStep(secret, 0));
    t.clock.advanceSeconds(31);
    expect((await submit(client, codeOfStep(secret, 0))).statusCode).toBe(303);
  });

  it("answers a locked account identically for a right and a wrong code (R11)", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    const right = await submit(client, codeOfStep(secret, 0));
    const wrong = await submit(client, wrongCodeAt(secret, t.clock.ms));
    expect(wrong.statusCode).toBe(right.statusCode);
    expect(wrong.headers["retry-after"]).toBe(right.headers["retry-after"]);
    expect(Object.keys(wrong.headers).sort()).toEqual(Object.keys(right.headers).sort());
    expect(normalizePage(wrong.body)).toBe(normalizePage(right.body));
  });

  it("checks a wrong code again once the 30-second lock lifts (401), then locks for 60 seconds", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    t.clock.advanceSeconds(31);
    expect((await submit(client, wrongCodeAt(secret, t.clock.ms))).statusCode).toBe(401);
    const res = await submit(client, codeOfStep(secret, 0));
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(55);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(60);
  });

  it("doubles the lock again after the next failure: 120 seconds", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    t.clock.advanceSeconds(31);
    await failCodes(client, secret, 1);
    t.clock.advanceSeconds(61);
    await failCodes(client, secret, 1);
    const res = await submit(client, codeOfStep(secret, 0));
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(115);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(120);
  });

  it("still refuses the right code 59 seconds into the 60-second lock", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    t.clock.advanceSeconds(31);
    await failCodes(client, secret, 1);
    t.clock.advanceSeconds(59);
    expect((await submit(client, codeOfStep(secret, 0))).statusCode).toBe(429);
  });

  it("shares the count between TOTP codes and recovery codes: 3 + 2 failures lock the TOTP (R21)", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 3);
    for (let i = 0; i < 2; i++) {
      expect((await client.post("/2fa/recovery", { recovery_code: UNISSUED_RECOVERY_CODE })).statusCode).toBe(401);
    }
    expect((await submit(client, codeOfStep(secret, 0))).statusCode).toBe(429);
  });

  it("refuses a right recovery code with 429 while the TOTP failures lock the account (R21)", async () => {
    const { secret, recoveryCodes } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    const res = await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    expect(res.statusCode).toBe(429);
    expect(Number.isFinite(retryAfterSeconds(res))).toBe(true);
    expect((await client.get("/")).headers.location).toBe("/2fa");
  });

  it("does not use up a recovery code refused while locked", async () => {
    const { secret, recoveryCodes } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 5);
    await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    t.clock.advanceSeconds(31);
    expect((await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! })).statusCode).toBe(303);
  });

  it("locks after 5 wrong recovery codes, refusing the right TOTP code", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    for (let i = 0; i < 5; i++) {
      expect((await client.post("/2fa/recovery", { recovery_code: UNISSUED_RECOVERY_CODE })).statusCode).toBe(401);
    }
    expect((await submit(client, codeOfStep(secret, 0))).statusCode).toBe(429);
  });

  it("counts per account across sessions: 3 failures in one browser and 2 in another lock both", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const first = await pendingClient(t, "alice");
    const second = await pendingClient(t, "alice");
    await failCodes(first, secret, 3);
    await failCodes(second, secret, 2);
    expect((await submit(first, codeOfStep(secret, 0))).statusCode).toBe(429);
  });

  it("counts per account across client addresses", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const browsers: TestClient[] = [];
    for (let i = 0; i < 6; i++) {
      const client = t.client();
      await getFrom(client, `10.0.0.${i + 1}`, "/login");
      await postFrom(client, `10.0.0.${i + 1}`, "/login", { username: "alice", password: STRONG_PASSWORD });
      await getFrom(client, `10.0.0.${i + 1}`, "/2fa");
      browsers.push(client);
    }
    for (let i = 0; i < 5; i++) {
      const res = await postFrom(browsers[i]!, `10.0.0.${i + 1}`, "/2fa", { otp: wrongCodeAt(secret, t.clock.ms) });
      expect(res.statusCode).toBe(401);
    }
    const res = await postFrom(browsers[5]!, "10.0.0.6", "/2fa", { otp: codeOfStep(secret, 0) });
    expect(res.statusCode).toBe(429);
  });

  it("is not reset by a correct password (R13): 4 failures, a new password sign-in, 1 failure lock", async () => {
    const { secret } = await enrolledUser(t, "alice");
    await failCodes(await pendingClient(t, "alice"), secret, 4);
    const client = await pendingClient(t, "alice");
    await failCodes(client, secret, 1);
    expect((await submit(client, codeOfStep(secret, 0))).statusCode).toBe(429);
  });

  it("is reset by a full sign-in: 4 failures, success, then 4 more failures are all checked", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const first = await pendingClient(t, "alice");
    await failCodes(first, secret, 4);
    expect((await submit(first, codeOfStep(secret, 0))).statusCode).toBe(303);
    t.clock.advanceSeconds(30);
    const second = await pendingClient(t, "alice");
    await failCodes(second, secret, 4);
    expect((await submit(second, codeOfStep(secret, 0))).statusCode).toBe(303);
  });

  it("evaluates at most 5 of 10 parallel wrong codes from 10 sessions (charge first, R10)", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const clients: TestClient[] = [];
    for (let i = 0; i < 10; i++) clients.push(await pendingClient(t, "alice"));
    const wrong = wrongCodeAt(secret, t.clock.ms);
    const results = await Promise.all(clients.map((client) => submit(client, wrong)));
    const statuses = results.map((res) => res.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s !== 401).every((s) => s === 429)).toBe(true);
  });

  it("also throttles the enrollment confirmation: the 6th code at /2fa/setup answers 429 (R14)", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    for (let i = 0; i < 5; i++) {
      expect((await client.post("/2fa/setup", { otp: wrongCodeAt(secret, t.clock.ms) })).statusCode).toBe(401);
    }
    const res = await client.post("/2fa/setup", { otp: codeOfStep(secret, 0) });
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(0);
  });
});

describe("R12: the hard lock after 100 consecutive failures", () => {
  /**
   * Fails `count` codes in a row, waiting out each lock on the clock (new pending sign-ins, since
   * one lives only 5 minutes). Returns the pending browser of the last failure.
   */
  async function failInARow(secret: string, count: number): Promise<TestClient> {
    let failures = 0;
    let client = await pendingClient(t, "alice");
    for (let round = 0; failures < count && round < 3 * count; round++) {
      const res = await submit(client, wrongCodeAt(secret, t.clock.ms));
      if (res.statusCode === 401) {
        failures++;
        continue;
      }
      expect(res.statusCode).toBe(429);
      t.clock.advanceSeconds(retryAfterSeconds(res) + 1);
      client = await pendingClient(t, "alice");
    }
    expect(failures).toBe(count);
    return client;
  }

  it("still accepts the right code after 99 failures once the last lock has lifted", async () => {
    const { secret } = await enrolledUser(t, "alice");
    await failInARow(secret, 99);
    t.clock.advanceSeconds(86_400 + 1);
    const client = await pendingClient(t, "alice");
    expect((await submit(client, codeOfStep(secret, 0))).statusCode).toBe(303);
  });

  it("refuses the right code after 100 failures even a year later", async () => {
    const { secret } = await enrolledUser(t, "alice");
    await failInARow(secret, 100);
    t.clock.advanceSeconds(365 * 86_400);
    const client = await pendingClient(t, "alice");
    const res = await submit(client, codeOfStep(secret, 0));
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(0);
  });

  it("refuses a right recovery code after 100 failures even a year later", async () => {
    const { secret, recoveryCodes } = await enrolledUser(t, "alice");
    await failInARow(secret, 100);
    t.clock.advanceSeconds(365 * 86_400);
    const client = await pendingClient(t, "alice");
    expect((await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! })).statusCode).toBe(429);
  });

  it("caps each lock at one day", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await failInARow(secret, 30);
    const res = await submit(client, codeOfStep(secret, 0));
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(86_400);
    expect(retryAfterSeconds(res)).toBeGreaterThan(86_000);
  });
});

describe("R56: the challenge is bound to the pending session's user", () => {
  it("refuses bob's code submitted with username=bob by alice's pending session", async () => {
    await enrolledUser(t, "alice");
    const bob = await enrolledUser(t, "bob");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa", { otp: codeOfStep(bob.secret, 0), username: "bob", user_id: "bob" });
    expect(res.statusCode).toBe(401);
    expect((await client.get("/")).headers.location).toBe("/2fa");
  });
});
