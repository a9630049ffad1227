// The settings every SQLite connection of ours gets (src/store/sqlite.ts): the durability that
// docs/security.md promises, and a page cache that is larger than SQLite's default yet bounded.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { configureConnection } from "../../src/store/sqlite.js";

/** SQLite's own default: 2,000 KiB (a negative cache_size is in KiB). */
const SQLITE_DEFAULT_CACHE_KIB = 2000;

let dir: string;
let database: BetterSqlite3.Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-connection-"));
  database = new BetterSqlite3(join(dir, "gatehouse.sqlite"));
  configureConnection(database);
});

afterEach(async () => {
  database.close();
  await rm(dir, { recursive: true, force: true });
});

const setting = (name: string) => database.pragma(name, { simple: true });

it("writes ahead (WAL) and syncs every commit (synchronous = FULL): nothing acknowledged is lost", () => {
  expect(setting("journal_mode")).toBe("wal");
  expect(setting("synchronous")).toBe(2); // FULL
});

it("enforces foreign keys (a removed user takes their rows along) and waits for another writer's lock", () => {
  expect(setting("foreign_keys")).toBe(1);
  expect(setting("busy_timeout")).toBeGreaterThanOrEqual(1000);
});

it("keeps more pages than SQLite's default, as a size bound rather than a page count", () => {
  const cacheSize = setting("cache_size") as number;
  expect(cacheSize).toBeLessThan(0); // KiB: a bound on memory whatever the page size
  expect(-cacheSize).toBeGreaterThan(SQLITE_DEFAULT_CACHE_KIB);
});
