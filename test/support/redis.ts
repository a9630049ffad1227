// The shared Redis on 127.0.0.1:6379 for tests: a connected client or a failure naming the
// server (never a skip), and the keys a test wrote under its own prefix, found with SCAN.
import { randomUUID } from "node:crypto";
import { closeRedisClient, createRedisClient, waitUntilReady, type Redis } from "../../src/limits/redis-client.js";

export const REDIS_SERVER = "127.0.0.1:6379";
export const REDIS_TEST_URL = `redis://${REDIS_SERVER}`;

export async function connectedRedis(url = REDIS_TEST_URL): Promise<Redis> {
  const redis = createRedisClient(url);
  if (!(await waitUntilReady(redis, 5_000))) {
    await closeRedisClient(redis);
    throw new Error(`Redis is not reachable at ${REDIS_SERVER}. These tests need it, locally and in CI; start it rather than skipping them.`);
  }
  return redis;
}

/** A key prefix no other test run uses, so runs sharing the server never see each other's keys. */
export function scratchPrefix(): string {
  return `gatehouse-test:${randomUUID()}:`;
}

/** Every key matching `prefix*` (SCAN, never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}
