// The whole web app on the real PostgreSQL (127.0.0.1:5432): DATABASE_URL selects it, and the
// sign-in flow, replay guard and throttle behave as on SQLite. Each test file run gets its own
// database, dropped afterwards; an unreachable server fails the run (never a skip).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, codeAt, registerAndEnroll, signInPassword, type TestApp } from "../support/app.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";

let database: ScratchDatabase;
let t: TestApp;

beforeAll(async () => {
  database = await createScratchDatabase("gatehouse_http");
  t = await buildTestApp({ databaseURL: database.url });
});

afterAll(async () => {
  await t?.close();
  await database?.drop();
});

describe("the web app on PostgreSQL (DATABASE_URL)", () => {
  it("registers, enrolls, signs out and signs in again with a fresh code", async () => {
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "pg_alice");
    expect((await client.get("/")).body).toContain("Signed in as pg_alice");
    await client.post("/logout", {});
    t.clock.advanceSeconds(30);
    expect((await signInPassword(client, "pg_alice")).headers.location).toBe("/2fa");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect((await client.get("/account")).body).toContain("Recent activity");
  });

  it("R6: refuses a code whose step was already used, across two sessions at once", async () => {
    const owner = t.client();
    const secret = await registerAndEnroll(t, owner, "pg_bob");
    t.clock.advanceSeconds(30);
    const [a, b] = [t.client(), t.client()];
    await signInPassword(a, "pg_bob");
    await signInPassword(b, "pg_bob");
    const otp = codeAt(secret, t.clock.ms);
    const results = await Promise.all([a.post("/2fa", { otp }), b.post("/2fa", { otp })]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([303, 401]);
  });

  it("R11: five wrong codes lock the second factor, even for the right code", async () => {
    const owner = t.client();
    const secret = await registerAndEnroll(t, owner, "pg_carol");
    t.clock.advanceSeconds(30);
    const client = t.client();
    await signInPassword(client, "pg_carol");
    const right = codeAt(secret, t.clock.ms);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) expect((await client.post("/2fa", { otp: wrong })).statusCode).toBe(401);
    const locked = await client.post("/2fa", { otp: right });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
  });
});
