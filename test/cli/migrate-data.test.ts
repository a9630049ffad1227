// gatehouse migrate-data: an embedded installation built through the services (users with and
// without 2FA, used and unused recovery codes, a remembered browser, a session, a pending
// enrollment, throttles, events, and more events than one batch) is copied by the real binary
// into a fresh PostgreSQL database (created and dropped here), and then works there: its code,
// recovery codes, browser and session are honoured by services opened on PostgreSQL with the
// same master key.
import { randomUUID } from "node:crypto";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleEnrollment } from "../../src/core/two-factor.js";
import { createServices, throttlePolicy, type Services } from "../../src/services.js";
import { TABLES_IN_COPY_ORDER } from "../../src/store/copy.js";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import {
  AS_ADMIN,
  expectOneLineError,
  gatehouse,
  makeDataDir,
  openServices,
  PASSWORD,
  TEST_ARGON2,
  TestClock,
  totpCode,
  WEB_ORIGIN,
  type DataDir,
} from "./support.js";

/** The copy's own table list: every table must hold rows in the source and arrive in the target. */
const TABLES = TABLES_IN_COPY_ORDER;
/** More than two INSERT batches of 500. */
const BULK_EVENTS = 1_234;

let targetDb: ScratchDatabase;
let target: pg.Client;
let dir: DataDir;
let sourceFile: string;
const clock = new TestClock(Date.now());
const known = { aliceId: "", secret: "", codes: [] as string[], deviceToken: "", sessionToken: "" };

