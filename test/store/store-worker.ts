// Runs in a worker thread: opens real SQLite stores on request and answers calls to their port
// methods. Started once per test file by other-process-store.ts, with tsx's loader.
import { parentPort } from "node:worker_threads";
import type { SecondFactorThrottlePolicy } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";
import { openSQLiteStore } from "../../src/store/sqlite.js";
import { callSettled } from "./settling-store.js";

type Request =
  | { id: number; op: "open"; file: string; policy: SecondFactorThrottlePolicy; groupCommit: boolean }
  | { id: number; op: "call"; handle: number; group: string | null; method: string; args: unknown[] }
  | { id: number; op: "close"; handle: number };

const port = parentPort!;
const stores = new Map<number, Store>();
let nextHandle = 0;

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case "open": {
      const handle = nextHandle++;
      stores.set(handle, await openSQLiteStore(request.file, request.policy, { groupCommit: request.groupCommit }));
      return handle;
    }
    case "call": {
      const store = stores.get(request.handle);
      if (!store) throw new Error("store is closed");
      const target = (request.group === null ? store : store[request.group as keyof Store]) as unknown as Record<
        string,
        (...a: unknown[]) => Promise<unknown>
      >;
      const method = target?.[request.method];
      if (typeof method !== "function") throw new Error(`the store has no method ${request.group}.${request.method}`);
      // Answered once durable, as the web app answers (a no-op without group commit).
      return callSettled(store, method, target, request.args);
    }
    case "close": {
      const store = stores.get(request.handle);
      stores.delete(request.handle);
      await store?.close();
      return undefined;
    }
  }
}

port.on("message", async (request: Request) => {
  try {
    port.postMessage({ id: request.id, ok: true, result: await handle(request) });
  } catch (error) {
    const { message, code } = error as { message?: string; code?: unknown };
    port.postMessage({ id: request.id, ok: false, error: { message: String(message), code } });
  }
});
port.postMessage({ ready: true });
