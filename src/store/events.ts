import type { Kysely } from "kysely";
import type { EventStore, SecurityEventType } from "../core/ports.js";
import { precompile } from "./precompiled.js";
import type { Database } from "./schema.js";

export function createEventStore(db: Kysely<Database>): EventStore {
  // Every sign-in step appends events: compiled once (precompiled.ts).
  const append = precompile(
    db,
    7,
    (id: string, at: number, type: string, userId: string | null, clientAddress: string | null, userAgent: string | null, detail: string) =>
      db.insertInto("events").values({
        id,
        at,
        type,
        user_id: userId,
        client_address: clientAddress,
        user_agent: userAgent,
        detail,
      }),
  );

  return {
    async appendEvent(event) {
      await append(event.id, event.at, event.type, event.userId, event.clientAddress, event.userAgent, JSON.stringify(event.detail));
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
