// Seeds accounts straight into a server's database, in bulk: users (one precomputed Argon2id
// hash shared by all), an enrolled TOTP factor sealed the way src/core/two-factor.ts seals it,
// and sessions with known tokens (the store keeps only their SHA-256, src/core/session-tokens.ts).
// Bulk because the bench needs up to a million accounts and fresh ones every round.
import { randomBytes, randomUUID } from "node:crypto";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, type Insertable, type Transaction } from "kysely";
import pg from "pg";
import { ARGON2_PRODUCTION, createPasswordHasher } from "../../src/core/password.js";
import { createSessionToken, hashSessionToken } from "../../src/core/session-tokens.js";
import { DEFAULT_SESSION_TIMEOUTS } from "../../src/core/sessions.js";
import { secretAAD } from "../../src/core/two-factor.js";
import { migrateToLatest } from "../../src/store/kysely-store.js";
import type { Database, SessionsTable } from "../../src/store/schema.js";
import type { BenchKeys } from "./keys.js";

export const BENCH_PASSWORD = "amber-falcon-meadow-58";

/** Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const BATCH_ROWS = 2_000;

export interface SeedDB {
  kysely: Kysely<Database>;
  /**
   * The SQLite handle under `kysely`, for bulk inserts: a prepared statement per table is ~10×
   * faster than compiling multi-row INSERTs, which decides whether a million users take seconds
   * or minutes. Its statements run inside Kysely's open transaction (one connection).
   */
  sqlite: BetterSqlite3.Database | null;
}

/** The database a server will use, opened (and migrated) from the bench process. */
export async function openSeedDB(location: { sqliteFile: string } | { postgresURL: string }): Promise<SeedDB> {
  let sqlite: BetterSqlite3.Database | null = null;
  if ("sqliteFile" in location) {
    sqlite = new BetterSqlite3(location.sqliteFile);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 5000");
  }
  const dialect = sqlite
    ? new SqliteDialect({ database: sqlite })
    : new PostgresDialect({
          pool: (() => {
            const pool = new pg.Pool({ connectionString: (location as { postgresURL: string }).postgresURL, max: 2 });
            // The scratch database is dropped WITH (FORCE) at the end; an idle client's error then is expected.
            pool.on("error", () => {});
            return pool;
          })(),
        });
  const kysely = new Kysely<Database>({ dialect });
  await migrateToLatest(kysely);
  return { kysely, sqlite };
}

/** One account as a client sees it: the cookie token of its session and the form's CSRF token. */
export interface SeededAccount {
  userId: string;
  username: string;
  sessionToken: string;
  csrfToken: string;
}

export interface SeedOptions {
  /** Distinguishes the accounts of one seeding from every other (usernames are unique). */
  label: string;
  count: number;
  /** The session each account gets: password-only (at the code challenge), signed in, or none. */
  session: "pending" | "full" | "none";
  /** How many accounts to return (tokens of a million sessions are not worth holding). */
  keep?: number;
}

let sharedPasswordHash: Promise<string> | undefined;

/** One Argon2id hash at the production parameters, reused for every seeded user. */
function passwordHash(): Promise<string> {
  sharedPasswordHash ??= createPasswordHasher(ARGON2_PRODUCTION).hash(BENCH_PASSWORD);
  return sharedPasswordHash;
}

async function insertBatched<T extends keyof Database>(db: SeedDB, trx: Transaction<Database>, table: T, rows: Insertable<Database[T]>[]) {
  if (rows.length === 0) return;
  if (db.sqlite) {
    const columns = Object.keys(rows[0]!);
    const insert = db.sqlite.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
    for (const row of rows) insert.run(...columns.map((column) => (row as Record<string, unknown>)[column]));
    return;
  }
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    // Kysely's generic insert typing does not follow a table name held in a type parameter.
    await trx.insertInto(table).values(rows.slice(i, i + BATCH_ROWS) as never).execute();
  }
}

