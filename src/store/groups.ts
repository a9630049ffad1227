import type { Kysely } from "kysely";
import { sortedGroups } from "../core/groups.js";
import type { GroupStore } from "../core/ports.js";
import { precompile } from "./precompiled.js";
import type { Database } from "./schema.js";

export function createGroupStore(db: Kysely<Database>): GroupStore {
  // The gateway runs this on every request of a full sign-in: compiled once (precompiled.ts).
  const byUser = precompile(db, 1, (userId: string) => db.selectFrom("gatehouse_user_groups").select("group_name").where("user_id", "=", userId));
  return {
    async listGroups(userId) {
      return sortedGroups((await byUser(userId)).rows.map((row) => row.group_name));
    },

    async setGroups(userId, groups) {
      // Delete and insert together: a reader sees the old list or the new one, never a mix.
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("gatehouse_user_groups").where("user_id", "=", userId).execute();
        if (groups.length > 0) {
          await trx.insertInto("gatehouse_user_groups").values(groups.map((group_name) => ({ user_id: userId, group_name }))).execute();
        }
      });
    },
  };
}
