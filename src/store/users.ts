import type { Kysely, Selectable, Transaction } from "kysely";
import type { NewUser, UserRecord, UserStore } from "../core/ports.js";
import type { Database, UsersTable } from "./schema.js";
import { forgetAllDevices } from "./devices.js";
import { precompile } from "./precompiled.js";
import { isUniqueViolation } from "./unique-violation.js";

function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
  };
}

/**
 * The one INSERT of a user and their second-factor account, run inside a transaction (also a
 * registration by invitation's, store/invitations.ts).
 */
export async function insertUser(db: Transaction<Database>, user: NewUser): Promise<void> {
  await db
    .insertInto("gatehouse_users")
    .values({
      id: user.id,
      username: user.username,
      username_key: user.usernameKey,
      password_hash: user.passwordHash,
      created_at: user.createdAt,
    })
    .execute();
  await db.insertInto("gatehouse_accounts").values({ user_id: user.id, name: user.username, created_at: user.createdAt }).execute();
}

export function createUserStore(db: Kysely<Database>): UserStore {
  const byId = precompile(db, 1, (id: string) => db.selectFrom("gatehouse_users").selectAll().where("id", "=", id));
  return {
    async createUser(user: NewUser) {
      try {
        await db.transaction().execute((trx) => insertUser(trx, user));
        return true;
      } catch (error) {
        // The unique index decides, so two concurrent sign-ups of one name cannot both win.
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async findUserByUsernameKey(usernameKey) {
      const row = await db.selectFrom("gatehouse_users").selectAll().where("username_key", "=", usernameKey).executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async findUserById(id) {
      const [row] = (await byId(id)).rows;
      return row ? toUser(row) : null;
    },

    async updatePasswordHash(userId, passwordHash, expectedHash) {
      let update = db.updateTable("gatehouse_users").set({ password_hash: passwordHash }).where("id", "=", userId);
      if (expectedHash !== undefined) update = update.where("password_hash", "=", expectedHash);
      const result = await update.executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async listUsers() {
      const rows = await db.selectFrom("gatehouse_users").selectAll().orderBy("username_key").execute();
      return rows.map(toUser);
    },

    async setDisabled(userId, at) {
      // Conditional, so a second `disable` keeps the first time and reports no change.
      const result = await db
        .updateTable("gatehouse_users")
        .set({ disabled_at: at })
        .where("id", "=", userId)
        .where("disabled_at", at === null ? "is not" : "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteUser(userId) {
      return db.transaction().execute(async (trx) => {
        // The account's deletion cascades into every second-factor table; the user's into their groups.
        await trx.deleteFrom("gatehouse_accounts").where("user_id", "=", userId).execute();
        const result = await trx.deleteFrom("gatehouse_users").where("id", "=", userId).executeTakeFirst();
        return result.numDeletedRows === 1n;
      });
    },

    forgetAllDevices: (userId) => db.transaction().execute((trx) => forgetAllDevices(trx, userId)),
  };
}
