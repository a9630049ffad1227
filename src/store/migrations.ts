// Migrations live in code (not a folder scan) so they ship inside the compiled package and run
// the same on SQLite and PostgreSQL. Append new ones; never edit an applied one.
import type { Kysely, Migration, MigrationProvider } from "kysely";

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

export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0004_user_admin_state": userAdminState,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