async function targetCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = Number((await target.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  return counts;
}

function sourceCounts(): Record<string, number> {
  const db = new BetterSqlite3(sourceFile, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((table) => [table, (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** The installation to move, built the way the web app would build it. */
async function buildInstallation(services: Services) {
  const alice = await services.accounts.register("alice", PASSWORD, AS_ADMIN);
  const view = await services.twoFactor.currentEnrollment(alice.id, "alice", consoleEnrollment(alice.id));
  const codes = await services.twoFactor.confirmEnrollment(alice.id, totpCode(view.secretBase32, clock.now()), consoleEnrollment(alice.id), WEB_ORIGIN);
  if (!codes) throw new Error("alice's enrollment was not confirmed");
  await services.twoFactor.useRecoveryCode(alice.id, codes[0]!, WEB_ORIGIN);
  await expect(services.twoFactor.verifyCode(alice.id, "000000", WEB_ORIGIN)).rejects.toThrow(); // a throttle row
  const deviceToken = await services.devices.remember(alice.id, "Firefox on Linux", WEB_ORIGIN);
  const { token: sessionToken } = await services.sessions.start("full", alice.id, "/account", null);
  await services.accounts.register("bob", PASSWORD, AS_ADMIN); // no 2FA
  await expect(services.accounts.verifyPassword("bob", "wrong-password-1", WEB_ORIGIN)).rejects.toThrow(); // a login failure
  const carol = await services.accounts.register("carol", PASSWORD, AS_ADMIN);
  await services.twoFactor.currentEnrollment(carol.id, "carol", consoleEnrollment(carol.id)); // shown, never confirmed: pending
  await services.invitations.issue("dave", 7, CLI_ORIGIN); // an open invitation
  await services.store.groups.setGroups(alice.id, ["admins", "ops"]); // gatehouse_user_groups
  Object.assign(known, { aliceId: alice.id, secret: view.secretBase32, codes, deviceToken, sessionToken });
}

function addBulkEvents() {
  const db = new BetterSqlite3(sourceFile);
  try {
    const insert = db.prepare("INSERT INTO gatehouse_events (id, at, type, user_id, client_address, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
    db.transaction(() => {
      for (let i = 0; i < BULK_EVENTS; i++) insert.run(randomUUID(), clock.now() - i, "login-failed", null, "198.51.100.7", "bulk", "{}");
    })();
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  targetDb = await createScratchDatabase("gatehouse_copy");
  target = new pg.Client({ connectionString: targetDb.url, connectionTimeoutMillis: 5_000 });
  await target.connect();
  dir = await makeDataDir();
  sourceFile = join(dir.path, "gatehouse.sqlite");
  const services = await openServices(dir.path, dir.masterSecrets, clock);
  try {
    await buildInstallation(services);
  } finally {
    await services.close();
  }
  addBulkEvents();
});

afterAll(async () => {
  await target?.end();
  await targetDb?.drop();
  await dir?.remove();
});

describe("gatehouse migrate-data into PostgreSQL", () => {
  it("copies every table of a SQLite installation, prints matching counts and exits 0", async () => {
    const before = sourceCounts();
    for (const table of TABLES) expect(before[table], table).toBeGreaterThan(0);
    const result = await gatehouse(["migrate-data", "--from", `sqlite:${sourceFile}`, "--to", targetDb.url], {});
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("every table's count matches");
    expect(result.stdout).toContain("same master key");
    expect(result.stdout).toMatch(new RegExp(`^gatehouse_events +${before.gatehouse_events} +${before.gatehouse_events}$`, "m"));
    expect(await targetCounts()).toEqual(before);
    const source = new BetterSqlite3(sourceFile, { readonly: true });
    const sourceEventIds = source.prepare("SELECT id FROM gatehouse_events").pluck().all();
    source.close();
    const targetEventIds = (await target.query("SELECT id FROM gatehouse_events")).rows.map((row: { id: string }) => row.id);
    expect(new Set(targetEventIds)).toEqual(new Set(sourceEventIds));
  });

  it("a run into the now non-empty target is refused with one line and changes nothing, with or without --allow-non-empty", async () => {
    const before = await targetCounts();
    const refused = await gatehouse(["migrate-data", "--from", `sqlite:${sourceFile}`, "--to", targetDb.url], {});
    expect(refused.code).toBe(1);
    expect(expectOneLineError(refused)).toMatch(/^gatehouse: the PostgreSQL database is not empty \(gatehouse_accounts: 3, gatehouse_users: 3, .*nothing was copied/);
    // Allowed into a non-empty target, the same rows conflict: the whole copy rolls back.
    const conflicting = await gatehouse(["migrate-data", "--from", `sqlite:${sourceFile}`, "--to", targetDb.url, "--allow-non-empty"], {});
    expect(conflicting.code).toBe(1);
    expect(expectOneLineError(conflicting)).toMatch(/^gatehouse: cannot copy the gatehouse_accounts rows: duplicate key .*rolled back, nothing was copied$/);
    expect(await targetCounts()).toEqual(before);
  });

  it("on PostgreSQL with the same master key, the copied code, recovery codes, browser and session work", async () => {
    const later = new TestClock(clock.now() + 60_000);
    const services = await createServices({
      databaseFile: join(dir.path, "unused.sqlite"),
      databaseURL: targetDb.url,
      masterSecrets: dir.masterSecrets,
      issuer: "gatehouse",
      registration: "open",
      firstLockSeconds: 30,
      argon2: TEST_ARGON2,
      clock: later,
    });
    try {
      // The sealed secret opens, and the copied last-used step still refuses the enrollment code.
      await expect(services.twoFactor.verifyCode(known.aliceId, totpCode(known.secret, clock.now()), WEB_ORIGIN)).rejects.toThrow();
      await expect(services.twoFactor.verifyCode(known.aliceId, totpCode(known.secret, later.now()), WEB_ORIGIN)).resolves.toBeUndefined();
      await expect(services.twoFactor.useRecoveryCode(known.aliceId, known.codes[0]!, WEB_ORIGIN)).rejects.toThrow(/already used/);
      await expect(services.twoFactor.useRecoveryCode(known.aliceId, known.codes[1]!, WEB_ORIGIN)).resolves.toBe(known.codes.length - 2);
      expect(await services.devices.isRemembered(known.aliceId, [known.deviceToken], WEB_ORIGIN)).toBe(true);
      expect((await services.sessions.resolveWithUser(known.sessionToken))?.user.id).toBe(known.aliceId);
      expect(await services.twoFactor.isEnrolled(known.aliceId)).toBe(true);
      const bob = await services.accounts.verifyPassword("bob", PASSWORD, WEB_ORIGIN);
      expect(await services.twoFactor.isEnrolled(bob.id)).toBe(false);
      const events = await services.store.events.listEvents({ userId: known.aliceId, limit: 100 });
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["two-factor-enabled", "recovery-code-used", "device-remembered"]));
    } finally {
      await services.close();
    }
  });

  it("a target that silently loses rows fails the count check, exits 1 and keeps nothing", async () => {
    const lossy = await createScratchDatabase("gatehouse_copy_lossy");
    const lossyURL = lossy.url;
    const client = new pg.Client({ connectionString: lossyURL });
    try {
      await (await openPostgresStore(lossyURL, throttlePolicy(30))).close();
      await client.connect();
      // A rule that swallows some inserted rows: the INSERTs succeed, the rows never arrive.
      await client.query("CREATE RULE lose_bulk AS ON INSERT TO gatehouse_events WHERE NEW.user_agent = 'bulk' DO INSTEAD NOTHING");
      const events = sourceCounts().gatehouse_events!;
      const result = await gatehouse(["migrate-data", "--from", `sqlite:${sourceFile}`, "--to", lossyURL], {});
      expect(result.code).toBe(1);
      expect(expectOneLineError(result)).toBe(
        `gatehouse: row counts differ after the copy (gatehouse_events: source ${events}, target ${events - BULK_EVENTS}); rolled back, nothing was copied`,
      );
      expect(result.stdout).toBe("");
      expect(Number((await client.query("SELECT count(*) AS n FROM gatehouse_users")).rows[0].n)).toBe(0);
    } finally {
      await client.end();
      await lossy.drop();
    }
  });

  it("a missing source, a file that is no gatehouse database, an unreachable target and bad arguments fail with one line", async () => {
    const empty = join(dir.path, "empty.sqlite");
    await writeFile(empty, "");
    const [missing, notOurs, unreachable, noTo, plainPath, help] = await Promise.all([
      gatehouse(["migrate-data", "--from", `sqlite:${join(dir.path, "nope.sqlite")}`, "--to", targetDb.url], {}),
      gatehouse(["migrate-data", "--from", `sqlite:${empty}`, "--to", targetDb.url], {}),
      gatehouse(["migrate-data", "--from", `sqlite:${sourceFile}`, "--to", "postgres://postgres@127.0.0.1:1/test"], {}),
      gatehouse(["migrate-data", "--from", `sqlite:${sourceFile}`], {}),
      gatehouse(["migrate-data", "--from", sourceFile, "--to", targetDb.url], {}),
      gatehouse(["migrate-data", "--help"], {}),
    ]);
    expect([missing.code, notOurs.code, unreachable.code, noTo.code, plainPath.code, help.code]).toEqual([1, 1, 1, 2, 2, 0]);
    expect(expectOneLineError(missing)).toBe(`gatehouse: no database at ${join(dir.path, "nope.sqlite")}`);
    expect(expectOneLineError(notOurs)).toBe(`gatehouse: ${empty} is not a gatehouse database (no users table)`);
    expect((await stat(empty)).size).toBe(0); // refused before anything was written to it
    expect(expectOneLineError(unreachable)).toMatch(/^gatehouse: cannot open the PostgreSQL database: .*ECONNREFUSED 127\.0\.0\.1:1/);
    expect(noTo.stderr).toMatch(/^gatehouse: missing --to URL\nusage: gatehouse migrate-data /);
    expect(plainPath.stderr).toMatch(/^gatehouse: --from wants sqlite:PATH/);
    expect(help.stdout).toContain("usage: gatehouse migrate-data");
    expect(help.stdout).toContain("same master key");
  });
});
