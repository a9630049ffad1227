// Migration 0002_pending_enrollments_per_session on a database that ran 0001_initial only, on
// SQLite and PostgreSQL: the pending-enrollment table becomes one row per session (F1). Old
// new-phone keys (bound to their session already) are kept; old first-enrollment keys had no
// session and are dropped (their user is shown a new QR code).
import { Migrator, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createKyselyStore, migrateToLatest } from "../../src/store/kysely-store.js";
import { migrationProvider } from "../../src/store/migrations.js";
import { CONFORMANCE_POLICY } from "./conformance.js";
import { MINUTE, pendingKey, sessionIdHash, T0 } from "./fixtures.js";
import { engines, type Opened } from "./migration-engines.js";

const NEW_PHONE_SESSION = "b".repeat(64);

let opened: Opened | undefined;
afterEach(async () => {
  await opened?.dispose();
  opened = undefined;
});

describe.each(engines)("0002_pending_enrollments_per_session on %s", (_, open) => {
  it("keeps new-phone keys, drops sessionless first-enrollment keys, and stores one key per session", async () => {
    opened = await open();
    const { db } = opened;
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo("0001_initial");
    expect(error).toBeUndefined();
    for (const name of ["phone", "first"]) {
      await sql`INSERT INTO users (id, username, username_key, password_hash, created_at)
        VALUES (${name}, ${name}, ${name}, 'hash', ${T0})`.execute(db);
    }
    await sql`INSERT INTO pending_enrollments (user_id, sealed_secret, expires_at, session_id_hash) VALUES
      ('phone', 'new-phone-key', ${T0 + 15 * MINUTE}, ${NEW_PHONE_SESSION}),
      ('first', 'shared-key', ${T0 + 15 * MINUTE}, NULL)`.execute(db);

    await migrateToLatest(db);
    const store = createKyselyStore(db, CONFORMANCE_POLICY);

    expect(await store.totp.listPendingEnrollments("phone", T0)).toEqual([
      { userId: "phone", sessionIdHash: NEW_PHONE_SESSION, kind: "replace", sealedSecret: "new-phone-key", expiresAt: T0 + 15 * MINUTE },
    ]);
    expect(await store.totp.listPendingEnrollments("first", T0)).toEqual([]);

    const keys = [pendingKey("first", "one"), pendingKey("first", "two", { expiresAt: T0 + 20 * MINUTE })];
    for (const key of keys) await store.totp.savePendingEnrollment(key);
    expect(await store.totp.listPendingEnrollments("first", T0)).toEqual(keys);
    expect(await store.totp.findPendingEnrollment("first", sessionIdHash(), T0)).toBeNull();

    // The user's keys go with the user (foreign key, ON DELETE CASCADE).
    expect(await store.users.deleteUser("first")).toBe(true);
    const left = await db.selectFrom("gatehouse_pending_enrollments").select("user_id").execute();
    expect(left).toEqual([{ user_id: "phone" }]);
  });
});
