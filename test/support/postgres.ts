// A database of its own on the shared PostgreSQL (127.0.0.1:5432) for one test file: created
// fresh, dropped afterwards. An unreachable server fails the test with a clear message, never a skip.
import { randomUUID } from "node:crypto";
import pg from "pg";

export const POSTGRES_SERVER = "127.0.0.1:5432";
const ADMIN_URL = `postgres://postgres@${POSTGRES_SERVER}/test`;

export interface ScratchDatabase {
  name: string;
  url: string;
  /** A connection to the maintenance database, for what a test does to its database from outside. */
  admin: pg.Client;
  drop(): Promise<void>;
}

export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await admin.connect().catch((error: unknown) => {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_SERVER}: ${(error as Error).message}`);
  });
  await admin.query(`CREATE DATABASE "${name}"`);
  return {
    name,
    url: `postgres://postgres@${POSTGRES_SERVER}/${name}`,
    admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
