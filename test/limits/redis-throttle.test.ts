// The shared throttle conformance suite against the real Redis on 127.0.0.1:6379, plus what is
// Redis's own: keys expire (nothing grows forever) except a hard lock, and an outage is a 503
// (STORE_UNAVAILABLE), never "throttled" and never "allowed". Each test gets its own key prefix,
// used by two clients as two gatehouse instances would, and deleted afterwards. An unreachable
// server FAILS every test, locally and in CI: a skipped Redis suite would test nothing.
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { closeRedisClient, createRedisClient, isRedisOutage, redisHealth, waitUntilReady, type Redis } from "../../src/limits/redis-client.js";
import { createRedisLoginThrottle, createRedisSecondFactorThrottle } from "../../src/limits/redis.js";
import { CONFORMANCE_POLICY } from "../store/conformance.js";
import { MINUTE, T0 } from "../store/fixtures.js";
import { connectedRedis, deleteKeysUnder, keysUnder, scratchPrefix } from "../support/redis.js";
import { throttleConformance, type ThrottleInstance, type ThrottleInstances } from "./throttle-suite.js";

/** Nothing listens on port 1: the "Redis is down" case. */
const CLOSED_URL = "redis://127.0.0.1:1";

const clients: Redis[] = [];

async function connectedClient(): Promise<Redis> {
  const redis = await connectedRedis();
  clients.push(redis);
  return redis;
}

afterAll(async () => {
  await Promise.all(clients.map(closeRedisClient));
});

function instance(redis: Redis, prefix: string): ThrottleInstance {
  return {
    secondFactorThrottle: createRedisSecondFactorThrottle(redis, CONFORMANCE_POLICY, prefix),
    loginThrottle: createRedisLoginThrottle(redis, prefix),
  };
}

describe("throttles over Redis", () => {
  let first: Redis;
  let second: Redis;
  let prefix: string;

  beforeEach(async () => {
    [first, second] = await Promise.all([connectedClient(), connectedClient()]);
    prefix = scratchPrefix();
  });
  afterEach(() => deleteKeysUnder(first, prefix));

  describe("conformance, two clients sharing one Redis", () => {
    throttleConformance(
      (): ThrottleInstances => ({
        instances: [instance(first, prefix), instance(second, prefix)],
        newAccount: async () => randomUUID(),
        secondFactorThrottleWith: async (policy) => createRedisSecondFactorThrottle(first, policy, prefix),
      }),
    );
  });

  it("an account's count expires when the account stays quiet, a hard lock never does", async () => {
    const throttle = instance(first, prefix).secondFactorThrottle;
    const quiet = randomUUID();
    await throttle.charge(quiet, T0);
    const ttl = await first.pttl(`${prefix}second-factor:${quiet}`);
    expect(ttl).toBeGreaterThan(0);

    const hard = randomUUID();
    await first.hset(`${prefix}second-factor:${hard}`, "failures", 99, "locked_until", 0, "lock_seconds", 86_400);
    expect(await throttle.charge(hard, T0)).toEqual({ allowed: true });
    expect(await first.pttl(`${prefix}second-factor:${hard}`)).toBe(-1);
    expect(await throttle.status(hard)).toEqual({ consecutiveFailures: 100, lockedUntil: T0 + 86_400_000, hardLocked: true });
  });

  it("login windows expire with their last failure, and the attempt record with them", async () => {
    const login = instance(first, prefix).loginThrottle;
    await login.charge("attempt-1", [{ key: "k", limit: 10, windowMs: 15 * MINUTE }], T0);
    const keys = await keysUnder(first, prefix);
    expect(keys.sort()).toEqual([`${prefix}login-attempt:attempt-1`, `${prefix}login:k`]);
    for (const key of keys) {
      const ttl = await first.pttl(key);
      expect(ttl).toBeGreaterThan(14 * MINUTE);
      expect(ttl).toBeLessThanOrEqual(15 * MINUTE);
    }
    await login.refund("attempt-1");
    expect(await keysUnder(first, prefix)).toEqual([]);
  });

  it("status reports the count and the lock; unlock clears them", async () => {
    const throttle = instance(first, prefix).secondFactorThrottle;
    const userId = randomUUID();
    expect(await throttle.status(userId)).toEqual({ consecutiveFailures: 0, lockedUntil: 0, hardLocked: false });
    for (let i = 0; i < 5; i++) await throttle.charge(userId, T0);
    expect(await throttle.status(userId)).toEqual({ consecutiveFailures: 5, lockedUntil: T0 + 30_000, hardLocked: false });
    await throttle.unlock(userId);
    expect(await throttle.status(userId)).toEqual({ consecutiveFailures: 0, lockedUntil: 0, hardLocked: false });
  });
});

describe("throttles with Redis unreachable", () => {
  const down = createRedisClient(CLOSED_URL);
  afterAll(() => closeRedisClient(down));
  const unavailable = expect.objectContaining({ code: ErrorCode.STORE_UNAVAILABLE });

  it("every second-factor operation fails with STORE_UNAVAILABLE: never allowed, never throttled", async () => {
    const throttle = createRedisSecondFactorThrottle(down, CONFORMANCE_POLICY, "unreachable:");
    await expect(throttle.charge("someone", T0)).rejects.toEqual(unavailable);
    await expect(throttle.status("someone")).rejects.toEqual(unavailable);
    await expect(throttle.reset("someone")).rejects.toEqual(unavailable);
    await expect(throttle.unlock("someone")).rejects.toEqual(unavailable);
  });

  it("every password-step operation fails with STORE_UNAVAILABLE: never allowed, never throttled", async () => {
    const login = createRedisLoginThrottle(down, "unreachable:");
    await expect(login.charge("attempt", [{ key: "k", limit: 10, windowMs: 15 * MINUTE }], T0)).rejects.toEqual(unavailable);
    await expect(login.refund("attempt")).rejects.toEqual(unavailable);
  });

  it("the health check rejects with STORE_UNAVAILABLE", async () => {
    await expect(redisHealth(down).ping()).rejects.toEqual(unavailable);
  });

  it("classifies connection failures as outages and wrong commands as errors", () => {
    expect(isRedisOutage(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isRedisOutage(new Error("Connection is closed."))).toBe(true);
    expect(isRedisOutage(Object.assign(new Error("x"), { name: "MaxRetriesPerRequestError" }))).toBe(true);
    expect(isRedisOutage(Object.assign(new Error("LOADING Redis is loading the dataset in memory"), { name: "ReplyError" }))).toBe(true);
    expect(isRedisOutage(Object.assign(new Error("ERR wrong number of arguments"), { name: "ReplyError" }))).toBe(false);
  });
});

describe("a client that lost Redis", () => {
  it("recovers by itself when the server answers again, without a new client", async () => {
    const redis = await connectedClient();
    const throttle = createRedisSecondFactorThrottle(redis, CONFORMANCE_POLICY, scratchPrefix());
    // Drop this client's connection from the server side, as a Redis restart would.
    const id = await redis.client("ID");
    const killer = await connectedClient();
    const closed = new Promise((resolve) => redis.once("close", resolve));
    await killer.client("KILL", "ID", String(id));
    await closed;
    // Until it has reconnected, a charge is an outage (503), neither allowed nor throttled.
    await expect(throttle.charge("someone", T0)).rejects.toEqual(expect.objectContaining({ code: ErrorCode.STORE_UNAVAILABLE }));
    expect(await waitUntilReady(redis, 5_000)).toBe(true);
    const userId = randomUUID();
    expect(await throttle.charge(userId, T0)).toEqual({ allowed: true });
    await throttle.reset(userId);
  });
});
