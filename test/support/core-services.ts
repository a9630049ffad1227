// The core's services over the in-memory store (test/support/memory-ports), with a clock that
// moves only when a test moves it and a seeded random source: the use-case tests in test/core
// run without a database or the web layer, and every run draws the same secrets and codes.
import { createHash } from "node:crypto";
import { createAccounts, DEFAULT_LOGIN_LIMITS } from "../../src/core/accounts.js";
import { decodeBase32 } from "../../src/core/base32.js";
import { createInvitations } from "../../src/core/invitations.js";
import { createPasswordHasher, type Argon2Params } from "../../src/core/password.js";
import type { RandomSource, RequestOrigin, SecurityEvent, SecurityEventSink, UserRecord } from "../../src/core/ports.js";
import { createPasswordStep } from "../../src/core/password-step.js";
import { MAX_REMEMBER_DEVICE_MS } from "../../src/core/remembered-devices.js";
import { generateTOTP } from "../../src/core/totp.js";
import { throttlePolicy } from "../../src/core/throttle-policy.js";
import type { EnrollmentMode, EnrollmentView } from "../../src/core/two-factor.js";
import { createGatehouse } from "../../src/gatehouse.js";
import type { Store } from "../../src/store/kysely-store.js";
import { createMemoryStore } from "./memory-ports/index.js";

/** 12:00:15 UTC: 15 seconds into a TOTP step, so ±1 step is ±30 s without touching an edge. */
export const T0 = Date.UTC(2026, 10, 28, 12, 0, 15);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const DAY = 1440 * MINUTE;

/** The cheapest Argon2id the hasher accepts (as test/support/app.ts's TEST_ARGON2). */
export const CHEAP_ARGON2: Argon2Params = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** R24: how long a shown key stays valid (the facade's, which the app uses too). */
export { ENROLLMENT_TTL_MS } from "../../src/gatehouse.js";

export const ORIGIN: RequestOrigin = { clientAddress: "203.0.113.9", userAgent: "Firefox" };

export class FixedClock {
  constructor(public ms = T0) {}
  now = () => this.ms;
  advance(ms: number) {
    this.ms += ms;
  }
}

/** SHA-256 in counter mode over a seed: reproducible bytes, a different block on every call. */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (byteLength) => {
    const bytes = new Uint8Array(byteLength);
    for (let filled = 0; filled < byteLength; filled += 32) {
      const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
      bytes.set(block.subarray(0, byteLength - filled), filled);
    }
    return bytes;
  };
}

/** A security-event sink that keeps what it is given, for the tests to read. */
export function recordingEvents() {
  const recorded: SecurityEvent[] = [];
  const sink: SecurityEventSink = {
    async record(event) {
      recorded.push(event);
    },
  };
  return { ...sink, recorded, types: () => recorded.map((event) => event.type) };
}

/** The code an authenticator app shows at `ms` for the key of `view` (independent of the service). */
export function codeAt(view: EnrollmentView, ms: number): string {
  return generateTOTP(decodeBase32(view.secretBase32)!, ms / 1000);
}

/** A user in the store, without the cost of a password hash (for tests that never check one). */
export async function addUser(store: Store, username: string): Promise<UserRecord> {
  const user: UserRecord = { id: `user-${username}`, username, passwordHash: "$argon2id$stub", createdAt: T0, disabledAt: null };
  if (!(await store.users.createUser({ ...user, usernameKey: username.toLowerCase() }))) throw new Error(`${username} exists`);
  return user;
}

export interface CoreOptions {
  /** How long a remembered browser lasts (30 days unless set). */
  rememberDeviceMs?: number;
  argon2?: Argon2Params;
}

/** The services as src/services.ts wires them (through the facade), over one fresh in-memory store. */
export function buildCore({ rememberDeviceMs = MAX_REMEMBER_DEVICE_MS, argon2 = CHEAP_ARGON2 }: CoreOptions = {}) {
  const clock = new FixedClock();
  const random = seededRandom("gatehouse core tests");
  const store = createMemoryStore(throttlePolicy(30));
  const events = recordingEvents();
  const hasher = createPasswordHasher(argon2);
  let lastId = 0;
  const newId = () => `id-${++lastId}`;
  const invitations = createInvitations({ store: store.invitations, clock, random, newId, events }, { registration: "open" });
  const accounts = createAccounts(
    { users: store.users, throttle: store.loginThrottle, hasher, clock, newId, events, admission: invitations },
    DEFAULT_LOGIN_LIMITS,
  );
  const gatehouse = createGatehouse({
    store,
    secretKeys: [random(32)],
    issuer: "gatehouse-test",
    events,
    hasher,
    confirmFirstFactor: (holder, password, origin) => accounts.confirmPassword(holder, password, origin),
    clock,
    random,
    rememberBrowserMs: rememberDeviceMs,
  });
  const passwordStep = createPasswordStep({ accounts, signIn: gatehouse.signIn, accountChanges: gatehouse.accountChanges });
  return { ...gatehouse, store, clock, random, events, hasher, accounts, passwordStep };
}

export type Core = ReturnType<typeof buildCore>;

/**
 * Enrolls `user` from a session of its own at the clock's time, as the app would, then moves the
 * clock a minute on, past the confirming step (which R7 refuses as a sign-in code).
 */
export async function enroll(core: Core, user: UserRecord) {
  const mode: EnrollmentMode = { kind: "first", sessionIdHash: `enroll-${user.id}`.padEnd(64, "0") };
  const view = await core.twoFactor.currentEnrollment(user.id, user.username, mode);
  const recoveryCodes = await core.twoFactor.confirmEnrollment(user.id, codeAt(view, core.clock.ms), mode, ORIGIN);
  if (!recoveryCodes) throw new Error(`${user.username} could not enroll`);
  core.clock.advance(MINUTE);
  return { view, recoveryCodes };
}
