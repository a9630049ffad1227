import type { Kysely } from "kysely";
import type { EventStore, SecurityEventType } from "../core/ports.js";
import type { Database } from "./schema.js";

export function createEventStore(db: Kysely<Database>): EventStore {
  return {
    async appendEvent(event) {
      await db
        .insertInto("events")
        .values({
          id: event.id,
          at: event.at,
          type: event.type,
          user_id: event.userId,
          client_address: event.clientAddress,
          user_agent: event.userAgent,
          detail: JSON.stringify(event.detail),
        })
        .execute();
    },

    async listEvents({ userId, since, limit }) {
      let query = db.selectFrom("events").selectAll();
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
      }));
    },
  };
}
