import { sql, type Kysely, type Transaction } from "kysely";
import type { RememberedDeviceStore } from "../core/ports.js";
import type { Database } from "./schema.js";

/** R47: bump the version (old tokens fail at once, wherever they are checked) and drop the rows. */
export async function forgetAllDevices(trx: Transaction<Database>, userId: string): Promise<number> {
  await trx.updateTable("gatehouse_accounts").set({ factor_version: sql`factor_version + 1` }).where("user_id", "=", userId).execute();
  const deleted = await trx.deleteFrom("gatehouse_remembered_devices").where("user_id", "=", userId).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}

export function createRememberedDeviceStore(db: Kysely<Database>): RememberedDeviceStore {
  return {
    async rememberDevice(record) {
      // A version bump racing this insert is harmless: the row keeps the older version and fails.
      const account = await db
        .selectFrom("gatehouse_accounts")
        .select("factor_version")
        .where("user_id", "=", record.userId)
        .executeTakeFirstOrThrow();
      await db
        .insertInto("gatehouse_remembered_devices")
        .values({
          id: record.id,
          token_hash: record.tokenHash,
          user_id: record.userId,
          factor_version: Number(account.factor_version),
          label: record.label,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
        })
        .execute();
    },

    async isRemembered(userId, tokenHashes, now) {
      if (tokenHashes.length === 0) return false;
      const row = await db
        .selectFrom("gatehouse_remembered_devices as d")
        .innerJoin("gatehouse_accounts as a", "a.user_id", "d.user_id")
        // The app's own users only (a host app's users have no row here, and their host decides).
        .leftJoin("gatehouse_users as u", "u.id", "d.user_id")
        .select("d.id")
        .where("d.user_id", "=", userId)
        .where("d.token_hash", "in", tokenHashes)
        .where("d.expires_at", ">", now)
        .whereRef("d.factor_version", "=", "a.factor_version")
        // Disabling forgets the browsers too; this keeps one that slipped past from skipping the code.
        .where("u.disabled_at", "is", null)
        .executeTakeFirst();
      return row !== undefined;
    },

    async listDevices(userId, now) {
      const rows = await db
        .selectFrom("gatehouse_remembered_devices as d")
        .innerJoin("gatehouse_accounts as a", "a.user_id", "d.user_id")
        .select(["d.id", "d.token_hash", "d.user_id", "d.label", "d.created_at", "d.expires_at"])
        .where("d.user_id", "=", userId)
        .where("d.expires_at", ">", now)
        .whereRef("d.factor_version", "=", "a.factor_version")
        .orderBy("d.created_at", "desc")
        .execute();
      return rows.map((row) => ({
        id: row.id,
        tokenHash: row.token_hash,
        userId: row.user_id,
        label: row.label,
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
      }));
    },

    async forgetDevice(userId, deviceId) {
      const result = await db
        .deleteFrom("gatehouse_remembered_devices")
        .where("id", "=", deviceId)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return result.numDeletedRows === 1n;
    },
  };
}
