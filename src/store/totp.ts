import type { Kysely, Selectable, Transaction } from "kysely";
import type { PendingEnrollmentRecord, RecoveryCodeStore, TOTPStore } from "../core/ports.js";
import type { Database, PendingEnrollmentsTable } from "./schema.js";
import { forgetAllDevices } from "./devices.js";
import { precompile } from "./precompiled.js";
import { isUniqueViolation } from "./unique-violation.js";
import { randomUUID } from "node:crypto";

export function createTOTPStore(db: Kysely<Database>): TOTPStore {
  // Every code check runs these: compiled once (precompiled.ts).
  const factorOf = precompile(db, 1, (userId: string) =>
    db.selectFrom("gatehouse_totp_factors").selectAll().where("user_id", "=", userId),
  );
  // R6: one compare-and-set statement; success iff exactly one row changed.
  const setLastUsedStep = precompile(db, 2, (userId: string, step: number) =>
    db.updateTable("gatehouse_totp_factors").set({ last_used_step: step }).where("user_id", "=", userId).where("last_used_step", "<", step),
  );

  return {
    async findFactor(userId) {
      const [row] = (await factorOf(userId)).rows;
      if (!row) return null;
      return {
        userId: row.user_id,
        sealedSecret: row.sealed_secret,
        lastUsedStep: Number(row.last_used_step),
        createdAt: Number(row.created_at),
      };
    },

    async findPendingEnrollment(userId, sessionIdHash, now) {
      const row = await db
        .selectFrom("gatehouse_pending_enrollments")
        .selectAll()
        .where("session_id_hash", "=", sessionIdHash)
        .where("user_id", "=", userId)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return row ? pendingRecord(row) : null;
    },

    async listPendingEnrollments(userId, now) {
      const rows = await db
        .selectFrom("gatehouse_pending_enrollments")
        .selectAll()
        .where("user_id", "=", userId)
        .where("expires_at", ">", now)
        .orderBy("expires_at")
        .execute();
      return rows.map(pendingRecord);
    },

    async savePendingEnrollment(record) {
      const values = {
        user_id: record.userId,
        kind: record.kind,
        sealed_secret: record.sealedSecret,
        expires_at: record.expiresAt,
      };
      await db
        .insertInto("gatehouse_pending_enrollments")
        .values({ session_id_hash: record.sessionIdHash, ...values })
        .onConflict((oc) => oc.column("session_id_hash").doUpdateSet(values))
        .execute();
    },

    async activateFactor(input) {
      try {
        return await db.transaction().execute(async (trx) => {
          if (input.replace) {
            const swapped = await trx
              .updateTable("gatehouse_totp_factors")
              .set({ sealed_secret: input.sealedSecret, last_used_step: input.usedStep, created_at: input.now })
              .where("user_id", "=", input.userId)
              .executeTakeFirst();
            if (swapped.numUpdatedRows !== 1n) return false;
            // R47: a new phone means every remembered browser signs in with a code again.
            await forgetAllDevices(trx, input.userId);
          } else {
            // Primary key on user_id: a second concurrent confirmation fails here and rolls back.
            await trx
              .insertInto("gatehouse_totp_factors")
              .values({
                user_id: input.userId,
                sealed_secret: input.sealedSecret,
                last_used_step: input.usedStep,
                created_at: input.now,
              })
              .execute();
          }
          const own = await trx
            .deleteFrom("gatehouse_pending_enrollments")
            .where("session_id_hash", "=", input.sessionIdHash)
            .where("user_id", "=", input.userId)
            .where("kind", "=", input.replace ? "replace" : "first")
            .where("sealed_secret", "=", input.sealedSecret)
            .executeTakeFirst();
          // The key was replaced ("new QR code") or discarded by another session's confirmation.
          if (own.numDeletedRows !== 1n) throw new StalePendingEnrollment();
          // The first confirmation wins: no other session's key may confirm later (F1).
          await trx.deleteFrom("gatehouse_pending_enrollments").where("user_id", "=", input.userId).execute();
          await replaceRecoveryCodes(trx, input.userId, input.recoveryCodeHashes, input.now);
          return true;
        });
      } catch (error) {
        if (isUniqueViolation(error) || error instanceof StalePendingEnrollment) return false;
        throw error;
      }
    },

    async disableFactor(userId) {
      return db.transaction().execute(async (trx) => {
        const removed = await trx.deleteFrom("gatehouse_totp_factors").where("user_id", "=", userId).executeTakeFirst();
        await trx.deleteFrom("gatehouse_pending_enrollments").where("user_id", "=", userId).execute();
        await trx.deleteFrom("gatehouse_recovery_codes").where("user_id", "=", userId).execute();
        await forgetAllDevices(trx, userId);
        return removed.numDeletedRows === 1n;
      });
    },

    async listSealedSecrets() {
      const active = await db.selectFrom("gatehouse_totp_factors").select(["user_id", "sealed_secret"]).execute();
      const pending = await db.selectFrom("gatehouse_pending_enrollments").select(["user_id", "session_id_hash", "sealed_secret"]).execute();
      return [
        ...active.map((row) => ({ userId: row.user_id, kind: "active" as const, sealedSecret: row.sealed_secret })),
        ...pending.map((row) => ({
          userId: row.user_id,
          kind: "pending" as const,
          sessionIdHash: row.session_id_hash,
          sealedSecret: row.sealed_secret,
        })),
      ];
    },

    async resealSecret(record, sealedSecret) {
      const result =
        record.kind === "active"
          ? await db
              .updateTable("gatehouse_totp_factors")
              .set({ sealed_secret: sealedSecret })
              .where("user_id", "=", record.userId)
              .where("sealed_secret", "=", record.sealedSecret)
              .executeTakeFirst()
          : await db
              .updateTable("gatehouse_pending_enrollments")
              .set({ sealed_secret: sealedSecret })
              .where("session_id_hash", "=", record.sessionIdHash)
              .where("user_id", "=", record.userId)
              .where("sealed_secret", "=", record.sealedSecret)
              .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async consumeStep(userId, step) {
      const result = await setLastUsedStep(userId, step);
      return result.numAffectedRows === 1n;
    },
  };
}

export function createRecoveryCodeStore(db: Kysely<Database>): RecoveryCodeStore {
  return {
    async listUnused(userId) {
      const rows = await db
        .selectFrom("gatehouse_recovery_codes")
        .select(["id", "code_hash"])
        .where("user_id", "=", userId)
        .where("used_at", "is", null)
        .execute();
      return rows.map((row) => ({ id: row.id, codeHash: row.code_hash }));
    },

    async consume(codeId, now) {
      // R20: the conditional update is the check; two concurrent uses cannot both change the row.
      const result = await db
        .updateTable("gatehouse_recovery_codes")
        .set({ used_at: now })
        .where("id", "=", codeId)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    replaceRecoveryCodes: (userId, codeHashes, now) =>
      db.transaction().execute((trx) => replaceRecoveryCodes(trx, userId, codeHashes, now)),

    async countAccountsWithUnusedCodes(codeHashPrefix, exceptPrefixes = []) {
      // The prefixes are "hmac-sha256$" and a hex key id: nothing in them is a LIKE wildcard.
      let query = db
        .selectFrom("gatehouse_recovery_codes")
        .select((eb) => eb.fn.count<number | string>("user_id").distinct().as("accounts"))
        .where("used_at", "is", null)
        .where("code_hash", "like", `${codeHashPrefix}%`);
      for (const except of exceptPrefixes) query = query.where("code_hash", "not like", `${except}%`);
      const { accounts } = await query.executeTakeFirstOrThrow();
      return Number(accounts);
    },
  };
}

class StalePendingEnrollment extends Error {}

function pendingRecord(row: Selectable<PendingEnrollmentsTable>): PendingEnrollmentRecord {
  return {
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    kind: row.kind,
    sealedSecret: row.sealed_secret,
    expiresAt: Number(row.expires_at),
  };
}

async function replaceRecoveryCodes(trx: Transaction<Database>, userId: string, codeHashes: string[], now: number) {
  await trx.deleteFrom("gatehouse_recovery_codes").where("user_id", "=", userId).execute();
  if (codeHashes.length === 0) return;
  await trx
    .insertInto("gatehouse_recovery_codes")
    .values(codeHashes.map((codeHash) => ({ id: randomUUID(), user_id: userId, code_hash: codeHash, used_at: null, created_at: now })))
    .execute();
}
