// The composition of the core with its adapters: configuration in, wired services out. Shared
// by the web app (compose.ts) and the admin CLI. The only place that picks concrete adapters,
// the real clock and randomness (style: inject time and randomness).
import { randomFillSync, randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { pino, type Logger } from "pino";
import { createActivityLog } from "./activity.js";
import { createAccounts, DEFAULT_LOGIN_LIMITS } from "./core/accounts.js";
import { createAdministration } from "./core/admin.js";
import { createInvitations, type RegistrationMode } from "./core/invitations.js";
import { ARGON2_PRODUCTION, createPasswordHasher, type Argon2Params } from "./core/password.js";
import type { Clock, HealthCheck, LoginThrottle, RandomSource, SecondFactorThrottle } from "./core/ports.js";
import { pooledRandomSource } from "./core/random-pool.js";
import { DEFAULT_SESSION_TIMEOUTS, type SessionTimeouts } from "./core/sessions.js";
import { createPasswordStep } from "./core/password-step.js";
import { createRedisLoginThrottle, createRedisSecondFactorThrottle } from "./limits/redis.js";
import { closeRedisClient, createRedisClient, redisHealth, waitUntilReady } from "./limits/redis-client.js";
import { throttlePolicy } from "./core/throttle-policy.js";
import { createGatehouse } from "./gatehouse.js";
import { createLogNotifier, type Notifier } from "./notify/notifier.js";
import { notifyUsersOf } from "./notify/user-events.js";
import type { Store } from "./store/kysely-store.js";
import { openStore, type StoreLocation } from "./store/open.js";

export interface ServiceOptions extends StoreLocation {
  /** The key ring: the first key seals, every key opens (rotation). At least one. */
  masterSecrets: Uint8Array[];
  issuer: string;
  /** GATEHOUSE_REGISTRATION (contract: Who may register). */
  registration: RegistrationMode;
  firstLockSeconds: number;
  /** Silent when absent (tests). */
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
  argon2?: Argon2Params;
  sessionTimeouts?: SessionTimeouts;
  /** How long "remember this browser" lasts: 30 days unless set lower. */
  rememberDeviceMs?: number;
  /** Tells users about changes to their account (R30); the log notifier when absent. */
  notifier?: Notifier;
  /** REDIS_URL: the throttle counters live in Redis when set, else in the database. */
  redisURL?: string | undefined;
  /** Prepended to every Redis key ("gatehouse:" unless set; tests use one per test). */
  redisKeyPrefix?: string;
  /**
   * SQLite commits the writes of one event-loop turn together; only for a caller that awaits
   * `store.durability` before showing a write (the web app). The CLI leaves it off.
   */
  groupCommit?: boolean;
}

/** The throttles the services use, wherever their counters live. */
export interface Throttles {
  secondFactor: SecondFactorThrottle;
  login: LoginThrottle;
}

/** What GET /healthz reports, one entry per dependency. */
export type HealthChecks = Record<string, HealthCheck>;

/** Startup waits this long for Redis, then goes on: requests answer 503 until it is back. */
const REDIS_STARTUP_WAIT_MS = 2_000;


export { throttlePolicy } from "./core/throttle-policy.js";

export async function createServices(options: ServiceOptions) {
  const clock = options.clock ?? { now: () => Date.now() };
  const random = options.random ?? pooledRandomSource((into) => randomFillSync(into));
  const logger = options.logger ?? pino({ level: "silent" });
  const policy = throttlePolicy(options.firstLockSeconds);
  const store: Store = await openStore(options, policy, { groupCommit: options.groupCommit });
  let throttles: Throttles = { secondFactor: store.secondFactorThrottle, login: store.loginThrottle };
  const health: HealthChecks = { database: store.health };
  let closeRedis = async () => {};
  if (options.redisURL) {
    const redisLogger = logger.child({ component: "redis" });
    const redis = createRedisClient(options.redisURL, {
      onError: (error) => redisLogger.warn({ err: { message: error.message } }, "Redis connection error"),
    });
    const prefix = options.redisKeyPrefix ?? "gatehouse:";
    throttles = {
      secondFactor: createRedisSecondFactorThrottle(redis, policy, prefix),
      login: createRedisLoginThrottle(redis, prefix),
    };
    health.redis = redisHealth(redis);
    closeRedis = () => closeRedisClient(redis);
    if (!(await waitUntilReady(redis, REDIS_STARTUP_WAIT_MS))) redisLogger.warn("Redis is not reachable yet; sign-in answers 503 until it is");
  }
  // One core stays free for the event loop while passwords are hashed (a login storm).
  const hasher = createPasswordHasher(options.argon2 ?? ARGON2_PRODUCTION, {
    maxConcurrent: Math.max(1, availableParallelism() - 1),
  });
  const timeouts = options.sessionTimeouts ?? DEFAULT_SESSION_TIMEOUTS;
  const notifier = options.notifier ?? createLogNotifier(logger.child({ component: "notify" }));
  const notifications = notifyUsersOf(notifier, store.users, store.durability, (error) => {
    logger.warn({ err: { message: (error as Error).message } }, "could not notify a user");
  });
  const events = createActivityLog({
    store: store.events,
    logger: logger.child({ component: "security" }),
    clock,
    newId: randomUUID,
    onStored: notifications.onStored,
  });
  const invitations = createInvitations(
    { store: store.invitations, clock, random, newId: randomUUID, events },
    { registration: options.registration },
  );
  const accounts = createAccounts(
    { users: store.users, throttle: throttles.login, hasher, clock, newId: randomUUID, events, admission: invitations },
    DEFAULT_LOGIN_LIMITS,
  );

  const gatehouse = createGatehouse({
    store,
    secretKeys: options.masterSecrets,
    issuer: options.issuer,
    throttle: throttles.secondFactor,
    events,
    hasher,
    confirmFirstFactor: (holder, password, origin) => accounts.confirmPassword(holder, password, origin),
    clock,
    random,
    sessionTimeouts: timeouts,
    ...(options.rememberDeviceMs !== undefined && { rememberBrowserMs: options.rememberDeviceMs }),
  });
  const { signIn, accountChanges } = gatehouse;

  return {
    store,
    /** Use these, not store.*Throttle: with REDIS_URL the counters live in Redis. */
    throttles,
    health,
    clock,
    random,
    logger,
    sealer: gatehouse.sealer,
    hasher,
    events,
    timeouts,
    csrfKey: gatehouse.csrfKey,
    accounts,
    invitations,
    /** `gatehouse user reset-2fa|disable|enable|password|sign-out`. */
    admin: createAdministration({
      users: store.users,
      totp: store.totp,
      sessions: store.sessions,
      throttle: throttles.secondFactor,
      accounts,
      clock,
      events,
    }),
    twoFactor: gatehouse.twoFactor,
    sessions: gatehouse.sessions,
    devices: gatehouse.devices,
    signIn,
    accountChanges,
    passwordStep: createPasswordStep({ accounts, signIn, accountChanges }),
    async close() {
      await notifications.drain();
      await notifier.close();
      await closeRedis();
      await store.close();
    },
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
