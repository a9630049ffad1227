import type { Kysely, Selectable } from "kysely";
import type { InvitationRecord, InvitationStore } from "../core/ports.js";
import type { Database, InvitationsTable } from "./schema.js";
import { isUniqueViolation } from "./unique-violation.js";
import { insertUser } from "./users.js";

const nullableTime = (value: number | string | null) => (value === null ? null : Number(value));

function toInvitation(row: Selectable<InvitationsTable>): InvitationRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    username: row.username,
    usernameKey: row.username_key,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: nullableTime(row.used_at),
    usedByUserId: row.used_by_user_id,
    revokedAt: nullableTime(row.revoked_at),
  };
}

/** Thrown inside the transaction to roll the user's INSERT back. */
class InvitationUnusable extends Error {}

export function createInvitationStore(db: Kysely<Database>): InvitationStore {
  return {
    async createInvitation(record) {
      await db
        .insertInto("gatehouse_invitations")
        .values({
          id: record.id,
          token_hash: record.tokenHash,
          username: record.username,
          username_key: record.usernameKey,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
          used_at: record.usedAt,
          used_by_user_id: record.usedByUserId,
          revoked_at: record.revokedAt,
        })
        .execute();
    },

    async findUsableInvitation(tokenHash, now) {
      const row = await db
        .selectFrom("gatehouse_invitations")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .where("used_at", "is", null)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return row ? toInvitation(row) : null;
    },

    async createInvitedUser(user, tokenHash, now) {
      try {
        return await db.transaction().execute(async (trx) => {
          // The compare-and-set (style: burn single-use things atomically): of two registrations
          // with one token, only one UPDATE changes the row; the other writes nothing.
          const used = await trx
            .updateTable("gatehouse_invitations")
            .set({ used_at: now, used_by_user_id: user.id })
            .where("token_hash", "=", tokenHash)
            .where("used_at", "is", null)
            .where("revoked_at", "is", null)
            .where("expires_at", ">", now)
            .where((eb) => eb.or([eb("username_key", "is", null), eb("username_key", "=", user.usernameKey)]))
            .executeTakeFirst();
          if (used.numUpdatedRows !== 1n) throw new InvitationUnusable();
          await insertUser(trx, user);
          return "created" as const;
        });
      } catch (error) {
        if (error instanceof InvitationUnusable) return "invitation-unusable";
        // The unique index on the name decides; the rollback leaves the invitation usable.
        if (isUniqueViolation(error)) return "username-taken";
        throw error;
      }
    },

    async listInvitations() {
      const rows = await db.selectFrom("gatehouse_invitations").selectAll().orderBy("created_at", "desc").orderBy("id").execute();
      return rows.map(toInvitation);
    },

    async revokeInvitation(id, now) {
      const result = await db
        .updateTable("gatehouse_invitations")
        .set({ revoked_at: now })
        .where("id", "=", id)
        .where("used_at", "is", null)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}
