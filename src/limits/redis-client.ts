// The Redis connection the throttles use, and the one place that decides "Redis is down".
//
// Style: "never let an outage look like too many attempts". Every command goes through `guard`:
// an outage leaves as GatehouseError(STORE_UNAVAILABLE) (→ 503 in src/web/errors.ts), never as
// "throttled" and never as "allowed"; any other error passes through untouched (→ 500), which
// also refuses the request. The client fails fast while Redis is away (no offline queue, one
// retry, a command timeout) and keeps reconnecting in the background, so service comes back by
// itself when Redis does, without a restart.
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { ErrorCode, GatehouseError } from "../core/errors.js";
import type { HealthCheck } from "../core/ports.js";

export type { Redis } from "ioredis";

/** How long a command may wait for its answer before it counts as an outage. */
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect forever, at most this far apart. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export interface RedisClientOptions {
  /** Called for connection errors; ioredis otherwise prints "Unhandled error event". */
  onError?: (error: Error) => void;
}

/** A client for `redis://` or `rediss://` that connects in the background and fails fast while Redis is down. */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const redis = new Redis(url, {
    // A command issued while disconnected fails at once instead of waiting in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Never give up: the service must recover when Redis returns (issue: "without a restart").
    retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
  });
  redis.on("error", (error: Error) => options.onError?.(error));
  return redis;
}

/** Resolves once the client is ready, or after `timeoutMs` whatever the state (startup must not hang on Redis). */
export async function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onReady = () => done(true);
    function done(ready: boolean) {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ready);
    }
    redis.once("ready", onReady);
  });
}

/** Closes the client without waiting for a server that may be gone. */
export async function closeRedisClient(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

// Socket errors on the way to the server.
const NETWORK_OUTAGES = ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"];
// Error replies that mean the server cannot serve now (loading, replica, out of memory, busy script…).
const REPLY_OUTAGES = /^(LOADING|READONLY|MASTERDOWN|BUSY|OOM|CLUSTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS|MISCONF) /;
// ioredis reports a missing connection with these messages, and a lost reply with a timeout.
const CLIENT_OUTAGE_MESSAGES = [
  /^Connection is closed/,
  /^Stream isn't writeable/,
  /^Command timed out/,
  /^Reached the max retries per request limit/,
  /^Connection in subscriber mode/,
];

/** True when the error says Redis cannot be used right now (as opposed to a wrong command). */
export function isRedisOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "MaxRetriesPerRequestError") return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_OUTAGES.includes(code)) return true;
  if (error.name === "ReplyError" && REPLY_OUTAGES.test(error.message)) return true;
  return CLIENT_OUTAGE_MESSAGES.some((pattern) => pattern.test(error.message));
}

export function redisUnavailable(cause: unknown): GatehouseError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const error = new GatehouseError(ErrorCode.STORE_UNAVAILABLE, `Redis is unavailable: ${message}`);
  error.cause = cause;
  return error;
}

/** Runs a Redis call; an outage becomes STORE_UNAVAILABLE, every other error passes through. */
export async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw isRedisOutage(error) ? redisUnavailable(error) : error;
  }
}

/** A Lua script run with EVALSHA, loaded with EVAL when the server does not know it yet. */
export function defineScript(source: string) {
  const sha = createHash("sha1").update(source).digest("hex");
  return async (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) return redis.eval(source, keys.length, ...keys, ...args);
      throw error;
    }
  };
}

/** For GET /healthz: resolves when Redis answers PING, rejects (STORE_UNAVAILABLE) otherwise. */
export function redisHealth(redis: Redis): HealthCheck {
  return {
    async ping() {
      await guard(() => redis.ping());
    },
  };
}
