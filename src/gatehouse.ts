// The facade: gatehouse's second factor wired over its tables, for the gatehouse app and for a
// host app alike. One place builds the use cases from their ports; it picks no database, no
// framework and no driver (the caller hands in the store), and it returns use cases only.
import { randomFillSync, randomUUID } from "node:crypto";
import { createAccountChanges, type AccountChanges, type ConfirmFirstFactor } from "./core/account-changes.js";
import { deriveKeys } from "./core/keys.js";
import { ARGON2_PRODUCTION, createPasswordHasher, type PasswordHasher } from "./core/password.js";
import type { Clock, RandomSource, SecondFactorThrottle, SecurityEventSink } from "./core/ports.js";
import { pooledRandomSource } from "./core/random-pool.js";
import { createRecoveryCodeHasher } from "./core/recovery-code-hash.js";
import { createRememberedDevices, MAX_REMEMBER_DEVICE_MS, type RememberedDevices } from "./core/remembered-devices.js";
import { createSealer, type Sealer } from "./core/seal.js";
import { createSessionManager, DEFAULT_SESSION_TIMEOUTS, type SessionManager, type SessionTimeouts } from "./core/sessions.js";
import { createSignIn, type SignIn } from "./core/sign-in.js";
import { createTwoFactor, type TwoFactor } from "./core/two-factor.js";
import type { Store } from "./store/kysely-store.js";

/** R24: an enrollment key shown but not confirmed stays valid this long. */
export const ENROLLMENT_TTL_MS = 15 * 60_000;

export interface GatehouseOptions {
  /** gatehouse's tables: `openGatehouseTables` over a host's database, or the app's own store. */
  store: Store;
  /** The key ring (32 bytes each): the first seals, every one opens (rotation). At least one. */
  secretKeys: readonly Uint8Array[];
  /** The issuer the authenticator app shows above the account name. */
  issuer: string;
  /** The second-factor throttle; the store's (in the database) unless given (Redis). */
  throttle?: SecondFactorThrottle;
  /** Where security events go; nowhere unless given (the app's activity log). */
  events?: SecurityEventSink;
  /** Argon2id: checks recovery codes made before keyed hashes (the app hashes passwords with it too). */
  hasher?: PasswordHasher;
  /** The first factor asked again before a factor changes (R39); none: the second factor alone. */
  confirmFirstFactor?: ConfirmFirstFactor;
  clock?: Clock;
  random?: RandomSource;
  sessionTimeouts?: SessionTimeouts;
  /** How long "remember this browser" lasts: 30 days unless set lower. */
  rememberBrowserMs?: number;
}

export interface Gatehouse {
  /** The sign-in flow after the first factor: its decisions, for an adapter to apply. */
  signIn: SignIn;
  /** A signed-in user's changes to their second factor, with what each ends. */
  accountChanges: AccountChanges;
  twoFactor: TwoFactor;
  sessions: SessionManager;
  devices: RememberedDevices;
  /** Seals secrets under the current key (key rotation reseals with it). */
  sealer: Sealer;
  /** The key the adapters derive CSRF tokens with (a purpose key, never a sealing key). */
  csrfKey: Uint8Array;
  clock: Clock;
  random: RandomSource;
}

const NO_EVENTS: SecurityEventSink = { record: async () => {} };

export function createGatehouse(options: GatehouseOptions): Gatehouse {
  const { store, issuer } = options;
  const clock = options.clock ?? { now: () => Date.now() };
  const random = options.random ?? pooledRandomSource((into) => randomFillSync(into));
  const events = options.events ?? NO_EVENTS;
  const keys = options.secretKeys.map(deriveKeys);
  const current = keys[0];
  if (!current) throw new TypeError("gatehouse needs at least one secret key.");
  const sealer = createSealer(
    keys.map((k) => k.sealingKey),
    random,
  );
  const twoFactor = createTwoFactor(
    {
      totp: store.totp,
      recoveryCodes: store.recoveryCodes,
      throttle: options.throttle ?? store.secondFactorThrottle,
      sealer,
      recoveryCodeHasher: createRecoveryCodeHasher(keys.map((k) => k.recoveryCodeKey)),
      legacyRecoveryCodeHasher: options.hasher ?? createPasswordHasher(ARGON2_PRODUCTION),
      clock,
      random,
      events,
    },
    { issuer, enrollmentTTLms: ENROLLMENT_TTL_MS },
  );
  const timeouts = options.sessionTimeouts ?? DEFAULT_SESSION_TIMEOUTS;
  const sessions = createSessionManager({ store: store.sessions, clock, random, timeouts, events, sealer });
  const devices = createRememberedDevices({
    store: store.devices,
    users: store.users,
    clock,
    random,
    events,
    newId: randomUUID,
    lifetimeMs: options.rememberBrowserMs ?? MAX_REMEMBER_DEVICE_MS,
  });
  return {
    signIn: createSignIn({ holders: store.accounts, twoFactor, sessions, devices, clock }),
    accountChanges: createAccountChanges({ confirmFirstFactor: options.confirmFirstFactor, twoFactor, sessions, devices }),
    twoFactor,
    sessions,
    devices,
    sealer,
    csrfKey: current.csrfKey,
    clock,
    random,
  };
}
