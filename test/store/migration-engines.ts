// The engines a migration test runs on: an in-memory SQLite database, and a scratch PostgreSQL
// database (dropped afterwards), each opened bare so a test can migrate it step by step.
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { Database } from "../../src/store/schema.js";
import { configureConnection } from "../../src/store/sqlite.js";
import { createScratchDatabase } from "../support/postgres.js";

export interface Opened {
  db: Kysely<Database>;
  dispose(): Promise<void>;
}

export const engines: [string, () => Promise<Opened>][] = [
  [
    "SQLite",
    async () => {
      const database = new BetterSqlite3(":memory:");
      configureConnection(database);
      const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
      return { db, dispose: () => db.destroy() };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const scratch = await createScratchDatabase("gatehouse_migration");
      const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
      // Dropping the scratch database ends its connections; an idle one reports it as an error.
      pool.on("error", () => {});
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      return {
        db,
        async dispose() {
          await db.destroy();
          await scratch.drop();
        },
      };
    },
  ],
];
