// A Store whose SQLite connection lives in another thread, standing in for a second gatehouse
// process on the same database file.
//
// Why not a second connection in this thread: better-sqlite3 is synchronous, so while one
// connection waits on SQLite's busy timeout for a write lock it blocks the event loop that the
// lock holder (the other connection, mid-transaction at an `await`) needs in order to commit.
// Two processes never deadlock that way; two connections in one thread do ("database is locked"
// after busy_timeout).
import { Worker } from "node:worker_threads";
import type { SecondFactorThrottlePolicy } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";
import type { SQLiteStoreOptions } from "../../src/store/sqlite.js";

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: { message: string; code: unknown } };


type Call = (request: Record<string, unknown>) => Promise<unknown>;
let host: Promise<Call> | undefined;

/** One worker per test file (starting one with the TypeScript loader takes about a second). */
function startHost(): Promise<Call> {
  // The worker loads TypeScript through tsx's loader, registered inside the worker itself.
  const script = new URL("./store-worker.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); })`;
  const worker = new Worker(bootstrap, { eval: true });
  worker.unref();

  let nextId = 0;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const call: Call = (request) => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };

  return new Promise((resolve, reject) => {
    worker.on("error", (error) => {
      reject(error);
      for (const pending of waiting.values()) pending.reject(error);
      waiting.clear();
    });
    worker.on("message", (reply: Reply | { ready: true }) => {
      if ("ready" in reply) return resolve(call);
      const pending = waiting.get(reply.id);
      if (!pending) return;
      waiting.delete(reply.id);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
  });
}

export async function openSQLiteStoreInWorker(
  file: string,
  policy: SecondFactorThrottlePolicy,
  { groupCommit = false }: SQLiteStoreOptions = {},
): Promise<Store> {
  host ??= startHost();
  const call = await host;
  const handle = await call({ op: "open", file, policy, groupCommit });
  const close = () => call({ op: "close", handle }).then(() => undefined);
  // Every property is both a port (store.users.createUser(...)) and a method (store.sweep(...)),
  // so ports added to Store later work here unchanged.
  const member = (name: string) =>
    new Proxy(function () {}, {
      apply: (_target, _this, args: unknown[]) => call({ op: "call", handle, group: null, method: name, args }),
      get: (_target, method) =>
        typeof method === "string" ? (...args: unknown[]) => call({ op: "call", handle, group: name, method, args }) : undefined,
    });
  const store = new Proxy({} as Record<string, unknown>, {
    // Not a thenable: `await openSQLiteStoreInWorker(...)` must resolve to the store itself.
    get: (_target, name) => (name === "close" ? close : typeof name === "string" && name !== "then" ? member(name) : undefined),
  });
  return store as unknown as Store;
}
