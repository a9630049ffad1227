// The composition root: configuration in, a wired app out. The only place that picks concrete
// adapters and the real clock and randomness (style: inject time and randomness).
import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { createAccounts, DEFAULT_LOGIN_LIMITS } from "./core/accounts.js";
import { deriveKeys } from "./core/keys.js";
import { ARGON2_PRODUCTION, createPasswordHasher, type Argon2Params } from "./core/password.js";
import type { Clock, RandomSource, SecondFactorThrottlePolicy, SecurityEventSink } from "./core/ports.js";
import { createRememberedDevices } from "./core/remembered-devices.js";
import { createSealer } from "./core/seal.js";
import { createSessionManager, DEFAULT_SESSION_TIMEOUTS, type SessionTimeouts } from "./core/sessions.js";
import { createTwoFactor } from "./core/two-factor.js";
import { openSQLiteStore } from "./store/sqlite.js";
import type { Store } from "./store/kysely-store.js";
import { buildApp } from "./web/app.js";

export interface ComposeOptions {
  /** SQLite file path, or ":memory:" in tests. */
  databaseFile: string;
  masterSecret: Uint8Array;
  issuer: string;
  registrationOpen: boolean;
  firstLockSeconds: number;
  publicURL: URL | undefined;
  /** Silent when absent (tests). */
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
  argon2?: Argon2Params;
  sessionTimeouts?: SessionTimeouts;
}

/** R24: an enrollment key shown but not confirmed stays valid this long. */
const ENROLLMENT_TTL_MS = 15 * 60_000;
const SWEEP_INTERVAL_MS = 10 * 60_000;

export function throttlePolicy(firstLockSeconds: number): SecondFactorThrottlePolicy {
  // Contract: lock after 5 consecutive failures, double each time, cap a day, hard lock at 100.
  return { freeAttempts: 5, firstLockSeconds, maxLockSeconds: 86_400, hardLockFailures: 100 };
}

export async function composeApp(options: ComposeOptions): Promise<{ app: FastifyInstance; store: Store }> {
  const clock = options.clock ?? { now: () => Date.now() };
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const store = await openSQLiteStore(options.databaseFile, throttlePolicy(options.firstLockSeconds));
  const keys = deriveKeys(options.masterSecret);
  const timeouts = options.sessionTimeouts ?? DEFAULT_SESSION_TIMEOUTS;
  const sealer = createSealer([keys.sealingKey], random);
  const hasher = createPasswordHasher(options.argon2 ?? ARGON2_PRODUCTION);

  const logger = options.logger ?? pino({ level: "silent" });
  const securityLog = logger.child({ component: "security" });
  // R53: security events go to the log (the activity table comes with the account page).
  const events: SecurityEventSink = { record: (event) => securityLog.info({ event }, event.type) };

  const app = await buildApp({ publicURL: options.publicURL, logger }, {
    accounts: createAccounts(
      { users: store.users, throttle: store.loginThrottle, hasher, clock, newId: randomUUID, events },
      { registrationOpen: options.registrationOpen, ...DEFAULT_LOGIN_LIMITS },
    ),
    twoFactor: createTwoFactor(
      {
        totp: store.totp,
        recoveryCodes: store.recoveryCodes,
        throttle: store.secondFactorThrottle,
        sealer,
        recoveryCodeHasher: hasher,
        clock,
        random,
        events,
      },
      { issuer: options.issuer, enrollmentTTLms: ENROLLMENT_TTL_MS },
    ),
    sessions: createSessionManager({
      store: store.sessions,
      clock,
      random,
      timeouts,
      events,
    }),
    devices: createRememberedDevices({ store: store.devices, clock, random, events, newId: randomUUID }),
    users: store.users,
    recoveryCodes: store.recoveryCodes,
    sealer,
    csrfKey: keys.csrfKey,
    health: store.health,
    clock,
    random,
  });
  // Expired rows are refused by every query anyway; sweeping only keeps the tables small.
  const sweep = () =>
    store.sweep(clock.now(), timeouts.idleMs, DEFAULT_LOGIN_LIMITS.windowMs).catch((error: unknown) => {
      logger.warn({ err: { message: (error as Error).message } }, "sweeping expired rows failed");
    });
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();
  app.addHook("onClose", async () => {
    clearInterval(sweeper);
    await store.close();
  });
  return { app, store };
}
