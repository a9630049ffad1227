// The store conformance suite against the embedded SQLite store: one temporary database FILE
// (not :memory:) opened by two instances, the second in its own thread as a second gatehouse
// process sharing the data directory would (see other-process-store.ts for why a thread).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { throttlePolicy } from "../../src/services.js";
import { openSQLiteStore } from "../../src/store/sqlite.js";
import { storeConformanceSuite } from "./conformance.js";
import { openSQLiteStoreInWorker } from "./other-process-store.js";

storeConformanceSuite("SQLite file shared by two instances", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-store-"));
  const file = join(dir, "gatehouse.sqlite");
  const first = await openSQLiteStore(file, throttlePolicy(30));
  // The second instance migrates the same file again: migrations must be safe to re-run.
  const second = await openSQLiteStoreInWorker(file, throttlePolicy(30));
  return {
    stores: [first, second],
    async cleanup() {
      await Promise.all([first.close(), second.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
});
