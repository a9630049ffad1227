// Two real gatehouse processes on one PostgreSQL database, the same master key, a browser moving
// between them: every single-instance guarantee holds across instances, with the throttle
// counters in PostgreSQL and again with them in Redis (REDIS_URL). A session made on A opens
// B and a sign-out on B ends it on A (R36); a code used on A is refused on B (R6), and of 20
// concurrent submissions of one code across both exactly one signs in; the second-factor throttle
// counts failures from both (R10, R15; CVE-2021-41177 was limits kept in process memory); and an
// instance killed with SIGKILL right after acknowledging an enrollment loses none of it.
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient, type Redis } from "../../src/limits/redis-client.js";
import { FetchClient } from "../support/fetch-client.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { connectedRedis, deleteKeysUnder, keysUnder, REDIS_TEST_URL, scratchPrefix } from "../support/redis.js";
import { startServer, type ServerProcess } from "../support/server-process.js";

const PASSWORD = "amber-falcon-meadow-58";
const STEP_MS = 30_000;

/** The code of the step `stepOffset` steps from now (the servers run on the real clock). */
function code(secret: string, stepOffset = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + stepOffset * STEP_MS });
}

/** A code no step near now (±2) produces: wrong whenever it arrives. */
function wrongCode(secret: string): string {
  const near = new Set([-2, -1, 0, 1, 2].map((offset) => code(secret, offset)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
  }
}

/** Registers on `server` and stops at the setup page; returns the browser and the shown key. */
async function registerOn(server: ServerProcess, username: string) {
  const browser = new FetchClient(server.url);
  await browser.send("/register");
  expect((await browser.send("/register", { username, password: PASSWORD })).location).toBe("/2fa/setup");
  const setup = await browser.send("/2fa/setup");
  const secret = (/id="secret-key">([^<]+)</.exec(setup.body)?.[1] ?? "").replace(/\s+/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  return { browser, secret };
}

/** Registers and enrolls on `server` (consuming the current step); the browser ends signed in. */
async function enrolledOn(server: ServerProcess, username: string) {
  const { browser, secret } = await registerOn(server, username);
  expect((await browser.send("/2fa/setup", { otp: code(secret) })).location).toBe("/2fa/recovery-codes");
  const codes = recoveryCodesIn((await browser.send("/2fa/recovery-codes")).body);
  return { browser, secret, codes };
}

function recoveryCodesIn(html: string): string[] {
  return [...html.matchAll(/class="recovery-code">([^<]+)</g)].map((m) => m[1]!);
}

/** A new browser past the password step on `server`, at the challenge page. */
async function pendingOn(server: ServerProcess, username: string): Promise<FetchClient> {
  const browser = new FetchClient(server.url);
  await browser.send("/login");
  const res = await browser.send("/login", { username, password: PASSWORD });
  expect([res.status, res.location]).toEqual([303, "/2fa"]);
  await browser.send("/2fa");
  return browser;
}

describe.each([
  { label: "PostgreSQL", countersInRedis: false },
  { label: "PostgreSQL + Redis", countersInRedis: true },
])("two gatehouse processes on one $label", ({ countersInRedis }) => {
  let database: ScratchDatabase;
  /** With REDIS_URL: the run's own key prefix, and a client to check the counters really live there. */
  let redis: { client: Redis; prefix: string } | undefined;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    database = await createScratchDatabase("gatehouse_multi");
    if (countersInRedis) redis = { client: await connectedRedis(), prefix: scratchPrefix() };
    const env: Record<string, string> = {
      DATABASE_URL: database.url,
      GATEHOUSE_SECRET_KEY: randomBytes(32).toString("base64url"),
      GATEHOUSE_LOG_LEVEL: "warn",
      ...(redis ? { REDIS_URL: REDIS_TEST_URL, GATEHOUSE_REDIS_PREFIX: redis.prefix } : {}),
    };
    // Started together: both migrate the empty database at once (advisory lock in postgres.ts).
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    if (redis) {
      await deleteKeysUnder(redis.client, redis.prefix);
      await closeRedisClient(redis.client);
    }
  });

  it("share sessions: signed in on A is signed in on B, and a sign-out on B ends it on A", async () => {
    const { browser } = await enrolledOn(a, "alice");
    expect((await browser.send("/")).body).toContain("Signed in as alice");
    const onB = browser.on(b.url);
    expect((await onB.send("/")).body).toContain("Signed in as alice");

    const before = browser.on(a.url);
    expect((await onB.send("/logout", {})).location).toBe("/login");
    const res = await before.send("/");
    expect(res.status).toBe(303);
    expect(res.location).toBe("/login?next=%2F");
  });

  it("refuse on B a code already used on A (R6)", async () => {
    const { secret } = await enrolledOn(a, "bob");
    // The enrollment used the current step; the next one is still fresh and already accepted.
    const otp = code(secret, 1);
    const [onA, onB] = await Promise.all([pendingOn(a, "bob"), pendingOn(b, "bob")]);
    expect((await onA.send("/2fa", { otp })).location).toBe("/");
    const replay = await onB.send("/2fa", { otp });
    expect(replay.status).toBe(401);
    expect((await onB.send("/")).location).toBe("/2fa");
  });

  it("let exactly one of 20 concurrent submissions of one code sign in, spread over both", async () => {
    const { secret } = await enrolledOn(b, "carol");
    // The password step one after another: concurrent ones would be charged before they are
    // refunded, and more than 10 in flight for one username and address are throttled.
    const browsers: FetchClient[] = [];
    for (let i = 0; i < 20; i++) browsers.push(await pendingOn(i % 2 === 0 ? a : b, "carol"));
    const otp = code(secret, 1);
    const results = await Promise.all(browsers.map((browser) => browser.send("/2fa", { otp })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.every((s) => s === 303 || s === 401 || s === 429)).toBe(true);
    const signedIn = await Promise.all(browsers.map(async (browser) => (await browser.send("/")).status === 200));
    expect(signedIn.filter(Boolean)).toHaveLength(1);
  });

  it("count wrong codes from both: alternating A and B, the 6th attempt is throttled on either (R10, R15)", async () => {
    const { secret } = await enrolledOn(a, "dave");
    const browser = await pendingOn(a, "dave");
    const countersBefore = redis ? await keysUnder(redis.client, `${redis.prefix}second-factor:`) : [];
    const wrong = wrongCode(secret);
    for (let i = 0; i < 5; i++) {
      const res = await browser.on(i % 2 === 0 ? a.url : b.url).send("/2fa", { otp: wrong });
      expect(res.status).toBe(401);
    }
    for (const server of [b, a]) {
      const res = await browser.on(server.url).send("/2fa", { otp: wrong });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // While locked even the right code is refused, on either instance.
    expect((await browser.on(b.url).send("/2fa", { otp: code(secret, 1) })).status).toBe(429);
    // With REDIS_URL the count lives in Redis under this run's prefix, not in the database.
    if (redis) {
      const daves = (await keysUnder(redis.client, `${redis.prefix}second-factor:`)).filter((key) => !countersBefore.includes(key));
      expect(daves).toHaveLength(1);
      expect(Number(await redis.client.hget(daves[0]!, "failures"))).toBeGreaterThanOrEqual(5);
    }
  });

  it("lose nothing acknowledged when A is killed with SIGKILL right after an enrollment", async () => {
    const { browser, secret } = await registerOn(a, "erin");
    const traffic = Array.from({ length: 10 }, () => fetch(`${a.url}/login`).then((r) => r.status, () => 0));
    const enrolled = await browser.send("/2fa/setup", { otp: code(secret) });
    expect(enrolled.status).toBe(303);
    expect(enrolled.location).toBe("/2fa/recovery-codes");
    await a.kill();
    await Promise.all(traffic);

    // The same browser on B: the recovery codes are shown there, once.
    const onB = browser.on(b.url);
    const codes = recoveryCodesIn((await onB.send("/2fa/recovery-codes")).body);
    expect(codes.length).toBeGreaterThanOrEqual(8);
    expect((await onB.send("/")).body).toContain("Signed in as erin");

    // B knows erin as enrolled: the password leads to the challenge, not to setup, and a
    // recovery code shown after the kill signs in there (then is used up).
    const other = await pendingOn(b, "erin");
    expect((await other.send("/2fa/recovery", { recovery_code: codes[0]! })).location).toBe("/");
    expect((await other.send("/")).body).toContain("Signed in as erin");
    const again = await pendingOn(b, "erin");
    expect((await again.send("/2fa/recovery", { recovery_code: codes[0]! })).status).toBe(401);
  });
});
