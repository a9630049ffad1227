import { sql, type Kysely } from "kysely";
import type {
  LoginThrottle,
  LoginThrottleKey,
  SecondFactorThrottle,
  SecondFactorThrottlePolicy,
  ThrottleDecision,
} from "../core/ports.js";
import { precompile } from "./precompiled.js";
import type { Database } from "./schema.js";

/**
 * R10-R12 in SQL. `charge` counts the attempt as a failure and, from the `freeAttempts`-th on,
 * sets the lock in the same UPDATE, so concurrent requests cannot slip in between a failure and
 * its lock. A locked or hard-locked row is not updated: refused attempts do not count.
 */
export function createSecondFactorThrottle(
  db: Kysely<Database>,
  policy: SecondFactorThrottlePolicy,
): SecondFactorThrottle {
  const { freeAttempts, maxLockSeconds, hardLockFailures } = policy;
  // R12: no lock is longer than the cap, the first one included, whatever the policy says; a
  // huge first lock would also overflow `locked_until` (BIGINT) on PostgreSQL.
  const firstLockSeconds = Math.min(policy.firstLockSeconds, maxLockSeconds);
  // SET expressions read the old row, so the next lock length is spelled out once and reused.
  // Parameters inside `sql` fragments carry no column type, and PostgreSQL would type `now + …`
  // as INTEGER (and overflow) from the other operand: the BIGINT casts make it 64-bit on both.
  const nextLockSeconds = sql<number>`CASE WHEN lock_seconds = 0 THEN ${firstLockSeconds}
    WHEN lock_seconds * 2 > ${maxLockSeconds} THEN ${maxLockSeconds} ELSE lock_seconds * 2 END`;
  const locksNow = sql<boolean>`failures + 1 >= ${freeAttempts}`;

  // Every second-factor attempt runs these: compiled once (precompiled.ts); the policy's numbers
  // are constants of the statements.
  const ensureRow = precompile(db, 1, (userId: string) =>
    db
      .insertInto("gatehouse_second_factor_throttle")
      .values({ user_id: userId })
      .onConflict((oc) => oc.column("user_id").doNothing()),
  );
  const chargeUnlocked = precompile(db, 2, (userId: string, now: number) =>
    db
      .updateTable("gatehouse_second_factor_throttle")
      .set({
        failures: sql`failures + 1`,
        lock_seconds: sql`CASE WHEN ${locksNow} THEN ${nextLockSeconds} ELSE lock_seconds END`,
        locked_until: sql`CASE WHEN ${locksNow} THEN CAST(${now} AS BIGINT) + CAST(${nextLockSeconds} AS BIGINT) * 1000 ELSE locked_until END`,
      })
      .where("user_id", "=", userId)
      .where("locked_until", "<=", now)
      .where("failures", "<", hardLockFailures),
  );
  const countOf = precompile(db, 1, (userId: string) =>
    db.selectFrom("gatehouse_second_factor_throttle").select(["failures", "locked_until"]).where("user_id", "=", userId),
  );
  const clear = precompile(db, 1, (userId: string) =>
    db.updateTable("gatehouse_second_factor_throttle").set({ failures: 0, locked_until: 0, lock_seconds: 0 }).where("user_id", "=", userId),
  );

  return {
    async charge(userId, now) {
      await ensureRow(userId);
      const charged = await chargeUnlocked(userId, now);
      if (charged.numAffectedRows === 1n) return { allowed: true };

      const [row] = (await countOf(userId)).rows;
      if (!row) throw new Error("the throttle row of the account is missing");
      const hardLocked = Number(row.failures) >= hardLockFailures;
      const retryAfterSeconds = hardLocked ? maxLockSeconds : Math.ceil((Number(row.locked_until) - now) / 1000);
      return { allowed: false, retryAfterSeconds: Math.max(1, retryAfterSeconds), hardLocked };
    },

    async status(userId) {
      const row = await db
        .selectFrom("gatehouse_second_factor_throttle")
        .select(["failures", "locked_until"])
        .where("user_id", "=", userId)
        .executeTakeFirst();
      const consecutiveFailures = Number(row?.failures ?? 0);
      return {
        consecutiveFailures,
        lockedUntil: Number(row?.locked_until ?? 0),
        hardLocked: consecutiveFailures >= hardLockFailures,
      };
    },

    async reset(userId) {
      await clear(userId);
    },

    async unlock(userId) {
      await this.reset(userId);
    },
  };
}

/**
 * A sliding log per key (contract: 10 per username and address, 100 per address, in any 15
 * minutes). The attempt is written first and then counted, so concurrent attempts can only
 * refuse each other, never slip past the limit together.
 */
export function createLoginThrottle(db: Kysely<Database>): LoginThrottle {
  async function refund(attemptId: string) {
    await db.deleteFrom("gatehouse_login_failures").where("attempt_id", "=", attemptId).execute();
  }

  /** Milliseconds until fewer than `limit` earlier failures remain in the window. */
  async function waitFor({ key, limit, windowMs }: LoginThrottleKey, attemptId: string, now: number) {
    const earlier = db
      .selectFrom("gatehouse_login_failures")
      .where("key", "=", key)
      .where("at", ">", now - windowMs)
      .where("attempt_id", "!=", attemptId);
    const { count } = await earlier.select((eb) => eb.fn.countAll<number | string>().as("count")).executeTakeFirstOrThrow();
    const excess = Number(count) - limit;
    if (excess < 0) return 0;
    const row = await earlier.select("at").orderBy("at").offset(excess).limit(1).executeTakeFirstOrThrow();
    return Number(row.at) + windowMs - now;
  }

  return {
    async charge(attemptId, keys, now): Promise<ThrottleDecision> {
      await db
        .insertInto("gatehouse_login_failures")
        .values(keys.map(({ key }) => ({ attempt_id: attemptId, key, at: now })))
        .execute();
      let retryAfterMs = 0;
      for (const key of keys) retryAfterMs = Math.max(retryAfterMs, await waitFor(key, attemptId, now));
      if (retryAfterMs === 0) return { allowed: true };
      // A refused attempt was never checked, so it is not a failure.
      await refund(attemptId);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), hardLocked: false };
    },
    refund,
  };
}
