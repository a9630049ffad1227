// A counting semaphore for promises: at most `limit` tasks run at a time, the rest start in
// arrival order as running ones settle (fulfilled or rejected).
export function concurrencyLimit(limit: number) {
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError("limit must be a positive integer");
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    // A settling task hands its slot straight to the next waiter, so a newcomer cannot overtake.
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
