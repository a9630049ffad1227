import type { Kysely } from "kysely";
import type { RecoveryCodeStore, TOTPStore } from "../core/ports.js";
import type { Database } from "./schema.js";
import { isUniqueViolation } from "./unique-violation.js";
import { randomUUID } from "node:crypto";

export function createTOTPStore(db: Kysely<Database>): TOTPStore {
  return {
    async findFactor(userId) {
      const row = await db.selectFrom("totp_factors").selectAll().where("user_id", "=", userId).executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.user_id,
        sealedSecret: row.sealed_secret,
        lastUsedStep: Number(row.last_used_step),
        createdAt: Number(row.created_at),
      };
    },

    async findPendingEnrollment(userId, now) {
      const row = await db
        .selectFrom("pending_enrollments")
        .selectAll()
        .where("user_id", "=", userId)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      if (!row) return null;
      return { userId: row.user_id, sealedSecret: row.sealed_secret, expiresAt: Number(row.expires_at) };
    },

    async savePendingEnrollment(record) {
      await db
        .insertInto("pending_enrollments")
        .values({ user_id: record.userId, sealed_secret: record.sealedSecret, expires_at: record.expiresAt })
        .onConflict((oc) =>
          oc.column("user_id").doUpdateSet({ sealed_secret: record.sealedSecret, expires_at: record.expiresAt }),
        )
        .execute();
    },

    async activateFactor(input) {
      try {
        await db.transaction().execute(async (trx) => {
          // Primary key on user_id: a second concurrent confirmation fails here and rolls back.
          await trx
            .insertInto("totp_factors")
            .values({
              user_id: input.userId,
              sealed_secret: input.sealedSecret,
              last_used_step: input.usedStep,
              created_at: input.now,
            })
            .execute();
          await trx.deleteFrom("pending_enrollments").where("user_id", "=", input.userId).execute();
          await trx.deleteFrom("recovery_codes").where("user_id", "=", input.userId).execute();
          if (input.recoveryCodeHashes.length > 0) {
            await trx
              .insertInto("recovery_codes")
              .values(
                input.recoveryCodeHashes.map((codeHash) => ({
                  id: randomUUID(),
                  user_id: input.userId,
                  code_hash: codeHash,
                  used_at: null,
                  created_at: input.now,
                })),
              )
              .execute();
          }
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async consumeStep(userId, step) {
      // R6: one compare-and-set statement; success iff exactly one row changed.
      const result = await db
        .updateTable("totp_factors")
        .set({ last_used_step: step })
        .where("user_id", "=", userId)
        .where("last_used_step", "<", step)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}

export function createRecoveryCodeStore(db: Kysely<Database>): RecoveryCodeStore {
  return {
    async listUnused(userId) {
      const rows = await db
        .selectFrom("recovery_codes")
        .select(["id", "code_hash"])
        .where("user_id", "=", userId)
        .where("used_at", "is", null)
        .execute();
      return rows.map((row) => ({ id: row.id, codeHash: row.code_hash }));
    },

    async consume(codeId, now) {
      // R20: the conditional update is the check; two concurrent uses cannot both change the row.
      const result = await db
        .updateTable("recovery_codes")
        .set({ used_at: now })
        .where("id", "=", codeId)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}
