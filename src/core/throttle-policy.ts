import type { SecondFactorThrottlePolicy } from "./ports.js";

/** GATEHOUSE_LOCK_SECONDS's default: the first lock lasts 30 seconds. */
export const DEFAULT_FIRST_LOCK_SECONDS = 30;

export function throttlePolicy(firstLockSeconds: number = DEFAULT_FIRST_LOCK_SECONDS): SecondFactorThrottlePolicy {
  // Contract: lock after 5 consecutive failures, double each time, cap a day, hard lock at 100.
  return { freeAttempts: 5, firstLockSeconds, maxLockSeconds: 86_400, hardLockFailures: 100 };
}
