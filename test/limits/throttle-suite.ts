// The throttle part of the conformance suite (R10-R13, R16, R58), shared by every adapter of the
// throttle ports: the SQL ones in src/store/throttle.ts (run from test/store/conformance.ts) and
// the Redis ones in src/limits/redis.ts (test/limits/redis-throttle.test.ts). Each test is handed
// two instances over one backing store, as two gatehouse processes would hold, and alternates
// between them. "Concurrent" means many calls started together and awaited with Promise.all.
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { LoginThrottle, LoginThrottleKey, SecondFactorThrottle, SecondFactorThrottlePolicy } from "../../src/core/ports.js";
import { DAY, MINUTE, SECOND, T0 } from "../store/fixtures.js";

/** One instance's throttles, as a Store holds them. */
export interface ThrottleInstance {
  secondFactorThrottle: SecondFactorThrottle;
  loginThrottle: LoginThrottle;
}

export interface ThrottleInstances {
  /** Two independent instances (connections) over one backing store. */
  instances: [ThrottleInstance, ThrottleInstance];
  /** A fresh account the second-factor throttle may count for. */
  newAccount(): Promise<string>;
  /** A second-factor throttle over the same backing store with another policy. */
  secondFactorThrottleWith(policy: SecondFactorThrottlePolicy): Promise<SecondFactorThrottle>;
}

/**
 * Registers the throttle tests inside the caller's describe block. The policy must be the
 * contract's (lock after 5, first lock 30 s, doubling, capped at one day, hard lock at 100).
 * `current` is read in a beforeEach, after the caller's own beforeEach opened the instances.
 */
