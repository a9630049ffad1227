// PostgreSQL going away under a running app: every sign-in step answers 503 with a clear page and
// fails closed (no second factor skipped, no throttle bypassed, nothing half-done), /healthz says
// which dependency is down, and the same app recovers by itself once the database is back.
// The outage is simulated on a dedicated database (connections refused, live ones terminated),
// never by stopping the shared server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LightMyRequestResponse } from "fastify";
import { buildTestApp, codeAt, registerAndEnroll, signInPassword, STRONG_PASSWORD, type TestApp } from "../support/app.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";

let scratch: ScratchDatabase;
let t: TestApp;

beforeAll(async () => {
  scratch = await createScratchDatabase("gatehouse_outage");
  t = await buildTestApp({ databaseURL: scratch.url });
});

afterAll(async () => {
  await t?.close();
  await scratch?.drop();
});

async function takeDatabaseDown() {
  await scratch.admin.query(`ALTER DATABASE "${scratch.name}" ALLOW_CONNECTIONS false`);
  await scratch.admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [scratch.name]);
  // pg_terminate_backend only signals: wait until every connection of the app is really gone.
  for (let tries = 0; ; tries++) {
    const { rows } = await scratch.admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [scratch.name]);
    if (rows[0]?.n === 0) return;
    if (tries > 100) throw new Error(`connections to ${scratch.name} survived pg_terminate_backend`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function bringDatabaseBack() {
  await scratch.admin.query(`ALTER DATABASE "${scratch.name}" ALLOW_CONNECTIONS true`);
}

function expectUnavailablePage(res: LightMyRequestResponse) {
  expect(res.statusCode).toBe(503);
  expect(res.headers["content-type"]).toMatch(/^text\/html/);
  expect(res.body).toContain("temporarily unavailable");
  // The driver's own words stay in the log.
  expect(res.body).not.toMatch(/not currently accepting connections|terminating connection|ECONNREFUSED/);
}

describe("PostgreSQL unavailable under a running app", () => {
  it("answers 503 at every sign-in step, skips no second factor, and recovers without a restart", async () => {
    const signedIn = t.client();
    const secret = await registerAndEnroll(t, signedIn, "outage_alice");
    t.clock.advanceSeconds(30);
    const pending = t.client();
    expect((await signInPassword(pending, "outage_alice")).headers.location).toBe("/2fa");
    const stranger = t.client();
    await stranger.get("/login");
    const otp = codeAt(secret, t.clock.ms);

    expect(await (await t.app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok", database: "ok" });

    await takeDatabaseDown();
    try {
      const health = await t.app.inject({ method: "GET", url: "/healthz" });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toEqual({ status: "unavailable", database: "unavailable" });
      // A probe that happens to carry a session cookie still gets the JSON answer.
      const probeWithCookie = await signedIn.get("/healthz");
      expect(probeWithCookie.statusCode).toBe(503);
      expect(probeWithCookie.json()).toEqual({ status: "unavailable", database: "unavailable" });

      expectUnavailablePage(await signedIn.get("/"));
      expectUnavailablePage(await signedIn.get("/login"));
      expectUnavailablePage(await pending.get("/2fa"));
      expectUnavailablePage(await pending.post("/2fa", { otp }));
      expectUnavailablePage(await stranger.post("/login", { username: "outage_alice", password: STRONG_PASSWORD }));
      expectUnavailablePage(await stranger.post("/login", { username: "outage_alice", password: "wrong-password-1" }));
    } finally {
      await bringDatabaseBack();
    }

    // The same process, the same pool: it reconnects on the next request.
    const health = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: "ok", database: "ok" });
    expect((await signedIn.get("/")).body).toContain("Signed in as outage_alice");

    // The refused POST /2fa granted nothing: the browser is still at the second factor, and
    // the code it sent was neither consumed nor counted.
    const stillPending = await pending.get("/");
    expect(stillPending.statusCode).toBe(303);
    expect(stillPending.headers.location).toBe("/2fa");
    await pending.get("/2fa");
    expect((await pending.post("/2fa", { otp })).statusCode).toBe(303);
    expect((await pending.get("/")).body).toContain("Signed in as outage_alice");

    const login = await stranger.post("/login", { username: "outage_alice", password: STRONG_PASSWORD });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe("/2fa");
  });

  it("keeps the throttle during an outage: a locked second factor is still locked afterwards", async () => {
    const owner = t.client();
    const secret = await registerAndEnroll(t, owner, "outage_bob");
    t.clock.advanceSeconds(30);
    const browser = t.client();
    await signInPassword(browser, "outage_bob");
    const right = codeAt(secret, t.clock.ms);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) expect((await browser.post("/2fa", { otp: wrong })).statusCode).toBe(401);

    await takeDatabaseDown();
    try {
      expectUnavailablePage(await browser.post("/2fa", { otp: right }));
    } finally {
      await bringDatabaseBack();
    }
    const locked = await browser.post("/2fa", { otp: right });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
  });
});
