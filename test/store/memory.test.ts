// The store conformance suite (with the throttle suite inside it) against the in-memory
// reference adapter, test/support/memory-ports: two stores over one set of tables stand for two
// gatehouse processes on one database. Every test of the suite runs; what the SQL stores test
// besides it (migrations, a second process or thread, group commit, outages, connection
// settings) is about a database and has no counterpart in memory.
import { createMemoryStore, createMemoryTables } from "../support/memory-ports/index.js";
import { CONFORMANCE_POLICY, storeConformanceSuite } from "./conformance.js";

storeConformanceSuite("memory tables shared by two stores", async () => {
  const tables = createMemoryTables();
  return {
    stores: [createMemoryStore(CONFORMANCE_POLICY, tables), createMemoryStore(CONFORMANCE_POLICY, tables)],
    openWithPolicy: async (policy) => createMemoryStore(policy, tables),
    cleanup: async () => {},
  };
});
