import { sql, type Kysely } from "kysely";
import type {
  LoginThrottle,
  LoginThrottleKey,
  SecondFactorThrottle,
  SecondFactorThrottlePolicy,
  ThrottleDecision,
} from "../core/ports.js";
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
  const { freeAttempts, firstLockSeconds, maxLockSeconds, hardLockFailures } = policy;
  // SET expressions read the old row, so the next lock length is spelled out once and reused.
  const nextLockSeconds = sql<number>`CASE WHEN lock_seconds = 0 THEN ${firstLockSeconds}
    WHEN lock_seconds * 2 > ${maxLockSeconds} THEN ${maxLockSeconds} ELSE lock_seconds * 2 END`;
  const locksNow = sql<boolean>`failures + 1 >= ${freeAttempts}`;

  return {
    async charge(userId, now) {
      await db
        .insertInto("second_factor_throttle")
        .values({ user_id: userId })
        .onConflict((oc) => oc.column("user_id").doNothing())
        .execute();
      const charged = await db
        .updateTable("second_factor_throttle")
        .set({
          failures: sql`failures + 1`,
          lock_seconds: sql`CASE WHEN ${locksNow} THEN ${nextLockSeconds} ELSE lock_seconds END`,
          locked_until: sql`CASE WHEN ${locksNow} THEN ${now} + (${nextLockSeconds}) * 1000 ELSE locked_until END`,
        })
        .where("user_id", "=", userId)
        .where("locked_until", "<=", now)
        .where("failures", "<", hardLockFailures)
        .executeTakeFirst();
      if (charged.numUpdatedRows === 1n) return { allowed: true };

      const row = await db
        .selectFrom("second_factor_throttle")
        .select(["failures", "locked_until"])
        .where("user_id", "=", userId)
        .executeTakeFirstOrThrow();
      const hardLocked = Number(row.failures) >= hardLockFailures;
      const retryAfterSeconds = hardLocked ? maxLockSeconds : Math.ceil((Number(row.locked_until) - now) / 1000);
      return { allowed: false, retryAfterSeconds: Math.max(1, retryAfterSeconds), hardLocked };
    },

    async reset(userId) {
      await db
        .updateTable("second_factor_throttle")
        .set({ failures: 0, locked_until: 0, lock_seconds: 0 })
        .where("user_id", "=", userId)
        .execute();
    },

    async unlock(userId) {
      await this.reset(userId);
    },
  };
}

/** Fixed windows per key (contract: 10 per username and address, 100 per address, 15 minutes). */
export function createLoginThrottle(db: Kysely<Database>): LoginThrottle {
  async function chargeKey(trx: Kysely<Database>, { key, windowMs }: LoginThrottleKey, now: number) {
    const expired = sql<boolean>`login_throttle.window_start <= ${now - windowMs}`;
    return trx
      .insertInto("login_throttle")
      .values({ key, window_start: now, count: 1 })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({
          count: sql`CASE WHEN ${expired} THEN 1 ELSE login_throttle.count + 1 END`,
          window_start: sql`CASE WHEN ${expired} THEN ${now} ELSE login_throttle.window_start END`,
        }),
      )
      .returning(["count", "window_start"])
      .executeTakeFirstOrThrow();
  }

  async function refund(keys: LoginThrottleKey[], now: number) {
    for (const { key, windowMs } of keys) {
      await db
        .updateTable("login_throttle")
        .set({ count: sql`count - 1` })
        .where("key", "=", key)
        .where("count", ">", 0)
        .where("window_start", ">", now - windowMs)
        .execute();
    }
  }

  return {
    async charge(keys, now): Promise<ThrottleDecision> {
      const rows = await db.transaction().execute(async (trx) => {
        const charged = [];
        for (const key of keys) charged.push({ key, row: await chargeKey(trx, key, now) });
        return charged;
      });
      let retryAfterMs = 0;
      for (const { key, row } of rows) {
        if (Number(row.count) > key.limit) {
          retryAfterMs = Math.max(retryAfterMs, Number(row.window_start) + key.windowMs - now);
        }
      }
      if (retryAfterMs === 0) return { allowed: true };
      // A refused attempt was never checked, so it is not a failure.
      await refund(keys, now);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), hardLocked: false };
    },
    refund,
  };
}
