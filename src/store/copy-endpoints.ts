// The two ends of `gatehouse migrate-data`: an existing embedded SQLite database as the source and
// a PostgreSQL database as the target, each brought to the latest schema before any row moves.
import { existsSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { SecondFactorThrottlePolicy } from "../core/ports.js";
import { migrateToLatest } from "./kysely-store.js";
import { openPostgresStore } from "./postgres.js";
import type { Database } from "./schema.js";

/** The source is missing or is not a gatehouse database; nothing was written to it. */
export class NotAGatehouseDatabaseError extends Error {
  override name = "NotAGatehouseDatabaseError";
}

/**
 * Opens an existing gatehouse SQLite file and migrates it to the latest schema first (what the
 * server does on start), so that source and target have the same columns. A missing file or a
 * SQLite file without a users table is refused before anything is written to it.
 */
export async function openCopySource(filename: string): Promise<Kysely<Database>> {
  if (!existsSync(filename)) throw new NotAGatehouseDatabaseError(`no database at ${filename}`);
  const database = new BetterSqlite3(filename, { fileMustExist: true });
  try {
    database.pragma("busy_timeout = 5000");
    // `users` before 0007_library_tables, `gatehouse_users` since.
    const users = database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'gatehouse_users')").get();
    if (users === undefined) throw new NotAGatehouseDatabaseError(`${filename} is not a gatehouse database (no users table)`);
  } catch (error) {
    database.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/**
 * Migrates the PostgreSQL target through openPostgresStore (the server's path, under its advisory
 * lock), then opens one connection for the copy's single transaction.
 */
export async function openCopyTarget(url: string, policy: SecondFactorThrottlePolicy): Promise<Kysely<Database>> {
  const store = await openPostgresStore(url, policy);
  await store.close();
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on("error", () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
