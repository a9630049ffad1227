import type { Kysely, Selectable } from "kysely";
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

/** The one INSERT of a user, also run inside a registration by invitation (store/invitations.ts). */
export async function insertUser(db: Kysely<Database>, user: NewUser): Promise<void> {
  await db
    .insertInto("users")
    .values({
      id: user.id,
      username: user.username,
      username_key: user.usernameKey,
      password_hash: user.passwordHash,
      created_at: user.createdAt,
    })
    .execute();
}

export function createUserStore(db: Kysely<Database>): UserStore {
  const byId = precompile(db, 1, (id: string) => db.selectFrom("users").selectAll().where("id", "=", id));
  return {
    async createUser(user: NewUser) {
      try {
        await insertUser(db, user);
        return true;
      } catch (error) {
        // The unique index decides, so two concurrent sign-ups of one name cannot both win.
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async findUserByUsernameKey(usernameKey) {
      const row = await db.selectFrom("users").selectAll().where("username_key", "=", usernameKey).executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async findUserById(id) {
      const [row] = (await byId(id)).rows;
      return row ? toUser(row) : null;
    },

    async updatePasswordHash(userId, passwordHash, expectedHash) {
      let update = db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", userId);
      if (expectedHash !== undefined) update = update.where("password_hash", "=", expectedHash);
      const result = await update.executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async listUsers() {
      const rows = await db.selectFrom("users").selectAll().orderBy("username_key").execute();
      return rows.map(toUser);
    },

    async setDisabled(userId, at) {
      // Conditional, so a second `disable` keeps the first time and reports no change.
      const result = await db
        .updateTable("users")
        .set({ disabled_at: at })
        .where("id", "=", userId)
        .where("disabled_at", at === null ? "is not" : "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteUser(userId) {
      const result = await db.deleteFrom("users").where("id", "=", userId).executeTakeFirst();
      return result.numDeletedRows === 1n;
    },

    forgetAllDevices: (userId) => db.transaction().execute((trx) => forgetAllDevices(trx, userId)),
  };
}
