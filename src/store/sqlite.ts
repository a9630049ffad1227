import { closeSync, openSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { SecondFactorThrottlePolicy } from "../core/ports.js";
import { groupCommitSqlite, LOCK_WAIT_MS } from "./group-commit.js";
import { createKyselyStore, migrateToLatest, type Store } from "./kysely-store.js";
import type { Database } from "./schema.js";
import { cachingStatements } from "./statement-cache.js";
import { reportingOutages } from "./unavailable.js";

export interface SQLiteStoreOptions {
  /**
   * Commit the writes of one event-loop turn together (src/store/group-commit.ts): for the
   * server, which awaits `store.durability` before answering. Off, each statement is committed
   * before it returns (the CLI, which prints as it goes).
   */
  groupCommit?: boolean;
}

/** Opens (creating if needed) the embedded database, in WAL mode, migrated to the latest schema. */
export async function openSQLiteStore(
  filename: string,
  throttlePolicy: SecondFactorThrottlePolicy,
  { groupCommit = false }: SQLiteStoreOptions = {},
): Promise<Store> {
  // Password hashes and sealed secrets: owner-only. SQLite gives -wal and -shm the same mode.
  if (filename !== ":memory:") closeSync(openSync(filename, "a", 0o600));
  const database = new BetterSqlite3(filename);
  database.pragma("journal_mode = WAL");
  database.pragma("foreign_keys = ON");
  database.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  // WAL with synchronous=NORMAL can lose the last commits on power loss; FULL keeps every
  // acknowledged enrollment and consumed code.
  database.pragma("synchronous = FULL");
  const statements = cachingStatements(database);
  const grouped = groupCommit ? groupCommitSqlite(database, statements) : undefined;
  const db = new Kysely<Database>({
    dialect: reportingOutages(grouped?.dialect ?? new SqliteDialect({ database: statements })),
  });
  await migrateToLatest(db);
  return createKyselyStore(db, throttlePolicy, grouped?.durability);
}