export function throttleConformance(current: () => ThrottleInstances): void {
  let a: ThrottleInstance;
  let b: ThrottleInstance;
  beforeEach(() => {
    [a, b] = current().instances;
  });

  /** Starts `count` calls at once, alternating between the two instances. */
  function together<T>(pair: [ThrottleInstance, ThrottleInstance], count: number, call: (instance: ThrottleInstance, index: number) => Promise<T>) {
    return Promise.all(Array.from({ length: count }, (_, index) => call(pair[index % 2]!, index)));
  }

  describe("second-factor throttle (R10-R13, contract: Throttling)", () => {
    const throttledUser = () => current().newAccount();
    /** Charges `count` times at `now`, alternating instances, one after another. */
    async function chargeTimes(userId: string, count: number, now: number) {
      const decisions = [];
      for (let i = 0; i < count; i++) decisions.push(await [a, b][i % 2]!.secondFactorThrottle.charge(userId, now));
      return decisions;
    }

    it("R11: allows 5 attempts, then refuses for 30 seconds with Retry-After, on both instances", async () => {
      const userId = await throttledUser();
      const first = await chargeTimes(userId, 5, T0);
      expect(first.every((d) => d.allowed)).toBe(true);
      expect(await a.secondFactorThrottle.charge(userId, T0)).toEqual({ allowed: false, retryAfterSeconds: 30, hardLocked: false });
      expect(await b.secondFactorThrottle.charge(userId, T0 + 29_001)).toEqual({ allowed: false, retryAfterSeconds: 1, hardLocked: false });
      expect(await b.secondFactorThrottle.charge(userId, T0 + 30 * SECOND)).toEqual({ allowed: true });
    });

    it("R12: each failure after a lock lifts starts a lock twice as long: 30, 60, 120, 240 s", async () => {
      const userId = await throttledUser();
      let now = T0;
      await chargeTimes(userId, 5, now);
      for (const lockSeconds of [30, 60, 120, 240]) {
        const refused = await a.secondFactorThrottle.charge(userId, now);
        expect(refused).toEqual({ allowed: false, retryAfterSeconds: lockSeconds, hardLocked: false });
        now += lockSeconds * SECOND;
        expect(await b.secondFactorThrottle.charge(userId, now)).toEqual({ allowed: true });
      }
    });

    it("R12: the lock doubles up to one day and stays there", async () => {
      const userId = await throttledUser();
      let now = T0;
      await chargeTimes(userId, 5, now);
      const locks: number[] = [];
      for (let i = 0; i < 14; i++) {
        const refused = await a.secondFactorThrottle.charge(userId, now);
        if (refused.allowed) throw new Error("expected a lock");
        locks.push(refused.retryAfterSeconds);
        now += refused.retryAfterSeconds * SECOND;
        expect((await b.secondFactorThrottle.charge(userId, now)).allowed).toBe(true);
      }
      expect(locks).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 61440, 86400, 86400]);
    });

    it("R12: a policy's first lock longer than one day is cut to one day, and a huge one overflows nothing", async () => {
      // GATEHOUSE_LOCK_SECONDS is bounded at startup; the throttle still never exceeds its cap.
      // On PostgreSQL, now + this many seconds in milliseconds would overflow BIGINT.
      const capped = await current().secondFactorThrottleWith({
        freeAttempts: 5,
        firstLockSeconds: Number.MAX_SAFE_INTEGER,
        maxLockSeconds: 86_400,
        hardLockFailures: 100,
      });
      const userId = await throttledUser();
      for (let i = 0; i < 5; i++) expect(await capped.charge(userId, T0)).toEqual({ allowed: true });
      expect(await capped.charge(userId, T0)).toEqual({ allowed: false, retryAfterSeconds: 86_400, hardLocked: false });
      expect(await capped.status(userId)).toMatchObject({ lockedUntil: T0 + DAY });
      expect(await capped.charge(userId, T0 + DAY)).toEqual({ allowed: true });
      expect(await capped.charge(userId, T0 + DAY)).toEqual({ allowed: false, retryAfterSeconds: 86_400, hardLocked: false });
    });

    it("R10, R11: refused charges do not count: hammering a lock does not lengthen the next one", async () => {
      const userId = await throttledUser();
      await chargeTimes(userId, 5, T0);
      const hammer = await chargeTimes(userId, 50, T0 + 10 * SECOND);
      expect(hammer.every((d) => !d.allowed)).toBe(true);
      expect(await a.secondFactorThrottle.charge(userId, T0 + 30 * SECOND)).toEqual({ allowed: true });
      // That was the 6th counted failure: the next lock is the second one, 60 s, not longer.
      expect(await b.secondFactorThrottle.charge(userId, T0 + 30 * SECOND)).toEqual({
        allowed: false,
        retryAfterSeconds: 60,
        hardLocked: false,
      });
    });

    it("R12: after 100 consecutive failures the account stays locked whatever the time, until unlock", async () => {
      const userId = await throttledUser();
      let now = T0;
      let allowed = 0;
      for (let i = 0; i < 400 && allowed < 100; i++) {
        const decision = await [a, b][i % 2]!.secondFactorThrottle.charge(userId, now);
        if (decision.allowed) allowed++;
        else now += decision.retryAfterSeconds * SECOND;
      }
      expect(allowed).toBe(100);
      for (const later of [now, now + DAY + 1, now + 365 * DAY, now + 10 * 365 * DAY]) {
        const decision = await b.secondFactorThrottle.charge(userId, later);
        expect(decision).toEqual({ allowed: false, retryAfterSeconds: 86_400, hardLocked: true });
      }
      await a.secondFactorThrottle.unlock(userId);
      expect(await b.secondFactorThrottle.charge(userId, now)).toEqual({ allowed: true });
    });

    it("R13: reset clears the count, the lock and the lock length", async () => {
      const userId = await throttledUser();
      await chargeTimes(userId, 5, T0);
      await chargeTimes(userId, 1, T0 + 30 * SECOND); // sixth failure, lock now 60 s
      await a.secondFactorThrottle.reset(userId);
      // Five free attempts again, right away, and the next lock is the first one: 30 s.
      expect((await chargeTimes(userId, 5, T0 + 31 * SECOND)).every((d) => d.allowed)).toBe(true);
      expect(await b.secondFactorThrottle.charge(userId, T0 + 31 * SECOND)).toEqual({
        allowed: false,
        retryAfterSeconds: 30,
        hardLocked: false,
      });
    });

    it("R13: four failures then a reset leave five free attempts, not one", async () => {
      const userId = await throttledUser();
      await chargeTimes(userId, 4, T0);
      await b.secondFactorThrottle.reset(userId);
      expect((await chargeTimes(userId, 5, T0)).every((d) => d.allowed)).toBe(true);
      expect((await a.secondFactorThrottle.charge(userId, T0)).allowed).toBe(false);
    });

    it("R10: the count belongs to the account: another account is not affected", async () => {
      const locked = await throttledUser();
      const other = await throttledUser();
      await chargeTimes(locked, 6, T0);
      expect(await b.secondFactorThrottle.charge(other, T0)).toEqual({ allowed: true });
    });

    it("R10, R58: 20 concurrent charges on a fresh account across both instances allow exactly 5", async () => {
      const userId = await throttledUser();
      const decisions = await together([a, b], 20, (instance) => instance.secondFactorThrottle.charge(userId, T0));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      for (const d of decisions.filter((d) => !d.allowed)) expect(d).toEqual({ allowed: false, retryAfterSeconds: 30, hardLocked: false });
    });
  });

  describe("password-step throttle (R16, contract: 10 per username and address in 15 minutes)", () => {
    const WINDOW = 15 * MINUTE;
    const pair: LoginThrottleKey = { key: "login:203.0.113.9:alice", limit: 10, windowMs: WINDOW };
    const address: LoginThrottleKey = { key: "login:203.0.113.9", limit: 100, windowMs: WINDOW };

    /** Charges `count` attempts with fresh ids at `now`, alternating instances, in order. */
    async function chargeTimes(keys: LoginThrottleKey[], count: number, now: number) {
      const decisions = [];
      for (let i = 0; i < count; i++) decisions.push(await [a, b][i % 2]!.loginThrottle.charge(randomUUID(), keys, now));
      return decisions;
    }
    const allowedCount = (decisions: { allowed: boolean }[]) => decisions.filter((d) => d.allowed).length;

    it("allows 10 failures per key in the window, then refuses until they leave it", async () => {
      expect(allowedCount(await chargeTimes([pair], 10, T0))).toBe(10);
      expect(await a.loginThrottle.charge(randomUUID(), [pair], T0 + 5 * MINUTE)).toEqual({
        allowed: false,
        retryAfterSeconds: 10 * 60,
        hardLocked: false,
      });
      expect(await b.loginThrottle.charge(randomUUID(), [pair], T0 + WINDOW - 1)).toMatchObject({
        allowed: false,
        retryAfterSeconds: 1,
      });
      expect(await b.loginThrottle.charge(randomUUID(), [pair], T0 + WINDOW)).toEqual({ allowed: true });
    });

    it("failures leave the window one by one as they age past 15 minutes", async () => {
      await chargeTimes([pair], 5, T0);
      await chargeTimes([pair], 5, T0 + 5 * MINUTE);
      // At T0 + 15 min the first five have left; the other five stay until T0 + 20 min.
      expect(allowedCount(await chargeTimes([pair], 5, T0 + WINDOW))).toBe(5);
      expect(await a.loginThrottle.charge(randomUUID(), [pair], T0 + WINDOW)).toEqual({
        allowed: false,
        retryAfterSeconds: 5 * 60,
        hardLocked: false,
      });
    });

    it("a refused attempt is not counted: hammering during a block does not extend it", async () => {
      await chargeTimes([pair], 10, T0);
      expect(allowedCount(await chargeTimes([pair], 20, T0 + MINUTE))).toBe(0);
      expect(allowedCount(await chargeTimes([pair], 10, T0 + WINDOW))).toBe(10);
      expect((await a.loginThrottle.charge(randomUUID(), [pair], T0 + WINDOW)).allowed).toBe(false);
    });

    it("refund takes back exactly that attempt: a success does not count as a failure", async () => {
      const ids = Array.from({ length: 10 }, () => randomUUID());
      for (const [i, id] of ids.entries()) expect((await [a, b][i % 2]!.loginThrottle.charge(id, [pair], T0)).allowed).toBe(true);
      await b.loginThrottle.refund(ids[3]!);
      expect(await a.loginThrottle.charge(randomUUID(), [pair], T0 + SECOND)).toEqual({ allowed: true });
      expect((await b.loginThrottle.charge(randomUUID(), [pair], T0 + SECOND)).allowed).toBe(false);
    });

    it("refunding an unknown attempt, or one attempt twice, takes back nothing more", async () => {
      const id = randomUUID();
      await a.loginThrottle.charge(id, [pair], T0);
      await chargeTimes([pair], 2, T0);
      await b.loginThrottle.refund(id);
      await a.loginThrottle.refund(id);
      for (let i = 0; i < 5; i++) await a.loginThrottle.refund(randomUUID());
      // Two failures remain of the three: eight more fit in the window, not nine or more.
      expect(allowedCount(await chargeTimes([pair], 9, T0 + SECOND))).toBe(8);
    });

    it("refuses when any one key is over its limit, and then counts none of them", async () => {
      const other: LoginThrottleKey = { key: "login:203.0.113.9:bob", limit: 10, windowMs: WINDOW };
      await chargeTimes([pair, address], 10, T0);
      expect((await a.loginThrottle.charge(randomUUID(), [pair, address], T0)).allowed).toBe(false);
      // The address key holds 10, not 11: 90 more attempts on other usernames are allowed.
      let allowed = 0;
      for (let i = 0; i < 9; i++) {
        const key: LoginThrottleKey = { key: `login:203.0.113.9:user${i}`, limit: 10, windowMs: WINDOW };
        allowed += allowedCount(await chargeTimes([key, address], 10, T0));
      }
      expect(allowed).toBe(90);
      expect((await b.loginThrottle.charge(randomUUID(), [other, address], T0)).allowed).toBe(false);
    });

    it("keys are independent: one username's failures do not limit another's", async () => {
      await chargeTimes([pair], 11, T0);
      const other: LoginThrottleKey = { key: "login:198.51.100.7:alice", limit: 10, windowMs: WINDOW };
      expect(await a.loginThrottle.charge(randomUUID(), [other], T0)).toEqual({ allowed: true });
    });

    it("R58: 20 concurrent charges of one key across both instances allow at most 10, and only those count", async () => {
      const decisions = await together([a, b], 20, (instance) => instance.loginThrottle.charge(randomUUID(), [pair], T0));
      const allowed = allowedCount(decisions);
      expect(allowed).toBeLessThanOrEqual(10);
      // Refused attempts left nothing behind: the window holds exactly the allowed ones.
      expect(allowedCount(await chargeTimes([pair], 20, T0))).toBe(10 - allowed);
    });
  });

}
