// The SQL is written once, here and in the modules it gathers; each dialect is a small shim
// (sqlite.ts, postgres.ts) that hands in a Kysely instance.
import { Migrator, sql, type Kysely } from "kysely";
import type {
  Durability,
  HealthCheck,
  LoginThrottle,
  EventStore,
  RecoveryCodeStore,
  RememberedDeviceStore,
  SecondFactorThrottle,
  SecondFactorThrottlePolicy,
  SessionStore,
  TOTPStore,
  UserStore,
} from "../core/ports.js";
import { migrationProvider } from "./migrations.js";
import type { Database } from "./schema.js";
import { createRememberedDeviceStore } from "./devices.js";
import { createEventStore } from "./events.js";
import { createSessionStore } from "./sessions.js";
import { createLoginThrottle, createSecondFactorThrottle } from "./throttle.js";
import { createRecoveryCodeStore, createTOTPStore } from "./totp.js";
import { createUserStore } from "./users.js";

export interface Store {
  users: UserStore;
  totp: TOTPStore;
  recoveryCodes: RecoveryCodeStore;
  sessions: SessionStore;
  devices: RememberedDeviceStore;
  events: EventStore;
  secondFactorThrottle: SecondFactorThrottle;
  loginThrottle: LoginThrottle;
  health: HealthCheck;
  durability: Durability;
  /** Deletes what can no longer be used: expired sessions, enrollments and throttle windows. */
  sweep(now: number, idleTimeoutMs: number, loginWindowMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error("database migration failed");
}

/** For drivers whose statements are committed when they return. */
const COMMITTED_ON_RETURN: Durability = { watch: () => async () => {} };

export function createKyselyStore(
  db: Kysely<Database>,
  throttlePolicy: SecondFactorThrottlePolicy,
  durability: Durability = COMMITTED_ON_RETURN,
): Store {
  const sessions = createSessionStore(db);
  return {
    users: createUserStore(db),
    totp: createTOTPStore(db),
    recoveryCodes: createRecoveryCodeStore(db),
    sessions,
    devices: createRememberedDeviceStore(db),
    events: createEventStore(db),
    secondFactorThrottle: createSecondFactorThrottle(db, throttlePolicy),
    loginThrottle: createLoginThrottle(db),
    health: {
      async ping() {
        await sql`SELECT 1`.execute(db);
      },
    },
    durability,
    async sweep(now, idleTimeoutMs, loginWindowMs) {
      await sessions.deleteExpiredSessions(now, idleTimeoutMs);
      await db.deleteFrom("pending_enrollments").where("expires_at", "<=", now).execute();
      await db.deleteFrom("remembered_devices").where("expires_at", "<=", now).execute();
      await db.deleteFrom("login_failures").where("at", "<=", now - loginWindowMs).execute();
    },
    close: () => db.destroy(),
  };
}
