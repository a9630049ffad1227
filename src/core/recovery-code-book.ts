// An account's recovery codes (R18-R21): issued in tens, shown once, stored only as keyed hashes
// (review F6: no Argon2 for a new code), each usable once. The throttle around a use is the
// caller's (two-factor.ts charges it first, as for a code).
import { ErrorCode, GatehouseError } from "./errors.js";
import type { PasswordHasher } from "./password.js";
import type { Clock, EventOrigin, RandomSource, RecoveryCodeRecord, RecoveryCodeStore, SecurityEventSink } from "./ports.js";
import type { RecoveryCodeHasher } from "./recovery-code-hash.js";
import { generateRecoveryCodes, normalizeRecoveryCode } from "./recovery-codes.js";

export interface RecoveryCodeBook {
  /** R18, R19: fresh codes for the caller to show once, and the keyed hashes to store instead. */
  issue(userId: string): { codes: string[]; hashes: string[] };
  /**
   * R20: uses up the unused code `input` is (atomically: of two uses, one wins) and says how
   * many are left; INVALID_RECOVERY_CODE otherwise.
   */
  use(userId: string, input: string, origin: EventOrigin): Promise<number>;
}

export interface RecoveryCodeBookDeps {
  recoveryCodes: RecoveryCodeStore;
  hasher: RecoveryCodeHasher;
  /** Checks only the Argon2id hashes of codes issued before keyed hashes (never makes one). */
  legacyHasher: PasswordHasher;
  clock: Clock;
  random: RandomSource;
  events: SecurityEventSink;
}

export function createRecoveryCodeBook(deps: RecoveryCodeBookDeps): RecoveryCodeBook {
  const { recoveryCodes, hasher, legacyHasher, clock, random, events } = deps;

  /**
   * The unused code the input is, if any. Keyed hashes cost an HMAC each; only codes issued
   * before them (Argon2id) are verified with Argon2, one at a time, so a wrong code costs no
   * Argon2 at all once an account's codes are new (F6).
   */
  async function find(userId: string, normalized: string, unused: RecoveryCodeRecord[]) {
    const legacy: RecoveryCodeRecord[] = [];
    for (const record of unused) {
      const outcome = hasher.check(record.codeHash, userId, normalized);
      if (outcome === "match") return record;
      if (outcome === "legacy") legacy.push(record);
    }
    for (const record of legacy) {
      if (await legacyHasher.verify(record.codeHash, normalized)) return record;
    }
    return undefined;
  }

  return {
    issue(userId) {
      const codes = generateRecoveryCodes(random);
      const hashes = codes.map((code) => hasher.hash(userId, normalizeRecoveryCode(code) ?? code));
      return { codes, hashes };
    },

    async use(userId, input, origin) {
      const normalized = normalizeRecoveryCode(input);
      const unused = await recoveryCodes.listUnused(userId);
      const match = normalized === null ? undefined : await find(userId, normalized, unused);
      if (!match || !(await recoveryCodes.consume(match.id, clock.now()))) {
        await events.record({ type: "recovery-code-rejected", origin, userId });
        throw new GatehouseError(ErrorCode.INVALID_RECOVERY_CODE, "That recovery code is not valid or was already used.");
      }
      const remaining = unused.length - 1;
      await events.record({ type: "recovery-code-used", origin, userId, detail: { remaining } });
      return remaining;
    },
  };
}
