// The store conformance suite against the real PostgreSQL on 127.0.0.1:5432 (database `test`).
// Each test gets its own schema, opened by two stores with a pool each, as two gatehouse
// instances would be (no worker thread needed: pg is asynchronous). An unreachable server fails
// the run, locally and in CI: a skipped PostgreSQL suite would pass without testing anything.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/kysely-store.js";
import { migrations as allMigrations } from "../../src/store/migrations.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { CONFORMANCE_POLICY, storeConformanceSuite } from "./conformance.js";

const SERVER = "127.0.0.1:5432";
const URL = `postgres://postgres@${SERVER}/test`;

const admin = new pg.Pool({ connectionString: URL, max: 2, connectionTimeoutMillis: 5_000 });
admin.on("error", () => {});

let reachable: Promise<void> | undefined;

/** Checked by every test, so that each one FAILS (none is skipped) when the server is not there. */
function requirePostgres(): Promise<void> {
  reachable ??= admin.query("SELECT 1").then(
    () => undefined,
    (error: unknown) => {
      throw new Error(
        `PostgreSQL is not reachable at ${SERVER} (user postgres, database test): ${(error as Error).message}. ` +
          "The store tests need it, locally and in CI; start it rather than skipping them.",
      );
    },
  );
  return reachable;
}

afterAll(() => admin.end());

function freshSchemaName(): string {
  return `gatehouse_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

async function dropSchema(schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

storeConformanceSuite("PostgreSQL schema shared by two instances", async () => {
  await requirePostgres();
  const schema = freshSchemaName();
  const first = await openPostgresStore(URL, CONFORMANCE_POLICY, { schema });
  // The second instance migrates the same schema again: migrations must be safe to re-run.
  const second = await openPostgresStore(URL, CONFORMANCE_POLICY, { schema }).catch(async (error: unknown) => {
    await first.close();
    await dropSchema(schema);
    throw error;
  });
  const more: Store[] = [];
  return {
    stores: [first, second],
    async openWithPolicy(policy) {
      const store = await openPostgresStore(URL, policy, { schema });
      more.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all([first, second, ...more].map((store) => store.close()));
      await dropSchema(schema);
    },
  };
});

describe("openPostgresStore", () => {
  it("two instances starting at once on a fresh schema both open it, and it is migrated once", async () => {
    await requirePostgres();
    const schema = freshSchemaName();
    try {
      const opened = await Promise.allSettled([
        openPostgresStore(URL, CONFORMANCE_POLICY, { schema }),
        openPostgresStore(URL, CONFORMANCE_POLICY, { schema }),
      ]);
      await Promise.all(opened.map((o) => (o.status === "fulfilled" ? o.value.close() : undefined)));
      expect(opened.map((o) => (o.status === "rejected" ? String(o.reason) : "opened"))).toEqual(["opened", "opened"]);

      const migrations = await admin.query(`SELECT name FROM "${schema}".gatehouse_migration ORDER BY name`);
      expect(migrations.rows).toEqual(Object.keys(allMigrations).sort().map((name) => ({ name })));
      const tables = await admin.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'gatehouse_users'",
        [schema],
      );
      expect(tables.rowCount).toBe(1);
    } finally {
      await dropSchema(schema);
    }
  });

  it("migrates a fresh schema although another schema of the database holds Kysely's bookkeeping tables", async () => {
    await requirePostgres();
    // Another app (or an installation killed halfway) with its own kysely_migration_lock: Kysely
    // without a bookkeeping schema took that table for ours, skipped creating it, and failed.
    const other = freshSchemaName();
    const schema = freshSchemaName();
    try {
      await admin.query(`CREATE SCHEMA "${other}"`);
      await admin.query(`CREATE TABLE "${other}".kysely_migration_lock (id varchar(255) PRIMARY KEY, is_locked integer NOT NULL DEFAULT 0)`);
      await admin.query(`CREATE TABLE "${other}".kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)`);
      const store = await openPostgresStore(URL, CONFORMANCE_POLICY, { schema });
      await store.close();
      const migrations = await admin.query(`SELECT name FROM "${schema}".gatehouse_migration ORDER BY name`);
      expect(migrations.rows).toEqual(Object.keys(allMigrations).sort().map((name) => ({ name })));
      expect((await admin.query(`SELECT count(*)::int AS n FROM "${other}".kysely_migration`)).rows[0].n).toBe(0);
    } finally {
      await dropSchema(other);
      await dropSchema(schema);
    }
  });

  it("refuses a schema name that is not a plain lower-case identifier, before connecting", async () => {
    await expect(openPostgresStore(URL, CONFORMANCE_POLICY, { schema: 'x"; DROP SCHEMA public; --' })).rejects.toThrow(
      TypeError,
    );
  });
});
