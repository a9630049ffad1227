// EventStore in memory (src/store/events.ts).
import type { EventStore } from "../../../src/core/ports.js";
import { compare, copy, insertNew, type MemoryTables } from "./tables.js";

export function createEventStore(tables: MemoryTables): EventStore {
  const { events } = tables;
  return {
    async appendEvent(event) {
      // The row's count starts at 1 whatever the record says, as the column's default does.
      insertNew(events, event.id, { ...copy(event), count: 1 });
    },

    async countEvent(event) {
      // A repeat adds one to the row of its id (review F5); the row keeps the first attempt's fields.
      const row = events.get(event.id);
      if (row) return ++row.count;
      events.set(event.id, { ...copy(event), count: 1 });
      return 1;
    },

    async listEvents({ userId, since, limit }) {
      return [...events.values()]
        .filter((event) => (userId === undefined || event.userId === userId) && (since === undefined || event.at >= since))
        .sort((x, y) => y.at - x.at || compare(y.id, x.id))
        .slice(0, limit)
        .map(copy);
    },
  };
}

