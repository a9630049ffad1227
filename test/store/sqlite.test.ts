// The store conformance suite against the embedded SQLite store: one temporary database FILE
// (not :memory:) opened by two instances, the second in its own thread as a second gatehouse
// process sharing the data directory would (see other-process-store.ts for why a thread).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { throttlePolicy } from "../../src/services.js";
import type { Store } from "../../src/store/kysely-store.js";
import { openSQLiteStore } from "../../src/store/sqlite.js";
import { storeConformanceSuite, type OpenedStores } from "./conformance.js";
import { openSQLiteStoreInWorker } from "./other-process-store.js";
import { settlingEachCall } from "./settling-store.js";

async function twoInstances(groupCommit: boolean): Promise<OpenedStores> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-store-"));
  const file = join(dir, "gatehouse.sqlite");
  const opened = await openSQLiteStore(file, throttlePolicy(30), { groupCommit });
  // With group commit, each call is taken once durable, as the web app answers.
  const first = groupCommit ? settlingEachCall(opened) : opened;
  // The second instance migrates the same file again: migrations must be safe to re-run.
  const second = await openSQLiteStoreInWorker(file, throttlePolicy(30), { groupCommit });
  const more: Store[] = [];
  return {
    stores: [first, second],
    async openWithPolicy(policy) {
      const store = await openSQLiteStore(file, policy, { groupCommit });
      more.push(store);
      return groupCommit ? settlingEachCall(store) : store;
    },
    async cleanup() {
      await Promise.all([first, second, ...more].map((store) => store.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

storeConformanceSuite("SQLite file shared by two instances", () => twoInstances(false));
// The server's mode (src/store/group-commit.ts): writes of one turn share a COMMIT.
storeConformanceSuite("SQLite file shared by two group-committing instances", () => twoInstances(true));
