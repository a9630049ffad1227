// The SQL is written once, here and in the modules it gathers; each dialect is a small shim
// (sqlite.ts, postgres.ts) that hands in a Kysely instance.
import { Migrator, sql, type Kysely } from "kysely";
import type {
  AccountStore,
  Durability,
  HealthCheck,
  InvitationStore,
  LoginThrottle,
  EventStore,
  GroupStore,
  RecoveryCodeStore,
  RememberedDeviceStore,
  SecondFactorThrottle,
  SecondFactorThrottlePolicy,
  SessionStore,
  TOTPStore,
  UserStore,
} from "../core/ports.js";
import { freshDatabaseProvider, migrationProvider, migrations } from "./migrations.js";
import type { Database } from "./schema.js";
import { createAccountStore } from "./accounts.js";
import { createRememberedDeviceStore } from "./devices.js";
import { createEventStore } from "./events.js";
import { createGroupStore } from "./groups.js";
import { createInvitationStore } from "./invitations.js";
import { createSessionStore } from "./sessions.js";
import { createLoginThrottle, createSecondFactorThrottle } from "./throttle.js";
import { createRecoveryCodeStore, createTOTPStore } from "./totp.js";
import { createUserStore } from "./users.js";

export interface Store {
  /** The second-factor accounts (a host app's users get one at their first second factor). */
  accounts: AccountStore;
  users: UserStore;
  totp: TOTPStore;
  recoveryCodes: RecoveryCodeStore;
  sessions: SessionStore;
  devices: RememberedDeviceStore;
  events: EventStore;
  invitations: InvitationStore;
  groups: GroupStore;
  secondFactorThrottle: SecondFactorThrottle;
  loginThrottle: LoginThrottle;
  health: HealthCheck;
  durability: Durability;
  /**
   * Deletes what can no longer be used: expired sessions, enrollments and throttle windows; and
   * activity-log events older than `eventsKeptMs` (GATEHOUSE_EVENTS_DAYS, 90 days by default).
   */
  sweep(now: number, idleTimeoutMs: number, loginWindowMs: number, eventsKeptMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * gatehouse's migration bookkeeping, under its own names: in a host app's database, Kysely's
 * default kysely_migration table may be the host's own, whose migrations are not ours.
 */
const MIGRATION_TABLE = "gatehouse_migration";
const MIGRATION_LOCK_TABLE = "gatehouse_migration_lock";

/**
 * Databases made before the library kept their bookkeeping in Kysely's default tables; they
 * move to gatehouse's names once, so the migrations already run are not run again.
 */
/** Whether the database holds gatehouse's migration bookkeeping (under either name) at all. */
async function adoptDefaultBookkeeping(db: Kysely<Database>, schema: string | undefined): Promise<boolean> {
  const tables = new Set(
    (await db.introspection.getTables({ withInternalKyselyTables: true }))
      .filter((table) => schema === undefined || table.schema === schema)
      .map((table) => table.name),
  );
  if (tables.has(MIGRATION_TABLE)) return true;
  if (!tables.has("kysely_migration")) return false;
  const ref = (name: string) => (schema === undefined ? sql.table(name) : sql.table(`${schema}.${name}`));
  // Ours only when our tables of then are there and every migration it records is one of ours:
  // a host app's own bookkeeping (whose first migration may well be named 0001_initial) is not.
  if (!tables.has("totp_factors")) return false;
  const recorded = await sql<{ name: string }>`SELECT name FROM ${ref("kysely_migration")}`.execute(db);
  if (recorded.rows.length === 0 || recorded.rows.some((row) => !(row.name in migrations))) return false;
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE ${ref("kysely_migration")} RENAME TO ${sql.table(MIGRATION_TABLE)}`.execute(trx);
    if (tables.has("kysely_migration_lock")) {
      await sql`ALTER TABLE ${ref("kysely_migration_lock")} RENAME TO ${sql.table(MIGRATION_LOCK_TABLE)}`.execute(trx);
    }
  });
  return true;
}

/**
 * `schema` (PostgreSQL): where the bookkeeping tables live. Without it Kysely takes a lock
 * table in ANY schema of the database (another app's, another installation's) as its own,
 * skips creating it, and the migration fails.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<void> {
  const upgrading = await adoptDefaultBookkeeping(db, schema);
  const migrator = new Migrator({
    db,
    provider: upgrading ? migrationProvider : freshDatabaseProvider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema !== undefined && { migrationTableSchema: schema }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error("database migration failed");
}

/** GATEHOUSE_EVENTS_DAYS's default: the activity log keeps 90 days (review F5: it never shrank). */
export const DEFAULT_EVENTS_KEPT_MS = 90 * 86_400_000;

/** How long after its expiry an invitation (used or not) is still listed. */
const INVITATION_KEPT_MS = 30 * 86_400_000;

/** For drivers whose statements are committed when they return. */
const COMMITTED_ON_RETURN: Durability = { watch: () => async () => {} };

export function createKyselyStore(
  db: Kysely<Database>,
  throttlePolicy: SecondFactorThrottlePolicy,
  durability: Durability = COMMITTED_ON_RETURN,
): Store {
  const sessions = createSessionStore(db);
  return {
    accounts: createAccountStore(db),
    users: createUserStore(db),
    totp: createTOTPStore(db),
    recoveryCodes: createRecoveryCodeStore(db),
    sessions,
    devices: createRememberedDeviceStore(db),
    events: createEventStore(db),
    invitations: createInvitationStore(db),
    groups: createGroupStore(db),
    secondFactorThrottle: createSecondFactorThrottle(db, throttlePolicy),
    loginThrottle: createLoginThrottle(db),
    health: {
      async ping() {
        await sql`SELECT 1`.execute(db);
      },
    },
    durability,
    async sweep(now, idleTimeoutMs, loginWindowMs, eventsKeptMs = DEFAULT_EVENTS_KEPT_MS) {
      await sessions.deleteExpiredSessions(now, idleTimeoutMs);
      await db.deleteFrom("gatehouse_pending_enrollments").where("expires_at", "<=", now).execute();
      await db.deleteFrom("gatehouse_remembered_devices").where("expires_at", "<=", now).execute();
      await db.deleteFrom("gatehouse_login_failures").where("at", "<=", now - loginWindowMs).execute();
      // `gatehouse user invites` shows spent invitations for a while; the activity log keeps them.
      await db.deleteFrom("gatehouse_invitations").where("expires_at", "<=", now - INVITATION_KEPT_MS).execute();
      await db.deleteFrom("gatehouse_events").where("at", "<=", now - eventsKeptMs).execute();
    },
    close: () => db.destroy(),
  };
}
