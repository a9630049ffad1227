// 0007: gatehouse's tables can live in a host app's database (the library, issue 13). Every
// table takes the `gatehouse_` prefix, and the second factor's tables belong to a gatehouse
// account keyed by the host's user id (`gatehouse_accounts`, which also carries the remembered
// browsers' factor version, R47) instead of referencing the app's own users table. The app's
// users, invitations and groups keep their tables, prefixed too.
//
// A foreign key cannot be changed in place in SQLite, so each referencing table is created anew,
// filled from the old one and the old one dropped: children first, so that dropping the old
// users table cascades into nothing. Tables without a foreign key are renamed. Everything runs
// in one transaction: an interrupted upgrade leaves the old tables as they were.
import { sql, type Kysely, type Migration } from "kysely";

/** Runs `work` in a transaction of its own unless `db` already is one (PostgreSQL's migrator opens one). */
async function atomically(db: Kysely<unknown>, work: (db: Kysely<unknown>) => Promise<void>): Promise<void> {
  if (db.isTransaction) return work(db);
  await db.transaction().execute(work);
}

/** Copies every row of `from` into `to` (same columns) and drops `from`. */
async function moveRows(db: Kysely<unknown>, from: string, to: string, columns: string[]): Promise<void> {
  const list = sql.join(columns.map((column) => sql.ref(column)));
  await sql`INSERT INTO ${sql.table(to)} (${list}) SELECT ${list} FROM ${sql.table(from)}`.execute(db);
  await db.schema.dropTable(from).execute();
}

const account = "gatehouse_accounts.user_id";

export const libraryTables: Migration = {
  async up(outer: Kysely<unknown>) {
    await atomically(outer, async (db) => {
      // A second-factor account per user id: the app's users now; a host app's users as a library.
      await db.schema
        .createTable("gatehouse_accounts")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        // The name the authenticator app shows and the gateway passes on (the app's username).
        .addColumn("name", "text", (c) => c.notNull())
        // R47: bumped when a factor changes; remembered browsers of older versions fail.
        .addColumn("factor_version", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await sql`INSERT INTO gatehouse_accounts (user_id, name, factor_version, created_at)
        SELECT id, username, factor_version, created_at FROM users`.execute(db);

      await db.schema
        .createTable("gatehouse_totp_factors")
        .addColumn("user_id", "text", (c) => c.primaryKey().references(account).onDelete("cascade"))
        .addColumn("sealed_secret", "text", (c) => c.notNull())
        .addColumn("last_used_step", "bigint", (c) => c.notNull().defaultTo(-1))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await moveRows(db, "totp_factors", "gatehouse_totp_factors", ["user_id", "sealed_secret", "last_used_step", "created_at"]);

      await db.schema
        .createTable("gatehouse_pending_enrollments")
        .addColumn("session_id_hash", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull().references(account).onDelete("cascade"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("sealed_secret", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("gatehouse_pending_enrollments_pk", ["session_id_hash"])
        .execute();
      await moveRows(db, "pending_enrollments", "gatehouse_pending_enrollments", ["session_id_hash", "user_id", "kind", "sealed_secret", "expires_at"]);
      await db.schema.createIndex("gatehouse_pending_enrollments_user").on("gatehouse_pending_enrollments").column("user_id").execute();

      await db.schema
        .createTable("gatehouse_recovery_codes")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references(account).onDelete("cascade"))
        .addColumn("code_hash", "text", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await moveRows(db, "recovery_codes", "gatehouse_recovery_codes", ["id", "user_id", "code_hash", "used_at", "created_at"]);
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
      await moveRows(db, "sessions", "gatehouse_sessions", ["id_hash", "user_id", "level", "created_at", "last_seen_at", "expires_at", "next_path", "flash"]);
      await db.schema.createIndex("gatehouse_sessions_user").on("gatehouse_sessions").column("user_id").execute();
      await db.schema.createIndex("gatehouse_sessions_expiry").on("gatehouse_sessions").column("expires_at").execute();

      await db.schema
        .createTable("gatehouse_second_factor_throttle")
        .addColumn("user_id", "text", (c) => c.primaryKey().references(account).onDelete("cascade"))
        .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("locked_until", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("lock_seconds", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await moveRows(db, "second_factor_throttle", "gatehouse_second_factor_throttle", ["user_id", "failures", "locked_until", "lock_seconds"]);

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
      await moveRows(db, "remembered_devices", "gatehouse_remembered_devices", ["id", "token_hash", "user_id", "factor_version", "label", "created_at", "expires_at"]);
      await db.schema.createIndex("gatehouse_remembered_devices_user").on("gatehouse_remembered_devices").column("user_id").execute();

      // The app's own users (the factor version moved to their accounts above).
      await db.schema
        .createTable("gatehouse_users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("username", "text", (c) => c.notNull())
        .addColumn("username_key", "text", (c) => c.notNull().unique())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("disabled_at", "bigint")
        .execute();
      await sql`INSERT INTO gatehouse_users (id, username, username_key, password_hash, created_at, disabled_at)
        SELECT id, username, username_key, password_hash, created_at, disabled_at FROM users`.execute(db);

      await db.schema
        .createTable("gatehouse_user_groups")
        .addColumn("user_id", "text", (c) => c.notNull().references("gatehouse_users.id").onDelete("cascade"))
        .addColumn("group_name", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("gatehouse_user_groups_pk", ["user_id", "group_name"])
        .execute();
      await moveRows(db, "user_groups", "gatehouse_user_groups", ["user_id", "group_name"]);
      // Nothing references the old users table any more: dropping it cascades into nothing.
      await db.schema.dropTable("users").execute();

      // No foreign keys: a rename is enough (their indexes keep their names).
      for (const table of ["events", "login_failures", "invitations"]) {
        await db.schema.alterTable(table).renameTo(`gatehouse_${table}`).execute();
      }
    });
  },
};
