// The schema as of 0007_library_tables: every table under the `gatehouse_` prefix, so it can
// share a host app's database (the library, issue 13), and the second factor's tables belong to
// a gatehouse account keyed by a user id (`gatehouse_accounts`, which also carries the remembered
// browsers' factor version, R47) instead of referencing the app's own users table.
//
// Two roads lead here: a database of an earlier release is upgraded by `libraryTables` (its rows
// move), and a fresh one is created in this shape at once (`latestSchema`): it never holds an
// unprefixed table that could collide with a host's `users` or `sessions`.
import { sql, type Kysely, type Migration } from "kysely";

const account = "gatehouse_accounts.user_id";

/** The second factor's tables: the accounts and everything that belongs to one. */
async function createSecondFactorTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("gatehouse_accounts")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    // The name the authenticator app shows and the gateway passes on (the app's username).
    .addColumn("name", "text", (c) => c.notNull())
    // R47: bumped when a factor changes; remembered browsers of older versions fail.
    .addColumn("factor_version", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("gatehouse_totp_factors")
    .addColumn("user_id", "text", (c) => c.primaryKey().references(account).onDelete("cascade"))
    .addColumn("sealed_secret", "text", (c) => c.notNull())
    // R6: NOT NULL with -1 so the compare-and-set `last_used_step < step` needs no NULL case.
    .addColumn("last_used_step", "bigint", (c) => c.notNull().defaultTo(-1))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  // F1: a pending key belongs to the session that shows it.
  await db.schema
    .createTable("gatehouse_pending_enrollments")
    .addColumn("session_id_hash", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull().references(account).onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("sealed_secret", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("gatehouse_pending_enrollments_pk", ["session_id_hash"])
    .execute();
  // Activation and disabling delete every pending row of a user.
  await db.schema.createIndex("gatehouse_pending_enrollments_user").on("gatehouse_pending_enrollments").column("user_id").execute();

  await db.schema
    .createTable("gatehouse_recovery_codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references(account).onDelete("cascade"))
    .addColumn("code_hash", "text", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("gatehouse_recovery_codes_user").on("gatehouse_recovery_codes").column("user_id").execute();

  await db.schema
    .createTable("gatehouse_sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references(account).onDelete("cascade"))
    .addColumn("level", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_seen_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("next_path", "text", (c) => c.notNull())
    .addColumn("flash", "text")
    .execute();
  await db.schema.createIndex("gatehouse_sessions_user").on("gatehouse_sessions").column("user_id").execute();
  await db.schema.createIndex("gatehouse_sessions_expiry").on("gatehouse_sessions").column("expires_at").execute();

  await db.schema
    .createTable("gatehouse_second_factor_throttle")
    .addColumn("user_id", "text", (c) => c.primaryKey().references(account).onDelete("cascade"))
    .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("lock_seconds", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("gatehouse_remembered_devices")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("user_id", "text", (c) => c.notNull().references(account).onDelete("cascade"))
    .addColumn("factor_version", "integer", (c) => c.notNull())
    .addColumn("label", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("gatehouse_remembered_devices_user").on("gatehouse_remembered_devices").column("user_id").execute();
}

/** The gatehouse app's own users (a host app keeps its own) and their groups. */
async function createUserTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("gatehouse_users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("username", "text", (c) => c.notNull())
    .addColumn("username_key", "text", (c) => c.notNull().unique())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    // `gatehouse user disable`: null while the account may sign in.
    .addColumn("disabled_at", "bigint")
    .execute();

  // The primary key (user_id first) is also the index the per-request lookup by user uses.
  await db.schema
    .createTable("gatehouse_user_groups")
    .addColumn("user_id", "text", (c) => c.notNull().references("gatehouse_users.id").onDelete("cascade"))
    .addColumn("group_name", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("gatehouse_user_groups_pk", ["user_id", "group_name"])
    .execute();
}

/** The tables no foreign key ties to a user: the activity log, the password throttle, invitations. */
async function createUnattachedTables(db: Kysely<unknown>): Promise<void> {
  // The activity log outlives its user: an audit trail of removed accounts too.
  await db.schema
    .createTable("gatehouse_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("client_address", "text")
    .addColumn("user_agent", "text")
    .addColumn("detail", "text", (c) => c.notNull())
    // F5: a repeated event is one row per minute with a count.
    .addColumn("repeat_count", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex("gatehouse_events_user_at").on("gatehouse_events").columns(["user_id", "at"]).execute();
  await db.schema.createIndex("gatehouse_events_at").on("gatehouse_events").column("at").execute();

  // Password-step failures as a sliding log: one row per failed attempt and key (R16).
  await db.schema
    .createTable("gatehouse_login_failures")
    .addColumn("attempt_id", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("gatehouse_login_failures_pk", ["attempt_id", "key"])
    .execute();
  await db.schema.createIndex("gatehouse_login_failures_key_at").on("gatehouse_login_failures").columns(["key", "at"]).execute();

  // No foreign key to users: the record of who used an invitation outlives the account.
  await db.schema
    .createTable("gatehouse_invitations")
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
}

/** Runs `work` in a transaction of its own unless `db` already is one (PostgreSQL's migrator opens one). */
async function atomically(db: Kysely<unknown>, work: (db: Kysely<unknown>) => Promise<void>): Promise<void> {
  if (db.isTransaction) return work(db);
  await db.transaction().execute(work);
}

/** A fresh database: the schema as 0007 leaves it, in one step. */
export const latestSchema: Migration = {
  async up(outer: Kysely<unknown>) {
    await atomically(outer, async (db) => {
      await createSecondFactorTables(db);
      await createUserTables(db);
      await createUnattachedTables(db);
    });
  },
};

/** Copies every row of `from` into `to` (same columns). */
async function copyRows(db: Kysely<unknown>, from: string, to: string, columns: string[]): Promise<void> {
  const list = sql.join(columns.map((column) => sql.ref(column)));
  await sql`INSERT INTO ${sql.table(to)} (${list}) SELECT ${list} FROM ${sql.table(from)}`.execute(db);
}

/**
 * 0007 on a database of an earlier release. A foreign key cannot be changed in place in SQLite,
 * so each table that references the users table is created anew, filled from the old one, and
 * the old ones are dropped, children first: dropping the old users table then cascades into
 * nothing. Tables without a foreign key are renamed. All in one transaction: an interrupted
 * upgrade leaves the old tables as they were.
 */
export const libraryTables: Migration = {
  async up(outer: Kysely<unknown>) {
    await atomically(outer, async (db) => {
      await createSecondFactorTables(db);
      await createUserTables(db);
      await sql`INSERT INTO gatehouse_accounts (user_id, name, factor_version, created_at)
        SELECT id, username, factor_version, created_at FROM users`.execute(db);
      await copyRows(db, "totp_factors", "gatehouse_totp_factors", ["user_id", "sealed_secret", "last_used_step", "created_at"]);
      await copyRows(db, "pending_enrollments", "gatehouse_pending_enrollments", ["session_id_hash", "user_id", "kind", "sealed_secret", "expires_at"]);
      await copyRows(db, "recovery_codes", "gatehouse_recovery_codes", ["id", "user_id", "code_hash", "used_at", "created_at"]);
      await copyRows(db, "sessions", "gatehouse_sessions", ["id_hash", "user_id", "level", "created_at", "last_seen_at", "expires_at", "next_path", "flash"]);
      await copyRows(db, "second_factor_throttle", "gatehouse_second_factor_throttle", ["user_id", "failures", "locked_until", "lock_seconds"]);
      await copyRows(db, "remembered_devices", "gatehouse_remembered_devices", ["id", "token_hash", "user_id", "factor_version", "label", "created_at", "expires_at"]);
      await copyRows(db, "users", "gatehouse_users", ["id", "username", "username_key", "password_hash", "created_at", "disabled_at"]);
      await copyRows(db, "user_groups", "gatehouse_user_groups", ["user_id", "group_name"]);
      for (const table of ["totp_factors", "pending_enrollments", "recovery_codes", "sessions", "second_factor_throttle", "remembered_devices", "user_groups", "users"]) {
        await db.schema.dropTable(table).execute();
      }
      // No foreign keys: a rename is enough (their indexes keep their names).
      for (const table of ["events", "login_failures", "invitations"]) {
        await db.schema.alterTable(table).renameTo(`gatehouse_${table}`).execute();
      }
    });
  },
};
