// Migration 0007_library_tables on a database made by the previous release (every migration up
// to 0006, with a row in every table), on SQLite and PostgreSQL: every row arrives in its
// `gatehouse_` table, each user gets a second-factor account carrying their factor version (a
// remembered browser of the current version still skips the code, an older one still does not),
// the unprefixed tables are gone, and deleting a user still takes every row of theirs along.
import { Migrator, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { hashSessionToken } from "../../src/core/session-tokens.js";
import { createKyselyStore, migrateToLatest } from "../../src/store/kysely-store.js";
import { migrationProvider, migrations } from "../../src/store/migrations.js";
import { CONFORMANCE_POLICY } from "./conformance.js";
import { MINUTE, T0 } from "./fixtures.js";
import { engines, type Opened } from "./migration-engines.js";

const SESSION = "a".repeat(64);
const PENDING_SESSION = "b".repeat(64);
const CURRENT_DEVICE = "current-device-token";
const OLD_DEVICE = "old-device-token";
const LATER = T0 + 60 * MINUTE;

let opened: Opened | undefined;
afterEach(async () => {
  await opened?.dispose();
  opened = undefined;
});

const OLD_TABLES = [
  "users",
  "totp_factors",
  "pending_enrollments",
  "recovery_codes",
  "sessions",
  "second_factor_throttle",
  "remembered_devices",
  "events",
  "login_failures",
  "invitations",
  "user_groups",
];

describe.each(engines)("0007_library_tables on %s", (_, open) => {
  it("moves every row of the previous release into the gatehouse_ tables, factor versions included", async () => {
    opened = await open();
    const { db } = opened;
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo("0006_events_bounded");
    expect(error).toBeUndefined();

    // alice: enrolled, signed in, a remembered browser, a lock count; her factor changed 3 times.
    await sql`INSERT INTO users (id, username, username_key, password_hash, created_at, factor_version, disabled_at) VALUES
      ('alice', 'Alice', 'alice', 'hash-a', ${T0}, 3, NULL),
      ('bob', 'bob', 'bob', 'hash-b', ${T0 + 1}, 0, ${T0 + 2})`.execute(db);
    await sql`INSERT INTO totp_factors (user_id, sealed_secret, last_used_step, created_at)
      VALUES ('alice', 'sealed-a', 59879729, ${T0})`.execute(db);
    await sql`INSERT INTO pending_enrollments (session_id_hash, user_id, kind, sealed_secret, expires_at)
      VALUES (${PENDING_SESSION}, 'alice', 'replace', 'sealed-new', ${LATER})`.execute(db);
    await sql`INSERT INTO recovery_codes (id, user_id, code_hash, used_at, created_at) VALUES
      ('code-1', 'alice', 'hash-1', NULL, ${T0}), ('code-2', 'alice', 'hash-2', ${T0 + 5}, ${T0})`.execute(db);
    await sql`INSERT INTO sessions (id_hash, user_id, level, created_at, last_seen_at, expires_at, next_path, flash)
      VALUES (${SESSION}, 'alice', 'full', ${T0}, ${T0}, ${LATER}, '/reports', NULL)`.execute(db);
    await sql`INSERT INTO second_factor_throttle (user_id, failures, locked_until, lock_seconds)
      VALUES ('alice', 2, 0, 0)`.execute(db);
    await sql`INSERT INTO remembered_devices (id, token_hash, user_id, factor_version, label, created_at, expires_at) VALUES
      ('device-current', ${hashSessionToken(CURRENT_DEVICE)}, 'alice', 3, 'Firefox on Linux', ${T0}, ${LATER}),
      ('device-old', ${hashSessionToken(OLD_DEVICE)}, 'alice', 2, 'Safari on iOS', ${T0}, ${LATER})`.execute(db);
    await sql`INSERT INTO events (id, at, type, user_id, client_address, user_agent, detail, repeat_count)
      VALUES ('event-1', ${T0}, 'password-accepted', 'alice', '203.0.113.7', 'curl/8', '{}', 2)`.execute(db);
    await sql`INSERT INTO login_failures (attempt_id, key, at) VALUES ('attempt-1', 'login:["203.0.113.7"]', ${T0})`.execute(db);
    await sql`INSERT INTO invitations (id, token_hash, username, username_key, created_at, expires_at, used_at, used_by_user_id, revoked_at)
      VALUES ('invite-1', 'invite-hash', 'carol', 'carol', ${T0}, ${LATER}, NULL, NULL, NULL)`.execute(db);
    await sql`INSERT INTO user_groups (user_id, group_name) VALUES ('alice', 'admins'), ('alice', 'ops')`.execute(db);

    await migrateToLatest(db);
    const store = createKyselyStore(db, CONFORMANCE_POLICY);

    expect(await store.users.findUserById("alice")).toEqual({
      id: "alice",
      username: "Alice",
      passwordHash: "hash-a",
      createdAt: T0,
      disabledAt: null,
    });
    expect((await store.users.findUserById("bob"))?.disabledAt).toBe(T0 + 2);
    expect(await store.totp.findFactor("alice")).toEqual({ userId: "alice", sealedSecret: "sealed-a", lastUsedStep: 59879729, createdAt: T0 });
    // The replay guard came along: the step already used is refused, the next one accepted.
    expect(await store.totp.consumeStep("alice", 59879729)).toBe(false);
    expect(await store.totp.findPendingEnrollment("alice", PENDING_SESSION, T0)).toMatchObject({ kind: "replace", sealedSecret: "sealed-new" });
    expect((await store.recoveryCodes.listUnused("alice")).map((code) => code.id)).toEqual(["code-1"]);
    const found = await store.sessions.findSessionWithUser(SESSION, T0 + 1, 30 * MINUTE);
    expect(found).toMatchObject({ session: { userId: "alice", level: "full", nextPath: "/reports" }, user: { username: "Alice" }, enrolled: true });
    expect((await store.secondFactorThrottle.status("alice")).consecutiveFailures).toBe(2);
    expect(await store.devices.isRemembered("alice", [hashSessionToken(CURRENT_DEVICE)], T0)).toBe(true);
    expect(await store.devices.isRemembered("alice", [hashSessionToken(OLD_DEVICE)], T0)).toBe(false);
    expect(await store.events.listEvents({ userId: "alice", limit: 10 })).toMatchObject([{ id: "event-1", count: 2 }]);
    expect((await store.invitations.listInvitations()).map((invitation) => invitation.id)).toEqual(["invite-1"]);
    expect(await store.groups.listGroups("alice")).toEqual(["admins", "ops"]);

    // The bookkeeping moved to gatehouse's own table, with every migration run once.
    const run = await db.selectFrom("gatehouse_migration" as never).select("name" as never).execute();
    expect(run.map((row) => (row as { name: string }).name).sort()).toEqual(Object.keys(migrations).sort());
    for (const table of [...OLD_TABLES, "kysely_migration"]) {
      await expect(sql`SELECT 1 FROM ${sql.table(table)}`.execute(db), `${table} is gone`).rejects.toThrow();
    }

    // Forgetting every browser still moves the version on: the current one stops working.
    expect(await store.users.forgetAllDevices("alice")).toBe(2);
    expect(await store.devices.isRemembered("alice", [hashSessionToken(CURRENT_DEVICE)], T0)).toBe(false);

    // Deleting the user still takes every row of theirs along, through the account.
    expect(await store.users.deleteUser("alice")).toBe(true);
    const left = await Promise.all(
      (
        [
          "gatehouse_accounts",
          "gatehouse_totp_factors",
          "gatehouse_pending_enrollments",
          "gatehouse_recovery_codes",
          "gatehouse_sessions",
          "gatehouse_second_factor_throttle",
          "gatehouse_remembered_devices",
          "gatehouse_user_groups",
        ] as const
      ).map(async (table) => [table, (await db.selectFrom(table).selectAll().where("user_id", "=", "alice").execute()).length]),
    );
    expect(Object.fromEntries(left)).toEqual({
      gatehouse_accounts: 0,
      gatehouse_totp_factors: 0,
      gatehouse_pending_enrollments: 0,
      gatehouse_recovery_codes: 0,
      gatehouse_sessions: 0,
      gatehouse_second_factor_throttle: 0,
      gatehouse_remembered_devices: 0,
      gatehouse_user_groups: 0,
    });
    // The activity log outlives its user.
    expect(await store.events.listEvents({ userId: "alice", limit: 10 })).toHaveLength(1);
  });

  it.each([
    ["its own migration names", ["2024_host_orders"]],
    // Review of the library: recognising gatehouse's old bookkeeping by this one name took it over.
    ["a first migration also named 0001_initial", ["0001_initial", "0002_orders"]],
    ["only a migration named 0001_initial", ["0001_initial"]],
  ])("leaves a host app's own kysely_migration table alone: %s", async (_, names) => {
    opened = await open();
    const { db } = opened;
    await sql`CREATE TABLE kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)`.execute(db);
    for (const name of names) {
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${name}, '2024-01-01T00:00:00.000Z')`.execute(db);
    }

    await migrateToLatest(db);
    await migrateToLatest(db);

    const host = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
    expect(host.rows.map((row) => row.name)).toEqual(names);
    const ours = await sql<{ name: string }>`SELECT name FROM gatehouse_migration ORDER BY name`.execute(db);
    expect(ours.rows.map((row) => row.name)).toEqual(Object.keys(migrations).sort());
  });

  it("a fresh database is created in the same shape as an upgraded one: tables, columns, types, nulls, defaults", async () => {
    const shape = async (db: Opened["db"]) =>
      Object.fromEntries(
        (await db.introspection.getTables())
          .map((table) => [
            table.name,
            table.columns.map(({ name, dataType, isNullable, hasDefaultValue }) => ({ name, dataType, isNullable, hasDefaultValue })),
          ])
          .sort(([x], [y]) => String(x).localeCompare(String(y))),
      );
    opened = await open();
    await migrateToLatest(opened.db);
    const fresh = await shape(opened.db);
    await opened.dispose();

    opened = await open();
    const { error } = await new Migrator({ db: opened.db, provider: migrationProvider }).migrateTo("0006_events_bounded");
    expect(error).toBeUndefined();
    await migrateToLatest(opened.db);
    expect(await shape(opened.db)).toEqual(fresh);
    expect(Object.keys(fresh)).toContain("gatehouse_accounts");
  });
});
