import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { SecondFactorThrottlePolicy } from "../core/ports.js";
import { createKyselyStore, migrateToLatest, type Store } from "./kysely-store.js";
import type { Database } from "./schema.js";
import { reportingOutages } from "./unavailable.js";

export interface PostgresStoreOptions {
  /** Tables live in this schema (created if missing) instead of the connection's default. */
  schema?: string;
}

// Session-level advisory lock held while migrating. Fixed and arbitrary; advisory keys are
// per database, so instances migrating different schemas of one database take turns too.
const MIGRATION_LOCK_KEY = "4702111234474983745";

// A plain identifier: it goes unquoted into the startup `-c search_path=` option and quoted into
// CREATE SCHEMA, so nothing that needs escaping is accepted.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens a PostgreSQL store (`postgres://…` URL), migrated to the latest schema. */
export async function openPostgresStore(
  url: string,
  throttlePolicy: SecondFactorThrottlePolicy,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new TypeError("schema must be a lower-case identifier (a-z, 0-9, _; at most 63 characters).");
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // While the server is unreachable (or the pool is exhausted) a request waits at most this
    // long for a connection, then answers 503 (src/store/unavailable.ts) instead of hanging.
    connectionTimeoutMillis: 5_000,
    // Detects a connection silently dropped by the network, so it is not reused forever.
    keepAlive: true,
    // Every pooled connection resolves table names in the schema from its first query on.
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  });
  // An idle connection that breaks (server restart) is dropped by the pool, and the next query
  // opens a new one; without a listener the 'error' event would crash the process.
  pool.on("error", () => {});
  // The pool listens only while a client is idle: one whose server goes away while it is checked
  // out (between the statements of a transaction, say) would emit an unhandled 'error' and
  // crash the process. Its next query fails instead (an outage: 503), and the pool drops it.
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = new Kysely<Database>({ dialect: reportingOutages(new PostgresDialect({ pool })) });
  try {
    await migrateUnderLock(pool, db, schema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createKyselyStore(db, throttlePolicy);
}

/**
 * Two instances starting at once would race: both would create the schema (one fails with a
 * duplicate key), and Kysely creates its bookkeeping tables before taking its own lock. Under
 * this lock the second instance waits, then finds everything done.
 */
async function migrateUnderLock(pool: pg.Pool, db: Kysely<Database>, schema: string | undefined): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    // Looked up first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the
    // database, which a role given a ready-made schema may lack.
    if (schema !== undefined) {
      const existing = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      if (existing.rowCount === 0) await client.query(`CREATE SCHEMA "${schema}"`);
    }
    const current = await client.query<{ schema: string }>("SELECT current_schema() AS schema");
    await migrateToLatest(db, schema ?? current.rows[0]?.schema);
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    client.release();
  } catch (error) {
    // Closing the session releases its lock, whatever state the failure left it in.
    client.release(true);
    throw error;
  }
}
