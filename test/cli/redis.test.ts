// With REDIS_URL the second-factor counters live in Redis, so the admin commands must read and
// clear them there: `gatehouse user show` reports the Redis lock and `gatehouse user unlock`
// lifts it (the real binary, the real Redis on 127.0.0.1:6379, the default key prefix; the
// account id is a fresh UUID, so the key is this test's alone and is deleted afterwards).
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeRedisClient, createRedisClient, waitUntilReady } from "../../src/limits/redis-client.js";
import { createServices } from "../../src/services.js";
import { AS_ADMIN, gatehouse, makeDataDir, PASSWORD, TEST_ARGON2, TestClock, type DataDir } from "./support.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const DAY_MS = 86_400_000;

describe("gatehouse user commands with REDIS_URL", () => {
  const dirs: DataDir[] = [];
  const redis = createRedisClient(REDIS_URL);
  const keys: string[] = [];
  afterAll(async () => {
    if (keys.length > 0) await redis.del(...keys);
    await closeRedisClient(redis);
    for (const dir of dirs) await dir.remove();
  });

  it("user show reports the hard lock kept in Redis, and user unlock clears it there", async () => {
    if (!(await waitUntilReady(redis, 5_000))) throw new Error("Redis is not reachable at 127.0.0.1:6379; start it rather than skipping this test.");
    const dir = await makeDataDir();
    dirs.push(dir);
    const open = () =>
      createServices({
        databaseFile: join(dir.path, "gatehouse.sqlite"),
        masterSecrets: dir.masterSecrets,
        issuer: "gatehouse",
        registration: "open",
        firstLockSeconds: 30,
        argon2: TEST_ARGON2,
        clock: new TestClock(Date.now()),
        redisURL: REDIS_URL,
      });
    let userId: string;
    const services = await open();
    try {
      userId = (await services.accounts.register("alice", PASSWORD, AS_ADMIN)).id;
      keys.push(`gatehouse:second-factor:${userId}`);
      let at = Date.now() + 365 * DAY_MS;
      for (let i = 0; i < 100; i++, at += 2 * DAY_MS) expect((await services.throttles.secondFactor.charge(userId, at)).allowed).toBe(true);
      // The database knows nothing of it: the lock is in Redis only.
      expect(await services.store.secondFactorThrottle.status(userId)).toMatchObject({ consecutiveFailures: 0 });
    } finally {
      await services.close();
    }
    const env = { ...dir.env, REDIS_URL };

    const before = JSON.parse((await gatehouse(["user", "show", "alice", "--json"], env)).stdout);
    expect(before).toMatchObject({ secondFactorLock: "hard-locked", consecutiveFailures: 100 });
    const unlocked = await gatehouse(["user", "unlock", "alice"], env);
    expect(unlocked).toMatchObject({ code: 0, stdout: "unlocked the second factor of alice\n", stderr: "" });
    const after = JSON.parse((await gatehouse(["user", "show", "alice", "--json"], env)).stdout);
    expect(after).toMatchObject({ secondFactorLock: "not locked", consecutiveFailures: 0 });
    expect(await redis.exists(`gatehouse:second-factor:${userId}`)).toBe(0);
  });

  it("an invalid REDIS_URL stops the command with one line naming the setting", async () => {
    const dir = await makeDataDir();
    dirs.push(dir);
    const result = await gatehouse(["user", "list"], { ...dir.env, REDIS_URL: "http://127.0.0.1:6379" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("REDIS_URL must be a redis:// or rediss:// URL");
  });
});
