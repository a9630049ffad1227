// gatehouse's tables in a host app's database: through the host's Kysely instance, a `pg` pool
// or a `better-sqlite3` database, which stay the host's (gatehouse never closes them). No driver
// is imported here: the host's own objects carry them, so neither is a dependency of the library.
import { Kysely, PostgresAdapter, PostgresDialect, sql, SqliteDialect, type PostgresPool, type SqliteDatabase } from "kysely";
import { throttlePolicy } from "../core/throttle-policy.js";
import type { SecondFactorThrottlePolicy } from "../core/ports.js";
import { createKyselyStore, migrateToLatest, type Store } from "./kysely-store.js";
import type { Database } from "./schema.js";

/** Where the host keeps its data; gatehouse adds its `gatehouse_` tables beside the host's. */
export type HostDatabase =
  | { kysely: Kysely<never> | Kysely<Record<string, unknown>> }
  | { postgres: PostgresPool }
  | { sqlite: SqliteDatabase };

export interface HostDatabaseOptions {
  /** PostgreSQL: the schema gatehouse's bookkeeping lives in (the connection's current one unless set). */
  schema?: string;
  /** The second-factor lock (contract numbers unless set). */
  throttlePolicy?: SecondFactorThrottlePolicy;
}

function kyselyOf(database: HostDatabase): Kysely<Database> {
  if ("kysely" in database) return database.kysely as unknown as Kysely<Database>;
  if ("postgres" in database) return new Kysely<Database>({ dialect: new PostgresDialect({ pool: database.postgres }) });
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: database.sqlite }) });
}

/**
 * PostgreSQL's current schema, where the bookkeeping is looked for (Kysely would otherwise take a
 * lock table of any schema for its own); undefined for SQLite.
 */
async function postgresSchemaOf(db: Kysely<Database>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  return rows[0]?.schema;
}

/**
 * The one call a host makes for gatehouse's tables: creates or upgrades them (idempotent; run
 * it at startup), then returns the store over them. Its `close` leaves the host's connection open.
 */
export async function openGatehouseTables(database: HostDatabase, options: HostDatabaseOptions = {}): Promise<Store> {
  const db = kyselyOf(database);
  await migrateToLatest(db, options.schema ?? (await postgresSchemaOf(db)));
  const store = createKyselyStore(db, options.throttlePolicy ?? throttlePolicy());
  return { ...store, close: async () => {} };
}
