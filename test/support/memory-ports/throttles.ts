// SecondFactorThrottle and LoginThrottle in memory (src/store/throttle.ts): a charge counts as a
// failure before the code or password is checked, and a refused charge counts for nothing.
import type { LoginThrottle, LoginThrottleKey, SecondFactorThrottle, SecondFactorThrottlePolicy } from "../../../src/core/ports.js";
import { accountOf, deleteWhere, insertNew, type MemoryTables, type ThrottleRow } from "./tables.js";

const unlocked = (): ThrottleRow => ({ failures: 0, lockedUntil: 0, lockSeconds: 0 });

/** R10-R13: lock after `freeAttempts` consecutive failures, doubling up to the cap; hard lock at `hardLockFailures`. */
export function createSecondFactorThrottle(tables: MemoryTables, policy: SecondFactorThrottlePolicy): SecondFactorThrottle {
  const { freeAttempts, maxLockSeconds, hardLockFailures } = policy;
  const rows = tables.secondFactorThrottle;
  // R12: no lock is longer than the cap, the first one included, whatever the policy says.
  const firstLockSeconds = Math.min(policy.firstLockSeconds, maxLockSeconds);
  const nextLockSeconds = (lockSeconds: number) => (lockSeconds === 0 ? firstLockSeconds : Math.min(lockSeconds * 2, maxLockSeconds));

  async function reset(userId: string) {
    const row = rows.get(userId);
    if (row) Object.assign(row, unlocked());
  }

  return {
    async charge(userId, now) {
      if (!rows.has(userId)) {
        accountOf(tables, userId); // the throttle row belongs to an account (foreign key)
        rows.set(userId, unlocked());
      }
      const row = rows.get(userId)!;
      const hardLocked = row.failures >= hardLockFailures;
      if (!hardLocked && row.lockedUntil <= now) {
        // Counted now, and the failure that reaches `freeAttempts` sets the lock in the same step,
        // so parallel attempts cannot all be evaluated.
        row.failures++;
        if (row.failures >= freeAttempts) {
          row.lockSeconds = nextLockSeconds(row.lockSeconds);
          row.lockedUntil = now + row.lockSeconds * 1000;
        }
        return { allowed: true };
      }
      const retryAfterSeconds = hardLocked ? maxLockSeconds : Math.ceil((row.lockedUntil - now) / 1000);
      return { allowed: false, retryAfterSeconds: Math.max(1, retryAfterSeconds), hardLocked };
    },

    async status(userId) {
      const { failures, lockedUntil } = rows.get(userId) ?? unlocked();
      return { consecutiveFailures: failures, lockedUntil, hardLocked: failures >= hardLockFailures };
    },

    reset,
    unlock: reset,
  };
}

/**
 * A sliding log per key (contract: 10 per username and address, 100 per address, in any 15
 * minutes). The attempt is written first and then counted, as the SQL store does.
 */
export function createLoginThrottle(tables: MemoryTables): LoginThrottle {
  const failures = tables.loginFailures;

  const removeAttempt = (attemptId: string) => deleteWhere(failures, (failure) => failure.attemptId === attemptId);

  /** Milliseconds until fewer than `limit` earlier failures remain in the window. */
  function waitFor({ key, limit, windowMs }: LoginThrottleKey, attemptId: string, now: number) {
    const earlier = [...failures.values()]
      .filter((failure) => failure.key === key && failure.at > now - windowMs && failure.attemptId !== attemptId)
      .map((failure) => failure.at)
      .sort((x, y) => x - y);
    const excess = earlier.length - limit;
    return excess < 0 ? 0 : earlier[excess]! + windowMs - now;
  }

  return {
    async charge(attemptId, keys, now) {
      for (const { key } of keys) insertNew(failures, JSON.stringify([attemptId, key]), { attemptId, key, at: now });
      const retryAfterMs = Math.max(0, ...keys.map((key) => waitFor(key, attemptId, now)));
      if (retryAfterMs === 0) return { allowed: true };
      // A refused attempt was never checked, so it is not a failure.
      removeAttempt(attemptId);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), hardLocked: false };
    },

    async refund(attemptId) {
      removeAttempt(attemptId);
    },
  };
}
