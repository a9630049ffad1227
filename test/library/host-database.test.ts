// gatehouse as a library inside a host app's own database, on SQLite (a better-sqlite3 database)
// and PostgreSQL (a pg pool), through the package's front door only (src/index.ts): the host's
// users are its own, keyed by its ids, and gatehouse adds the second factor after the host's
// password step: enrollment by key, a code at every later sign-in, each step once, throttling,
// remembered browsers, and nothing written to the host's own tables.
import { randomBytes } from "node:crypto";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createGatehouse, ErrorCode, openGatehouseTables, type Gatehouse, type HostDatabase, type SignInDecision } from "../../src/index.js";
import { codeAt, FixedClock, MINUTE, ORIGIN, T0 } from "../support/core-services.js";
import { createScratchDatabase } from "../support/postgres.js";

interface Host {
  database: HostDatabase;
  /** Runs SQL on the host's own connection. */
  query(text: string): Promise<unknown[]>;
  dispose(): Promise<void>;
}

const hosts: [string, () => Promise<Host>][] = [
  [
    "SQLite (better-sqlite3)",
    async () => {
      const sqlite = new BetterSqlite3(":memory:");
      return {
        database: { sqlite },
        query: async (text) => (text.trim().startsWith("SELECT") ? sqlite.prepare(text).all() : (sqlite.exec(text), [])),
        dispose: async () => void sqlite.close(),
      };
    },
  ],
  [
    "PostgreSQL (pg pool)",
    async () => {
      const scratch = await createScratchDatabase("gatehouse_host");
      const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
      // Dropping the scratch database ends its connections; an idle one reports it as an error.
      pool.on("error", () => {});
      return {
        database: { postgres: pool },
        query: async (text) => (await pool.query(text)).rows,
        async dispose() {
          await pool.end();
          await scratch.drop();
        },
      };
    },
  ],
];

let host: Host | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

const ada = { id: "42", username: "ada@example.com" };

async function open(make: () => Promise<Host>) {
  host = await make();
  // The host's own users, which gatehouse never touches.
  await host.query("CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL)");
  await host.query("INSERT INTO users (id, email) VALUES ('42', 'ada@example.com')");
  const clock = new FixedClock(T0);
  const store = await openGatehouseTables(host.database);
  const gatehouse = createGatehouse({ store, secretKeys: [new Uint8Array(randomBytes(32))], issuer: "Orders", clock });
  return { gatehouse, clock };
}

/** The host's password step passed for Ada: the second factor's decision. */
const passwordPassed = (gatehouse: Gatehouse, rememberedTokens: string[] = []) =>
  gatehouse.signIn.firstFactorPassed(null, { holder: ada, nextPath: "/orders", rememberedTokens }, ORIGIN);

const visitOf = (gatehouse: Gatehouse, decision: SignInDecision) => gatehouse.sessions.resolveWithUser(decision.sessionToken);

describe.each(hosts)("gatehouse in a host's %s database", (_, make) => {
  it("enrolls a host user by key, then asks every later sign-in for a fresh code, each step once", async () => {
    const { gatehouse, clock } = await open(make);

    const first = await passwordPassed(gatehouse);
    expect(first.go.page).toBe("enroll");
    const pending = await visitOf(gatehouse, first);
    expect(pending?.user).toEqual(ada);
    const enrolling = await gatehouse.signIn.enrollment(pending);
    if (!("mode" in enrolling)) throw new Error("a new user's pending session may enroll");
    const key = await gatehouse.signIn.setupKey(enrolling.visit);
    expect(key.keyURI).toMatch(/^otpauth:\/\/totp\/Orders:ada%40example\.com\?/);
    const enrolled = await gatehouse.signIn.confirmEnrollment(enrolling, codeAt(key, clock.ms), ORIGIN, "in-decision");
    expect(enrolled.recoveryCodes).toHaveLength(10);
    expect(enrolled.go).toEqual({ page: "done", target: "/orders" });
    const signedIn = await visitOf(gatehouse, enrolled);
    expect(gatehouse.signIn.stepOf(signedIn)).toBe("done");
    await gatehouse.signIn.signOut(signedIn, ORIGIN);
    expect(await visitOf(gatehouse, enrolled)).toBeNull();

    clock.advance(MINUTE);
    const again = await passwordPassed(gatehouse);
    expect(again.go.page).toBe("challenge");
    const challenged = await visitOf(gatehouse, again);
    const code = codeAt(key, clock.ms);
    const passed = await gatehouse.signIn.withCode(challenged!, code, "Firefox on Linux", ORIGIN);
    expect(passed.go).toEqual({ page: "done", target: "/orders" });
    expect(gatehouse.signIn.stepOf(await visitOf(gatehouse, passed))).toBe("done");

    // The same code in another sign-in: its step was used.
    const replay = await visitOf(gatehouse, await passwordPassed(gatehouse));
    await expect(gatehouse.signIn.withCode(replay!, code, undefined, ORIGIN)).rejects.toMatchObject({ code: ErrorCode.INVALID_CODE });

    // The browser remembered at the code skips it next time, for Ada only.
    expect(passed.rememberToken).toBeDefined();
    expect((await passwordPassed(gatehouse, [passed.rememberToken!])).go.page).toBe("done");

    // gatehouse's rows sit in its own tables; the host's table is as the host left it.
    expect(await host!.query("SELECT id, email FROM users")).toEqual([{ id: "42", email: "ada@example.com" }]);
    expect(await host!.query("SELECT user_id, name FROM gatehouse_accounts")).toEqual([{ user_id: "42", name: "ada@example.com" }]);
  });

  it("locks a host user's second factor after 5 wrong codes, the right one included", async () => {
    const { gatehouse, clock } = await open(make);
    const enrolling = await gatehouse.signIn.enrollment(await visitOf(gatehouse, await passwordPassed(gatehouse)));
    if (!("mode" in enrolling)) throw new Error("a new user's pending session may enroll");
    const key = await gatehouse.signIn.setupKey(enrolling.visit);
    await gatehouse.signIn.confirmEnrollment(enrolling, codeAt(key, clock.ms), ORIGIN);
    clock.advance(MINUTE);

    const visit = await visitOf(gatehouse, await passwordPassed(gatehouse));
    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(gatehouse.signIn.withCode(visit!, "000000", undefined, ORIGIN)).rejects.toMatchObject({ code: ErrorCode.INVALID_CODE });
    }
    await expect(gatehouse.signIn.withCode(visit!, codeAt(key, clock.ms), undefined, ORIGIN)).rejects.toMatchObject({
      code: ErrorCode.THROTTLED,
    });
  });

  it("creates its tables once: opening again (a restart, a second instance) changes nothing", async () => {
    await open(make);
    const again = await openGatehouseTables(host!.database);
    await again.close();
    expect(await host!.query("SELECT count(*) AS n FROM gatehouse_migration")).toEqual([{ n: expect.anything() }]);
    // The host's connection stays open after gatehouse's store closes.
    expect(await host!.query("SELECT id FROM users")).toEqual([{ id: "42" }]);
  });
});
