// Migrations live in code (not a folder scan) so they ship inside the compiled package and run
// the same on SQLite and PostgreSQL. Append new ones; never edit an applied one.
import { sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { latestSchema, libraryTables } from "./migration-library-tables.js";

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("users")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("username", "text", (c) => c.notNull())
      .addColumn("username_key", "text", (c) => c.notNull().unique())
      .addColumn("password_hash", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      // R47: bumped when the second factor changes; remembered devices of older versions fail.
      .addColumn("factor_version", "integer", (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable("totp_factors")
      .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("sealed_secret", "text", (c) => c.notNull())
      // R6: NOT NULL with -1 so the compare-and-set `last_used_step < step` needs no NULL case.
      .addColumn("last_used_step", "bigint", (c) => c.notNull().defaultTo(-1))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("pending_enrollments")
      .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("sealed_secret", "text", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      // A new-phone enrollment belongs to the session that re-authenticated for it (R25, R39).
      .addColumn("session_id_hash", "text")
      .execute();

    await db.schema
      .createTable("recovery_codes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("code_hash", "text", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("recovery_codes_user").on("recovery_codes").column("user_id").execute();

    await db.schema
      .createTable("sessions")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("level", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("last_seen_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("next_path", "text", (c) => c.notNull())
      .addColumn("flash", "text")
      .execute();
    await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();
    await db.schema.createIndex("sessions_expiry").on("sessions").column("expires_at").execute();

    await db.schema
      .createTable("second_factor_throttle")
      .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("locked_until", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("lock_seconds", "integer", (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable("remembered_devices")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("factor_version", "integer", (c) => c.notNull())
      .addColumn("label", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("remembered_devices_user").on("remembered_devices").column("user_id").execute();

    // The activity log outlives its user (no foreign key): an audit trail of removed accounts too.
    await db.schema
      .createTable("events")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("user_id", "text")
      .addColumn("client_address", "text")
      .addColumn("user_agent", "text")
      .addColumn("detail", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("events_user_at").on("events").columns(["user_id", "at"]).execute();
    await db.schema.createIndex("events_at").on("events").column("at").execute();

    // Password-step failures as a sliding log: one row per failed attempt and key (R16).
    await db.schema
      .createTable("login_failures")
      .addColumn("attempt_id", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("login_failures_pk", ["attempt_id", "key"])
      .execute();
    await db.schema.createIndex("login_failures_key_at").on("login_failures").columns(["key", "at"]).execute();
  },
};

/** `gatehouse user disable`: null while the account may sign in, else when it was disabled. */
const userAdminState: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("users").addColumn("disabled_at", "bigint").execute();
  },
};

/** Invitations to register (contract: Who may register). */
const invitations: Migration = {
  async up(db: Kysely<unknown>) {
    // No foreign key to users: the record of who used an invitation outlives the account.
    await db.schema
      .createTable("invitations")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("username", "text")
      .addColumn("username_key", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .addColumn("used_by_user_id", "text")
      .addColumn("revoked_at", "bigint")
      .execute();
  },
};

/** `gatehouse user groups`: a user's groups, for the gateway's access rules and headers. */
const userGroups: Migration = {
  async up(db: Kysely<unknown>) {
    // The primary key (user_id first) is also the index the per-request lookup by user uses.
    await db.schema
      .createTable("user_groups")
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("group_name", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("user_groups_pk", ["user_id", "group_name"])
      .execute();
  },
};

/**
 * F1: a pending key belongs to the session that shows it, so the table is keyed by session.
 * SQLite cannot change a primary key in place: a new table takes the old one's place. Old
 * new-phone rows (the only ones with a session) are kept; old first-enrollment rows had no
 * session and are dropped (their user is just shown a new QR code).
 */
const pendingEnrollmentsPerSession: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("pending_enrollments_per_session")
      .addColumn("session_id_hash", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("sealed_secret", "text", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      // Named: PostgreSQL keeps the old table's "pending_enrollments_pkey" until it is dropped.
      .addPrimaryKeyConstraint("pending_enrollments_session_pk", ["session_id_hash"])
      .execute();
    await sql`
      INSERT INTO pending_enrollments_per_session (session_id_hash, user_id, kind, sealed_secret, expires_at)
      SELECT session_id_hash, user_id, 'replace', sealed_secret, expires_at
      FROM pending_enrollments WHERE session_id_hash IS NOT NULL`.execute(db);
    await db.schema.dropTable("pending_enrollments").execute();
    await db.schema.alterTable("pending_enrollments_per_session").renameTo("pending_enrollments").execute();
    // Activation and disabling delete every pending row of a user.
    await db.schema.createIndex("pending_enrollments_user").on("pending_enrollments").column("user_id").execute();
  },
};

/**
 * F5: a repeated event is one row per minute with a count, and the browser is kept to 128
 * characters (rows written before are cut to match).
 */
const eventsBounded: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("events").addColumn("repeat_count", "integer", (c) => c.notNull().defaultTo(1)).execute();
    await sql`UPDATE events SET user_agent = substr(user_agent, 1, 128) WHERE length(user_agent) > 128`.execute(db);
  },
};

export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0004_user_admin_state": userAdminState,
  "0003_invitations": invitations,
  "0005_user_groups": userGroups,
  "0002_pending_enrollments_per_session": pendingEnrollmentsPerSession,
  "0006_events_bounded": eventsBounded,
  "0007_library_tables": libraryTables,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** The last migration whose outcome a fresh database gets at once (`latestSchema`). */
const SQUASHED_THROUGH = "0007_library_tables";

const alreadyInLatestSchema: Migration = { up: async () => {} };

/**
 * For a database without gatehouse's tables (a new installation, a host app's database): the
 * same migration names, so later migrations apply alike, but the first creates the schema as
 * of SQUASHED_THROUGH and the others up to it have nothing left to do. Unprefixed tables of
 * earlier releases (`users`, `sessions`) never exist there to collide with a host's.
 */
export const freshDatabaseProvider: MigrationProvider = {
  getMigrations: async () =>
    Object.fromEntries(
      Object.entries(migrations).map(([name, migration]) => {
        if (name === "0001_initial") return [name, latestSchema];
        return [name, name <= SQUASHED_THROUGH ? alreadyInLatestSchema : migration];
      }),
    ),
};
