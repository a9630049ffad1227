// TOTPStore and RecoveryCodeStore in memory (src/store/totp.ts).
import { randomUUID } from "node:crypto";
import type { PendingEnrollmentRecord, RecoveryCodeStore, TOTPStore } from "../../../src/core/ports.js";
import { accountOf, copy, deleteWhere, forgetAllDevices, type MemoryTables } from "./tables.js";

/** R22: the new set replaces every earlier code of the user, used or not. */
function replaceRecoveryCodes(tables: MemoryTables, userId: string, codeHashes: string[], now: number): void {
  deleteWhere(tables.recoveryCodes, (code) => code.userId === userId);
  if (codeHashes.length > 0) accountOf(tables, userId);
  for (const codeHash of codeHashes) {
    const id = randomUUID();
    tables.recoveryCodes.set(id, { id, userId, codeHash, usedAt: null, createdAt: now });
  }
}

export function createTOTPStore(tables: MemoryTables): TOTPStore {
  const { factors, pendingEnrollments } = tables;
  /** The session's key, only for its own user (F1), expired or not. */
  const pendingOf = (userId: string, sessionIdHash: string) => {
    const pending = pendingEnrollments.get(sessionIdHash);
    return pending?.userId === userId ? pending : undefined;
  };
  const pendingOfUser = (userId: string) => (pending: PendingEnrollmentRecord) => pending.userId === userId;

  return {
    async findFactor(userId) {
      const factor = factors.get(userId);
      return factor ? copy(factor) : null;
    },

    async findPendingEnrollment(userId, sessionIdHash, now) {
      const pending = pendingOf(userId, sessionIdHash);
      return pending && pending.expiresAt > now ? copy(pending) : null;
    },

    async listPendingEnrollments(userId, now) {
      return [...pendingEnrollments.values()]
        .filter((pending) => pending.userId === userId && pending.expiresAt > now)
        .sort((x, y) => x.expiresAt - y.expiresAt)
        .map(copy);
    },

    async savePendingEnrollment(record) {
      accountOf(tables, record.userId);
      // R24: replaces this session's key (a new QR code is a new secret), no other session's.
      pendingEnrollments.set(record.sessionIdHash, copy(record));
    },

    async activateFactor(input) {
      const { userId, sessionIdHash, replace, sealedSecret, usedStep, recoveryCodeHashes, now } = input;
      const factor = factors.get(userId);
      if (replace && !factor) return false; // a new phone needs an active factor to replace
      if (!replace && factor) return false; // a first factor only once (a concurrent confirmation won)
      if (!replace) accountOf(tables, userId);
      // The session's own key of this kind, not replaced ("new QR code") nor discarded by another
      // session's confirmation. Its expiry is the caller's check (findPendingEnrollment).
      const own = pendingOf(userId, sessionIdHash);
      if (own?.kind !== (replace ? "replace" : "first") || own.sealedSecret !== sealedSecret) return false;

      if (factor) {
        Object.assign(factor, { sealedSecret, lastUsedStep: usedStep, createdAt: now });
        // R47: a new phone means every remembered browser signs in with a code again.
        forgetAllDevices(tables, userId);
      } else {
        // R7: the confirming code's step seeds the replay guard.
        factors.set(userId, { userId, sealedSecret, lastUsedStep: usedStep, createdAt: now });
      }
      // The first confirmation wins: no other session's key may confirm later (F1).
      deleteWhere(pendingEnrollments, pendingOfUser(userId));
      replaceRecoveryCodes(tables, userId, recoveryCodeHashes, now);
      return true;
    },

    async disableFactor(userId) {
      const removed = factors.delete(userId);
      deleteWhere(pendingEnrollments, pendingOfUser(userId));
      deleteWhere(tables.recoveryCodes, (code) => code.userId === userId);
      forgetAllDevices(tables, userId);
      return removed;
    },

    async listSealedSecrets() {
      return [
        ...[...factors.values()].map(({ userId, sealedSecret }) => ({ userId, kind: "active" as const, sealedSecret })),
        ...[...pendingEnrollments.values()].map(({ userId, sessionIdHash, sealedSecret }) => ({
          userId,
          kind: "pending" as const,
          sessionIdHash,
          sealedSecret,
        })),
      ];
    },

    async resealSecret(record, sealedSecret) {
      const row = record.kind === "active" ? factors.get(record.userId) : pendingOf(record.userId, record.sessionIdHash);
      // Compare-and-set: a secret changed meanwhile (another rotation, a new key) stays.
      if (row?.sealedSecret !== record.sealedSecret) return false;
      row.sealedSecret = sealedSecret;
      return true;
    },

    async consumeStep(userId, step) {
      const factor = factors.get(userId);
      // R6: true only for a step newer than the last used one; the guard never moves back.
      if (!factor || factor.lastUsedStep >= step) return false;
      factor.lastUsedStep = step;
      return true;
    },
  };
}

export function createRecoveryCodeStore(tables: MemoryTables): RecoveryCodeStore {
  const { recoveryCodes } = tables;
  const unused = () => [...recoveryCodes.values()].filter((code) => code.usedAt === null);
  return {
    async listUnused(userId) {
      return unused()
        .filter((code) => code.userId === userId)
        .map(({ id, codeHash }) => ({ id, codeHash }));
    },

    async consume(codeId, now) {
      const code = recoveryCodes.get(codeId);
      // R20: of two uses of one code, only the first changes the row.
      if (!code || code.usedAt !== null) return false;
      code.usedAt = now;
      return true;
    },

    async replaceRecoveryCodes(userId, codeHashes, now) {
      replaceRecoveryCodes(tables, userId, codeHashes, now);
    },

    async countAccountsWithUnusedCodes(codeHashPrefix, exceptPrefixes = []) {
      const counted = unused().filter(
        ({ codeHash }) => codeHash.startsWith(codeHashPrefix) && !exceptPrefixes.some((except) => codeHash.startsWith(except)),
      );
      return new Set(counted.map((code) => code.userId)).size;
    },
  };
}
