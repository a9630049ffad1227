// Kysely's SqliteDriver prepares every query afresh (`db.prepare(sql)` per execution), and under
// load preparing cost as much as running: the session check spent 11% of the server's CPU in
// sqlite3_prepare. Kysely compiles a query shape to the same SQL text every time (values are
// bound parameters), so a small cache keyed by that text removes nearly all of it.
//
// Why a statement is safe to reuse: better-sqlite3 resets a statement after each all()/run(),
// modes (raw, pluck, safeIntegers) are never set by Kysely, and the driver runs one statement at
// a time on its single connection (a mutex), so a statement is never busy when handed out again.
// A schema change, by this connection (a migration) or another process, makes SQLite re-prepare
// the statement on its next step (sqlite3_prepare_v3 keeps the SQL), so a cached statement sees
// the new columns; test/store/statement-cache.test.ts checks both.

/**
 * Distinct SQL texts kept: more than the store's query shapes, though an `IN (?, ?)` list of
 * another length is another text. Beyond the cap the least recently used statement is dropped
 * (its memory is freed when the garbage collector finalizes it).
 */
export const STATEMENT_CACHE_CAPACITY = 200;

/** What a SQLite driver needs to run statements: better-sqlite3's Database, or this cache of it. */
export interface StatementSource<Statement> {
  prepare(sql: string): Statement;
  close(): void;
}

export interface CachingStatements<Statement> extends StatementSource<Statement> {
  /** How many statements are cached now (for tests). */
  readonly cachedStatements: number;
}

/** The database's prepare() memoised by SQL text (LRU); close() closes the database. */
export function cachingStatements<Statement>(
  database: StatementSource<Statement>,
  capacity: number = STATEMENT_CACHE_CAPACITY,
): CachingStatements<Statement> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError("capacity must be a positive integer");
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest use first.
  const cache = new Map<string, Statement>();
  return {
    get cachedStatements() {
      return cache.size;
    },
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached !== undefined) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      // A statement SQLite refuses to prepare throws here and is not cached.
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
}
