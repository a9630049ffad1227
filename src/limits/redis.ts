// The throttle ports (src/core/ports.ts) over Redis, with the semantics of the SQL versions in
// src/store/throttle.ts. Each charge is one Lua script, so it runs atomically on the server: no
// other command interleaves between the count and the lock (style: "Redis Lua", R58). `now`
// always comes from the injected clock, never from Redis TIME, so tests move time as they need.
import type { LoginThrottle, SecondFactorThrottle, SecondFactorThrottlePolicy, ThrottleDecision } from "../core/ports.js";
import { defineScript, guard, type Redis } from "./redis-client.js";

/**
 * How long an account's count outlives its lock when no attempt comes. The SQL row never expires;
 * here a quiet account is forgotten after this, so keys do not pile up forever. It is far longer
 * than the longest lock (one day), so an attacker who keeps trying keeps the count alive.
 */
const SECOND_FACTOR_RETENTION_MS = 30 * 86_400_000;

// KEYS[1] account hash {failures, locked_until, lock_seconds}.
// ARGV now, freeAttempts, firstLockSeconds, maxLockSeconds, hardLockFailures, retentionMs.
// Returns {1} when charged, {0, failures, locked_until} when refused (nothing written: refused
// attempts do not count). The arithmetic is the SQL UPDATE's, line for line.
const chargeSecondFactor = defineScript(`
local now = tonumber(ARGV[1])
local free, first, max, hard = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local row = redis.call('HMGET', KEYS[1], 'failures', 'locked_until', 'lock_seconds')
local failures = tonumber(row[1] or '0')
local lockedUntil = tonumber(row[2] or '0')
local lockSeconds = tonumber(row[3] or '0')
if failures >= hard or lockedUntil > now then
  return {0, failures, lockedUntil}
end
failures = failures + 1
if failures >= free then
  if lockSeconds == 0 then lockSeconds = first
  elseif lockSeconds * 2 > max then lockSeconds = max
  else lockSeconds = lockSeconds * 2 end
  lockedUntil = now + lockSeconds * 1000
end
redis.call('HSET', KEYS[1], 'failures', failures, 'locked_until', string.format('%.0f', lockedUntil), 'lock_seconds', lockSeconds)
if failures >= hard then
  -- A hard lock never lifts by time: only unlock removes it.
  redis.call('PERSIST', KEYS[1])
else
  local ttl = tonumber(ARGV[6])
  if lockedUntil > now then ttl = ttl + (lockedUntil - now) end
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', ttl))
end
return {1}
`);

export function createRedisSecondFactorThrottle(
  redis: Redis,
  policy: SecondFactorThrottlePolicy,
  prefix: string,
): SecondFactorThrottle {
  const { freeAttempts, maxLockSeconds, hardLockFailures } = policy;
  // R12: no lock is longer than the cap, the first one included, whatever the policy says.
  const firstLockSeconds = Math.min(policy.firstLockSeconds, maxLockSeconds);
  const keyOf = (userId: string) => `${prefix}second-factor:${userId}`;

  return {
    async charge(userId, now): Promise<ThrottleDecision> {
      const reply = (await guard(() =>
        chargeSecondFactor(
          redis,
          [keyOf(userId)],
          [now, freeAttempts, firstLockSeconds, maxLockSeconds, hardLockFailures, SECOND_FACTOR_RETENTION_MS],
        ),
      )) as number[];
      if (reply[0] === 1) return { allowed: true };
      const [, failures = 0, lockedUntil = 0] = reply;
      const hardLocked = failures >= hardLockFailures;
      const retryAfterSeconds = hardLocked ? maxLockSeconds : Math.ceil((lockedUntil - now) / 1000);
      return { allowed: false, retryAfterSeconds: Math.max(1, retryAfterSeconds), hardLocked };
    },

    async status(userId) {
      const [failures, lockedUntil] = await guard(() => redis.hmget(keyOf(userId), "failures", "locked_until"));
      const consecutiveFailures = Number(failures ?? 0);
      return { consecutiveFailures, lockedUntil: Number(lockedUntil ?? 0), hardLocked: consecutiveFailures >= hardLockFailures };
    },

    async reset(userId) {
      await guard(() => redis.del(keyOf(userId)));
    },

    async unlock(userId) {
      await this.reset(userId);
    },
  };
}

