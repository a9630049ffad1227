// REDIS_URL under a running app: the throttle counters live in the real Redis (127.0.0.1:6379),
// not in the database; when Redis goes away every sign-in step answers 503 and fails closed (no
// throttle bypassed, nothing granted), /healthz names Redis as the dependency that is down, and
// the same app recovers by itself once Redis is back. The outage is simulated with a TCP proxy
// in front of Redis that this test closes and reopens, never by stopping the shared server.
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient, type Redis } from "../../src/limits/redis-client.js";
import { connectedRedis, deleteKeysUnder, keysUnder, scratchPrefix } from "../support/redis.js";
import { buildTestApp, codeAt, registerAndEnroll, signInPassword, STRONG_PASSWORD, type TestApp } from "../support/app.js";

const REDIS_PORT = 6379; // the shared server of test/support/redis.ts

/** A TCP proxy to Redis that can drop every connection and refuse new ones, then come back. */
class RedisProxy {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(REDIS_PORT, "127.0.0.1");
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const proxy = new RedisProxy();
const prefix = scratchPrefix();
let t: TestApp;
let redis: Redis;

beforeAll(async () => {
  redis = await connectedRedis();
  await proxy.up();
  t = await buildTestApp({ redisURL: `redis://127.0.0.1:${proxy.port}`, redisKeyPrefix: prefix });
});

afterAll(async () => {
  await t?.close();
  await proxy.down();
  await deleteKeysUnder(redis, prefix);
  await closeRedisClient(redis);
});

function expectUnavailablePage(res: LightMyRequestResponse) {
  expect(res.statusCode).toBe(503);
  expect(res.headers["content-type"]).toMatch(/^text\/html/);
  expect(res.body).toContain("temporarily unavailable");
  expect(res.body).not.toMatch(/Redis|ECONNREFUSED|Stream isn't writeable/);
}

async function health() {
  const res = await t.app.inject({ method: "GET", url: "/healthz" });
  return { status: res.statusCode, body: res.json() as unknown };
}

async function userIdOf(username: string): Promise<string> {
  const user = await t.store.users.findUserByUsernameKey(username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

describe("throttles in Redis (REDIS_URL)", () => {
  it("/healthz reports the database and Redis separately", async () => {
    expect(await health()).toEqual({ status: 200, body: { status: "ok", database: "ok", redis: "ok" } });
  });

  it("counts second-factor failures in Redis, not in the database, and locks after 5", async () => {
    const owner = t.client();
    const secret = await registerAndEnroll(t, owner, "redis_carol");
    t.clock.advanceSeconds(30);
    const browser = t.client();
    await signInPassword(browser, "redis_carol");
    const right = codeAt(secret, t.clock.ms);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) expect((await browser.post("/2fa", { otp: wrong })).statusCode).toBe(401);
    const locked = await browser.post("/2fa", { otp: right });
    expect(locked.statusCode).toBe(429);
    expect(locked.headers["retry-after"]).toBe("30");

    const userId = await userIdOf("redis_carol");
    expect(await redis.hget(`${prefix}second-factor:${userId}`, "failures")).toBe("5");
    expect((await t.store.secondFactorThrottle.status(userId)).consecutiveFailures).toBe(0);
  });

  it("counts password failures in Redis: the 11th wrong password for one name and address answers 429", async () => {
    const owner = t.client();
    await registerAndEnroll(t, owner, "redis_dan");
    const stranger = t.client();
    await stranger.get("/login");
    for (let i = 0; i < 10; i++) {
      expect((await stranger.post("/login", { username: "redis_dan", password: `wrong-password-${i}` })).statusCode).toBe(401);
    }
    const refused = await stranger.post("/login", { username: "redis_dan", password: STRONG_PASSWORD });
    expect(refused.statusCode).toBe(429);
    expect((await keysUnder(redis, `${prefix}login:`)).length).toBeGreaterThan(0);
  });

  it("Redis down: every sign-in step answers 503, nothing is granted, and the app recovers without a restart", async () => {
    const signedIn = t.client();
    const secret = await registerAndEnroll(t, signedIn, "redis_erin");
    t.clock.advanceSeconds(30);
    const pending = t.client();
    expect((await signInPassword(pending, "redis_erin")).headers.location).toBe("/2fa");
    const stranger = t.client();
    await stranger.get("/login");
    const otp = codeAt(secret, t.clock.ms);

    await proxy.down();
    try {
      // The client notices the dropped connection asynchronously; a command already on its way
      // fails as well (503), but give the notice a moment rather than depend on that ordering.
      for (let tries = 0; (await health()).status !== 503 && tries < 50; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await health()).toEqual({ status: 503, body: { status: "unavailable", database: "ok", redis: "unavailable" } });
      expectUnavailablePage(await pending.post("/2fa", { otp }));
      expectUnavailablePage(await pending.post("/2fa", { otp: "000000" }));
      expectUnavailablePage(await stranger.post("/login", { username: "redis_erin", password: STRONG_PASSWORD }));
      expectUnavailablePage(await stranger.post("/login", { username: "redis_erin", password: "wrong-password-1" }));
    } finally {
      await proxy.up();
    }

    // The same client reconnects by itself (it retries at most 2 s apart).
    for (let tries = 0; (await health()).status !== 200; tries++) {
      if (tries > 100) throw new Error("the app did not reconnect to Redis");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await health()).toEqual({ status: 200, body: { status: "ok", database: "ok", redis: "ok" } });

    // The refused POST /2fa granted nothing and was not counted: the same code still works once.
    const stillPending = await pending.get("/");
    expect(stillPending.headers.location).toBe("/2fa");
    await pending.get("/2fa");
    expect((await pending.post("/2fa", { otp })).statusCode).toBe(303);
    expect((await pending.get("/")).body).toContain("Signed in as redis_erin");
    expect(await redis.hget(`${prefix}second-factor:${await userIdOf("redis_erin")}`, "failures")).toBeNull();

    const login = await stranger.post("/login", { username: "redis_erin", password: STRONG_PASSWORD });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe("/2fa");
  });
});

describe("Redis unreachable from the start", () => {
  it("the app starts, /healthz answers 503 naming Redis, and the password step answers 503", async () => {
    const closed = await buildTestApp({ redisURL: "redis://127.0.0.1:1", redisKeyPrefix: scratchPrefix() });
    try {
      const res = await closed.app.inject({ method: "GET", url: "/healthz" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: "unavailable", database: "ok", redis: "unavailable" });
      const client = closed.client();
      await client.get("/login");
      expectUnavailablePage(await client.post("/login", { username: "nobody", password: STRONG_PASSWORD }));
    } finally {
      await closed.close();
    }
  });
});
