import type { Kysely } from "kysely";
import type { AccountStore } from "../core/ports.js";
import type { Database } from "./schema.js";

export function createAccountStore(db: Kysely<Database>): AccountStore {
  return {
    async ensureAccount(holder, now) {
      // One statement: two first sign-ins at once cannot both insert, nor fail on the other's row.
      await db
        .insertInto("gatehouse_accounts")
        .values({ user_id: holder.id, name: holder.username, created_at: now })
        .onConflict((oc) => oc.column("user_id").doUpdateSet({ name: holder.username }))
        .execute();
    },
  };
}
