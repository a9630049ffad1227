// precompile (src/store/precompiled.ts): a statement compiled once must answer exactly what the
// Kysely builder answers for any values, keep literal values as constants, refuse a build that
// does not pass its arguments through as values, and run inside a transaction when asked. The
// store conformance suite runs the store's precompiled statements on SQLite and PostgreSQL.
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql, type Generated } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { precompile } from "../../src/store/precompiled.js";
import { cachingStatements } from "../../src/store/statement-cache.js";

interface TestDB {
  items: { id: string; owner: string; step: number; at: Generated<number> };
}

let db: Kysely<TestDB>;

beforeEach(async () => {
  db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: cachingStatements(new BetterSqlite3(":memory:")) }) });
  await db.schema
    .createTable("items")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("step", "integer", (c) => c.notNull())
    .addColumn("at", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  for (let i = 0; i < 10; i++) {
    await db.insertInto("items").values({ id: `i${i}`, owner: i % 2 ? "odd" : "even", step: i, at: i * 10 }).execute();
  }
});
afterEach(() => db.destroy());

describe("precompile", () => {
  it("returns what the builder returns, for every combination of values", async () => {
    const build = (owner: string, min: number, max: number) =>
      db.selectFrom("items").selectAll().where("owner", "=", owner).where("step", ">", min).where("at", "<", max).orderBy("id");
    const compiled = precompile(db, 3, build);
    for (const owner of ["odd", "even", "nobody", "\u0000"]) {
      for (const [min, max] of [[0, 100], [3, 60], [-1, 0], [9, 1000]] as const) {
        expect((await compiled(owner, min, max)).rows).toEqual(await build(owner, min, max).execute());
      }
    }
  });

  it("puts a value used twice in both places, and keeps a literal of the query as a constant", async () => {
    const bump = precompile(db, 2, (id: string, step: number) =>
      db.updateTable("items").set({ step, at: sql`${7} + ${step}` }).where("id", "=", id).where("step", "<", step),
    );
    expect((await bump("i3", 50)).numAffectedRows).toBe(1n);
    expect((await bump("i3", 50)).numAffectedRows).toBe(0n); // compare-and-set: same step refused
    expect(await db.selectFrom("items").select(["step", "at"]).where("id", "=", "i3").executeTakeFirst()).toEqual({ step: 50, at: 57 });
  });

  it("refuses a build that computes with an argument instead of passing it as a value", () => {
    expect(() =>
      precompile(db, 2, (owner: string, now: number) => db.selectFrom("items").selectAll().where("owner", "=", owner).where("at", ">", now - 5)),
    ).toThrow(TypeError);
    // Two arguments, one of them never used.
    expect(() => precompile(db, 2, (...args: [string, number]) => db.selectFrom("items").selectAll().where("owner", "=", args[0]))).toThrow(
      TypeError,
    );
  });

  it("runs inside a transaction with on(trx), and is rolled back with it", async () => {
    const remove = precompile(db, 1, (id: string) => db.deleteFrom("items").where("id", "=", id));
    await expect(
      db.transaction().execute(async (trx) => {
        expect((await remove.on(trx)("i1")).numAffectedRows).toBe(1n);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await db.selectFrom("items").select("id").where("id", "=", "i1").executeTakeFirst()).toEqual({ id: "i1" });
    expect((await remove("i1")).numAffectedRows).toBe(1n);
  });
});
