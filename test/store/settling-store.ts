// The store as the web app uses it with group commit: a call's answer is taken only once the
// writes made during it are durable (src/web/durable-answers.ts does the same per request).
import type { Store } from "../../src/store/kysely-store.js";

type Method = (...args: unknown[]) => Promise<unknown>;

/** Calls `method` and answers with its result once the writes made during it are durable. */
export async function callSettled(store: Store, method: Method, self: unknown, args: unknown[]): Promise<unknown> {
  const settled = store.durability.watch();
  const result = await method.apply(self, args);
  await settled();
  return result;
}

function settling(store: Store, method: Method, self: unknown): Method {
  return (...args) => callSettled(store, method, self, args);
}

export function settlingEachCall(store: Store): Store {
  const port = (target: object) =>
    new Proxy(target, {
      get: (object, name) => {
        const value = Reflect.get(object, name) as unknown;
        return typeof value === "function" ? settling(store, value as Method, object) : value;
      },
    });
  return new Proxy(store, {
    get: (object, name) => {
      const value = Reflect.get(object, name) as unknown;
      if (name === "close" || name === "durability") return value;
      if (typeof value === "function") return settling(store, value as Method, object);
      return value !== null && typeof value === "object" ? port(value) : value;
    },
  });
}
