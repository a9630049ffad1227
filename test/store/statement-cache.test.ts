// The SQLite statement cache (src/store/statement-cache.ts): the same answers as preparing every
// time, reads and writes told apart, a bounded size, and statements that keep working across a
// schema change made by this connection (a migration) or by another process on the same file.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql, type Generated } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cachingStatements, STATEMENT_CACHE_CAPACITY } from "../../src/store/statement-cache.js";

interface TestDB {
  notes: { id: number; body: string; used: Generated<number> };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openMemory(capacity?: number) {
  const raw = new BetterSqlite3(":memory:");
  const cached = cachingStatements(raw, capacity);
  const db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: cached }) });
  cleanups.push(() => db.destroy());
  return { raw, cached, db };
}

async function createNotes(db: Kysely<TestDB>) {
  await db.schema
    .createTable("notes")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("used", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

describe("cachingStatements", () => {
  it("prepares each SQL text once and hands the same statement back", () => {
    const raw = new BetterSqlite3(":memory:");
    cleanups.push(() => raw.close());
    const prepare = vi.spyOn(raw, "prepare");
    const cached = cachingStatements(raw);
    const first = cached.prepare("SELECT ? AS x");
    expect(cached.prepare("SELECT ? AS x")).toBe(first);
    expect(cached.prepare("SELECT ? AS y")).not.toBe(first);
    expect(prepare).toHaveBeenCalledTimes(2);
    expect(cached.cachedStatements).toBe(2);
  });

  it("answers every query exactly as a database without the cache does", async () => {
    const plain = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: new BetterSqlite3(":memory:") }) });
    cleanups.push(() => plain.destroy());
    const { db } = openMemory();
    for (const target of [plain, db]) await createNotes(target);

    async function script(target: Kysely<TestDB>) {
      const out: unknown[] = [];
      for (let i = 1; i <= 5; i++) {
        const inserted = await target.insertInto("notes").values({ id: i, body: `note ${i}` }).executeTakeFirst();
        out.push(inserted.insertId, inserted.numInsertedOrUpdatedRows);
      }
      for (let round = 0; round < 3; round++) {
        // The compare-and-set shape of the replay guard: the same statement, 1 row then 0.
        const set = await target.updateTable("notes").set({ used: 1 }).where("id", "=", 2).where("used", "<", 1).executeTakeFirst();
        out.push(set.numUpdatedRows);
        out.push(await target.selectFrom("notes").selectAll().where("id", ">", round).orderBy("id").execute());
        out.push(await target.selectFrom("notes").select("body").where("id", "=", 99).executeTakeFirst());
      }
      const deleted = await target.deleteFrom("notes").where("id", "in", [1, 3]).executeTakeFirst();
      out.push(deleted.numDeletedRows, await target.selectFrom("notes").select("id").orderBy("id").execute());
      return out;
    }

    expect(await script(db)).toEqual(await script(plain));
  });

  it("keeps at most `capacity` statements, dropping the least recently used", () => {
    const raw = new BetterSqlite3(":memory:");
    cleanups.push(() => raw.close());
    const prepare = vi.spyOn(raw, "prepare");
    const cached = cachingStatements(raw, 3);
    const a = cached.prepare("SELECT 1");
    cached.prepare("SELECT 2");
    cached.prepare("SELECT 3");
    cached.prepare("SELECT 1"); // used again: now the most recent
    cached.prepare("SELECT 4"); // drops SELECT 2, the least recently used
    expect(cached.cachedStatements).toBe(3);
    expect(cached.prepare("SELECT 1")).toBe(a);
    expect(prepare).toHaveBeenCalledTimes(4);
    cached.prepare("SELECT 2"); // prepared again
    expect(prepare).toHaveBeenCalledTimes(5);
    expect(cached.cachedStatements).toBe(3);
    for (let i = 0; i < 50; i++) cached.prepare(`SELECT ${i} + 100`);
    expect(cached.cachedStatements).toBe(3);
  });

  it("stays within the default capacity however many distinct texts are run", async () => {
    const { db, cached } = openMemory();
    await createNotes(db);
    // An IN list of each length is its own SQL text.
    for (let n = 1; n <= STATEMENT_CACHE_CAPACITY + 50; n++) {
      await db.selectFrom("notes").select("id").where("id", "in", Array.from({ length: n }, (_, i) => i)).execute();
    }
    expect(cached.cachedStatements).toBe(STATEMENT_CACHE_CAPACITY);
  });

  it("refuses a capacity that is not a positive integer", () => {
    const raw = new BetterSqlite3(":memory:");
    cleanups.push(() => raw.close());
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => cachingStatements(raw, capacity)).toThrow(TypeError);
  });

  it("does not cache a statement SQLite refuses, and passes its error through", () => {
    const { cached } = openMemory();
    expect(() => cached.prepare("SELECT * FROM missing")).toThrow(/no such table/);
    expect(cached.cachedStatements).toBe(0);
  });

  it("a cached statement sees a column added by a later migration on the same connection", async () => {
    const { db } = openMemory();
    await createNotes(db);
    await db.insertInto("notes").values({ id: 1, body: "before" }).execute();
    const all = () => sql<Record<string, unknown>>`SELECT * FROM notes`.execute(db).then((r) => r.rows);
    expect(await all()).toEqual([{ id: 1, body: "before", used: 0 }]);
    await db.schema.alterTable("notes").addColumn("tag", "text", (c) => c.defaultTo("none")).execute();
    expect(await all()).toEqual([{ id: 1, body: "before", used: 0, tag: "none" }]);
  });

  it("a cached statement sees a schema change made by another connection to the same file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-statements-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "db.sqlite");
    const raw = new BetterSqlite3(file);
    const db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
    cleanups.push(() => db.destroy());
    await createNotes(db);
    await db.insertInto("notes").values({ id: 1, body: "x" }).execute();
    const all = () => sql<Record<string, unknown>>`SELECT * FROM notes`.execute(db).then((r) => r.rows);
    expect(await all()).toEqual([{ id: 1, body: "x", used: 0 }]);

    const other = new BetterSqlite3(file);
    other.exec("ALTER TABLE notes ADD COLUMN extra INTEGER NOT NULL DEFAULT 7");
    other.close();
    expect(await all()).toEqual([{ id: 1, body: "x", used: 0, extra: 7 }]);
  });

  it("close() empties the cache and closes the database", () => {
    const raw = new BetterSqlite3(":memory:");
    const cached = cachingStatements(raw);
    cached.prepare("SELECT 1");
    cached.close();
    expect(cached.cachedStatements).toBe(0);
    expect(raw.open).toBe(false);
  });
});