// KEYS[1] the attempt's set of throttle keys (for refund), KEYS[2..] one sorted set per throttle
// key, member attemptId, score the time of the failure. ARGV attemptId, now, then limit and
// windowMs per throttle key. Counting happens before writing, inside one script: nothing can
// interleave, so concurrent attempts cannot pass together, and a refused attempt is written
// nowhere. Returns {1} when charged, {0, waitMs} when refused.
const chargeLogin = defineScript(`
local id, now = ARGV[1], tonumber(ARGV[2])
local wait, longest = 0, 0
for i = 2, #KEYS do
  local limit, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local since = '(' .. string.format('%.0f', now - window)
  -- Earlier failures in the window, not counting this attempt (as the SQL's attempt_id !=).
  local count = redis.call('ZCOUNT', KEYS[i], since, '+inf')
  local own = redis.call('ZSCORE', KEYS[i], id)
  if own and tonumber(own) > now - window then count = count - 1 end
  local excess = count - limit
  if excess >= 0 then
    -- Wait until the excess-th oldest leaves the window (own entry skipped when it comes first).
    local rows = redis.call('ZRANGEBYSCORE', KEYS[i], since, '+inf', 'WITHSCORES', 'LIMIT', 0, excess + 2)
    local seen = 0
    for j = 1, #rows, 2 do
      if rows[j] ~= id then
        if seen == excess then
          local left = tonumber(rows[j + 1]) + window - now
          if left > wait then wait = left end
          break
        end
        seen = seen + 1
      end
    end
  end
end
if wait > 0 then return {0, wait} end
for i = 2, #KEYS do
  local window = tonumber(ARGV[2 * i])
  redis.call('ZADD', KEYS[i], string.format('%.0f', now), id)
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('%.0f', now - window))
  local newest = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
  local ttl = window
  if newest[2] and tonumber(newest[2]) > now then ttl = ttl + tonumber(newest[2]) - now end
  redis.call('PEXPIRE', KEYS[i], string.format('%.0f', ttl))
  if window > longest then longest = window end
  redis.call('SADD', KEYS[1], KEYS[i])
end
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', longest))
return {1}
`);

export function createRedisLoginThrottle(redis: Redis, prefix: string): LoginThrottle {
  const attemptKeyOf = (attemptId: string) => `${prefix}login-attempt:${attemptId}`;
  const windowKeyOf = (key: string) => `${prefix}login:${key}`;

  return {
    async charge(attemptId, keys, now): Promise<ThrottleDecision> {
      if (keys.length === 0) return { allowed: true };
      const reply = (await guard(() =>
        chargeLogin(
          redis,
          [attemptKeyOf(attemptId), ...keys.map(({ key }) => windowKeyOf(key))],
          [attemptId, now, ...keys.flatMap(({ limit, windowMs }) => [limit, windowMs])],
        ),
      )) as number[];
      if (reply[0] === 1) return { allowed: true };
      const waitMs = reply[1] ?? 1000;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), hardLocked: false };
    },

    async refund(attemptId) {
      // The attempt's keys are read, then its entries removed with the record in one MULTI.
      // Attempt ids are never reused, so nothing can add to them in between.
      const attemptKey = attemptKeyOf(attemptId);
      const windowKeys = await guard(() => redis.smembers(attemptKey));
      if (windowKeys.length === 0) return;
      const transaction = redis.multi();
      for (const windowKey of windowKeys) transaction.zrem(windowKey, attemptId);
      transaction.del(attemptKey);
      const results = await guard(() => transaction.exec());
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
    },
  };
}
