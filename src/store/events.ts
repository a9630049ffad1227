import { sql, type Kysely } from "kysely";
import type { EventStore, SecurityEventType, StoredEvent } from "../core/ports.js";
import { precompile } from "./precompiled.js";
import type { Database } from "./schema.js";

export function createEventStore(db: Kysely<Database>): EventStore {
  const row = (event: StoredEvent) => ({
    id: event.id,
    at: event.at,
    type: event.type,
    user_id: event.userId,
    client_address: event.clientAddress,
    user_agent: event.userAgent,
    detail: JSON.stringify(event.detail),
  });
  // Every sign-in step appends events: compiled once (precompiled.ts).
  const append = precompile(
    db,
    7,
    (id: string, at: number, type: string, userId: string | null, clientAddress: string | null, userAgent: string | null, detail: string) =>
      db.insertInto("gatehouse_events").values({ id, at, type, user_id: userId, client_address: clientAddress, user_agent: userAgent, detail }),
  );

  return {
    async appendEvent(event) {
      const { id, at, type, user_id, client_address, user_agent, detail } = row(event);
      await append(id, at, type, user_id, client_address, user_agent, detail);
    },

    async countEvent(event) {
      // One statement on both dialects: the insert or the increment happens, never a unique
      // violation between two writers of the same row.
      const { repeat_count } = await db
        .insertInto("gatehouse_events")
        .values(row(event))
        .onConflict((oc) => oc.column("id").doUpdateSet({ repeat_count: sql`gatehouse_events.repeat_count + 1` }))
        .returning("repeat_count")
        .executeTakeFirstOrThrow();
      return Number(repeat_count);
    },

    async listEvents({ userId, since, limit }) {
      let query = db.selectFrom("gatehouse_events").selectAll();
      if (userId !== undefined) query = query.where("user_id", "=", userId);
      if (since !== undefined) query = query.where("at", ">=", since);
      const rows = await query.orderBy("at", "desc").orderBy("id", "desc").limit(limit).execute();
      return rows.map((row) => ({
        id: row.id,
        at: Number(row.at),
        type: row.type as SecurityEventType,
        userId: row.user_id,
        clientAddress: row.client_address,
        userAgent: row.user_agent,
        detail: JSON.parse(row.detail) as Record<string, string | number | boolean>,
        count: Number(row.repeat_count),
      }));
    },
  };
}