function sessionRow(userId: string, level: "pending" | "full", now: number): { token: string; row: Insertable<SessionsTable> } {
  const token = createSessionToken((n) => new Uint8Array(randomBytes(n)));
  const lifetime = level === "pending" ? DEFAULT_SESSION_TIMEOUTS.pendingMs : DEFAULT_SESSION_TIMEOUTS.absoluteMs;
  return {
    token,
    row: {
      id_hash: hashSessionToken(token),
      user_id: userId,
      level,
      created_at: now,
      last_seen_at: now,
      expires_at: now + lifetime,
      next_path: "/",
      flash: null,
    },
  };
}

/** Enrolled users, each with a session of the asked kind, in one transaction. */
export async function seedAccounts(db: SeedDB, keys: BenchKeys, options: SeedOptions): Promise<SeededAccount[]> {
  const hash = await passwordHash();
  const now = Date.now();
  const keep = options.keep ?? options.count;
  const accounts: SeededAccount[] = [];
  await db.kysely.transaction().execute(async (trx) => {
    // Chunks bound the memory of a million rows; still one transaction.
    const chunk = 50_000;
    for (let start = 0; start < options.count; start += chunk) {
      const users = [];
      const factors = [];
      const sessions = [];
      for (let n = start; n < Math.min(options.count, start + chunk); n++) {
        const userId = randomUUID();
        const username = `bench-${options.label}-${n}`;
        users.push({ id: userId, username, username_key: username.toLowerCase(), password_hash: hash, created_at: now });
        factors.push({ user_id: userId, sealed_secret: keys.sealer.seal(keys.totpSecret, secretAAD(userId)), created_at: now });
        let sessionToken = "";
        if (options.session !== "none") {
          const session = sessionRow(userId, options.session, now);
          sessionToken = session.token;
          sessions.push(session.row);
        }
        if (n < keep) accounts.push({ userId, username, sessionToken, csrfToken: sessionToken && keys.csrf.tokenFor(sessionToken) });
      }
      await insertBatched(db, trx, "gatehouse_users", users);
      await insertBatched(db, trx, "gatehouse_accounts", users.map((user) => ({ user_id: user.id, name: user.username, created_at: now })));
      await insertBatched(db, trx, "gatehouse_totp_factors", factors);
      await insertBatched(db, trx, "gatehouse_sessions", sessions);
    }
  });
  return accounts;
}

/**
 * New pending sessions for accounts that exist, with their replay guard set back to "no step
 * used": lets a fixed population (growth at 1,000 users) answer a fresh right code every round.
 */
export async function renewPendingSessions(db: SeedDB, keys: BenchKeys, accounts: readonly SeededAccount[]): Promise<SeededAccount[]> {
  const now = Date.now();
  const renewed = accounts.map((account) => ({ account, session: sessionRow(account.userId, "pending", now) }));
  await db.kysely.transaction().execute(async (trx) => {
    for (let i = 0; i < accounts.length; i += BATCH_ROWS) {
      const ids = accounts.slice(i, i + BATCH_ROWS).map((a) => a.userId);
      await trx.updateTable("gatehouse_totp_factors").set({ last_used_step: -1 }).where("user_id", "in", ids).execute();
    }
    await insertBatched(db, trx, "gatehouse_sessions", renewed.map((r) => r.session.row));
  });
  return renewed.map(({ account, session }) => ({
    ...account,
    sessionToken: session.token,
    csrfToken: keys.csrf.tokenFor(session.token),
  }));
}

/** Row counts the soak reports: live and expired sessions. */
export async function countSessions(db: SeedDB): Promise<{ live: number; expired: number }> {
  const now = Date.now();
  const row = await db.kysely
    .selectFrom("gatehouse_sessions")
    .select((eb) => [
      eb.fn.countAll<number>().filterWhere("expires_at", ">", now).as("live"),
      eb.fn.countAll<number>().filterWhere("expires_at", "<=", now).as("expired"),
    ])
    .executeTakeFirstOrThrow();
  return { live: Number(row.live), expired: Number(row.expired) };
}
