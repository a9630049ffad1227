// Every answer waits until the writes made while it was worked out are durable
// (src/web/durable-answers.ts): with SQLite's group commit, a statement returns before its
// COMMIT. A write lost after it returned must not be answered as done.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Durability } from "../../src/core/ports.js";
import { storeUnavailable } from "../../src/store/unavailable.js";
import { buildTestApp, type TestApp } from "../support/app.js";
import { codeAt, enrolledUser, pendingClient, setCookies, STRONG_PASSWORD } from "./helpers.js";

let t: TestApp;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatehouse-durable-"));
  t = await buildTestApp({ databaseFile: join(dir, "gatehouse.sqlite") });
});

afterEach(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

/** From now on, every settle function fails once, as after a COMMIT lost to a full disk. */
function loseTheNextBatch(durability: Durability): () => void {
  const watch = durability.watch;
  durability.watch = () => async () => {
    throw storeUnavailable(new Error("database or disk is full"));
  };
  return () => (durability.watch = watch);
}

describe("answers wait for durable writes", () => {
  it("the sign-in's new session is committed by the time its redirect arrives", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    // Another connection, as another process would read the file: the full session is there.
    const other = new BetterSqlite3(join(dir, "gatehouse.sqlite"), { readonly: true });
    try {
      const row = other.prepare("SELECT count(*) AS n FROM gatehouse_sessions WHERE level = 'full'").get() as { n: number };
      expect(row.n).toBeGreaterThanOrEqual(1);
    } finally {
      other.close();
    }
  });

  it("a lost write turns a right code's answer into the 503 page, with no new cookie and no redirect", async () => {
    const { secret } = await enrolledUser(t, "bob");
    const client = await pendingClient(t, "bob");
    const restore = loseTheNextBatch(t.store.durability);
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    restore();
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("temporarily unavailable");
    expect(res.body).not.toContain("disk is full");
    expect(res.headers.location).toBeUndefined();
    expect(setCookies(res)).toEqual([]);
  });

  it("a lost write turns a registration into the 503 page, not a signed-in redirect", async () => {
    const client = t.client();
    await client.get("/register");
    const restore = loseTheNextBatch(t.store.durability);
    const res = await client.post("/register", { username: "carol", password: STRONG_PASSWORD });
    restore();
    expect(res.statusCode).toBe(503);
    expect(res.headers.location).toBeUndefined();
    expect(setCookies(res)).toEqual([]);
  });
});
