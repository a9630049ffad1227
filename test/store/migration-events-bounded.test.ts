// Migration 0006_events_bounded on a database that ran the migrations before it, on SQLite and
// PostgreSQL (review F5): every existing event counts once, and browsers stored at up to 256
// characters are cut to the 128 the activity log keeps now.
import { Migrator, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createKyselyStore, migrateToLatest } from "../../src/store/kysely-store.js";
import { migrationProvider } from "../../src/store/migrations.js";
import { CONFORMANCE_POLICY } from "./conformance.js";
import { T0 } from "./fixtures.js";
import { engines, type Opened } from "./migration-engines.js";

let opened: Opened | undefined;
afterEach(async () => {
  await opened?.dispose();
  opened = undefined;
});

describe.each(engines)("0006_events_bounded on %s", (_, open) => {
  it("gives every old event a count of 1 and cuts long browsers to 128 characters", async () => {
    opened = await open();
    const { db } = opened;
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo("0005_user_groups");
    expect(error).toBeUndefined();
    const long = `Mozilla/5.0 ${"x".repeat(244)}`;
    await sql`INSERT INTO events (id, at, type, user_id, client_address, user_agent, detail) VALUES
      ('long', ${T0}, 'password-throttled', NULL, '203.0.113.7', ${long}, '{}'),
      ('short', ${T0 + 1}, 'password-throttled', NULL, '203.0.113.7', 'curl/8', '{}'),
      ('none', ${T0 + 2}, 'admin-keys-rotated', NULL, NULL, NULL, '{}')`.execute(db);

    await migrateToLatest(db);
    const events = await createKyselyStore(db, CONFORMANCE_POLICY).events.listEvents({ limit: 10 });

    expect(events.map((e) => [e.id, e.userAgent, e.count])).toEqual([
      ["none", null, 1],
      ["short", "curl/8", 1],
      ["long", long.slice(0, 128), 1],
    ]);
  });
});
