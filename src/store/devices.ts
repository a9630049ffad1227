import type { Kysely } from "kysely";
import type { RememberedDeviceStore } from "../core/ports.js";
import type { Database } from "./schema.js";

export function createRememberedDeviceStore(db: Kysely<Database>): RememberedDeviceStore {
  return {
    async rememberDevice(record) {
      // A version bump racing this insert is harmless: the row keeps the older version and fails.
      const user = await db
        .selectFrom("users")
        .select("factor_version")
        .where("id", "=", record.userId)
        .executeTakeFirstOrThrow();
      await db
        .insertInto("remembered_devices")
        .values({
          id: record.id,
          token_hash: record.tokenHash,
          user_id: record.userId,
          factor_version: Number(user.factor_version),
          label: record.label,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
        })
        .execute();
    },

    async isRemembered(userId, tokenHashes, now) {
      if (tokenHashes.length === 0) return false;
      const row = await db
        .selectFrom("remembered_devices as d")
        .innerJoin("users as u", "u.id", "d.user_id")
        .select("d.id")
        .where("d.user_id", "=", userId)
        .where("d.token_hash", "in", tokenHashes)
        .where("d.expires_at", ">", now)
        .whereRef("d.factor_version", "=", "u.factor_version")
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
