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

/**
 * SQLite keeps 2 MiB of pages per connection by default. At a million users the pages that one
 * sign-in touches (session, user, factor and throttle rows, and their index leaves) do not fit
 * in that, and every miss is a read. 16 MiB took the right-code p50 at a million users from
 * 1.35x to 1.21x the thousand-user database's in a probe (docs/performance.md). It is a bound,
 * so memory stays flat however many users there are.
 */
const PAGE_CACHE_KIB = 16 * 1024;

/** Every connection of ours, the server's and the CLI's alike. */
export function configureConnection(database: BetterSqlite3.Database): void {
  database.pragma("journal_mode = WAL");
  database.pragma("foreign_keys = ON");
  database.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  // WAL with synchronous=NORMAL can lose the last commits on power loss; FULL keeps every
  // acknowledged enrollment and consumed code.
  database.pragma("synchronous = FULL");
  database.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
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
  configureConnection(database);
  const statements = cachingStatements(database);
  const grouped = groupCommit ? groupCommitSqlite(database, statements) : undefined;
  const db = new Kysely<Database>({
    dialect: reportingOutages(grouped?.dialect ?? new SqliteDialect({ database: statements })),
  });
  await migrateToLatest(db);
  return createKyselyStore(db, throttlePolicy, grouped?.durability);
}
