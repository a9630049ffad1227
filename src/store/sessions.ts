import type { Insertable, Kysely, Selectable } from "kysely";
import type { SessionRecord, SessionStore } from "../core/ports.js";
import { precompile } from "./precompiled.js";
import type { Database, SessionsTable } from "./schema.js";

function toRow(session: SessionRecord): Insertable<SessionsTable> {
  return {
    id_hash: session.idHash,
    user_id: session.userId,
    level: session.level,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
    next_path: session.nextPath,
    flash: session.flash,
  };
}

function toSession(row: Selectable<SessionsTable>): SessionRecord {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    level: row.level,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    nextPath: row.next_path,
    flash: row.flash,
  };
}

/** The session's and its user's columns, for the one-statement per-request check. */
const SESSION_WITH_USER = [
  "s.id_hash",
  "s.user_id",
  "s.level",
  "s.created_at",
  "s.last_seen_at",
  "s.expires_at",
  "s.next_path",
  "s.flash",
  "a.name",
  "f.user_id as factor_user_id",
] as const;

export function createSessionStore(db: Kysely<Database>): SessionStore {
  /** Sessions neither past their absolute expiry nor idle too long (R35): seen after `since`. */
  const live = (now: number, since: number) =>
    db.selectFrom("gatehouse_sessions").selectAll().where("expires_at", ">", now).where("last_seen_at", ">", since);

  // Every request runs these: compiled once (precompiled.ts).
  const findLive = precompile(db, 3, (idHash: string, now: number, since: number) =>
    live(now, since).where("id_hash", "=", idHash),
  );
  // The same liveness test joined to the user and their factor: one statement instead of three.
  const findLiveWithUser = precompile(db, 3, (idHash: string, now: number, since: number) =>
    db
      .selectFrom("gatehouse_sessions as s")
      .innerJoin("gatehouse_accounts as a", "a.user_id", "s.user_id")
      // The app's own users only: a host app's users have no row here (their host disables them).
      .leftJoin("gatehouse_users as u", "u.id", "s.user_id")
      .leftJoin("gatehouse_totp_factors as f", "f.user_id", "s.user_id")
      .select(SESSION_WITH_USER)
      .where("s.id_hash", "=", idHash)
      .where("s.expires_at", ">", now)
      .where("s.last_seen_at", ">", since)
      // Defence in depth: disabling ends the user's sessions, and one that outlived that opens nothing.
      .where("u.disabled_at", "is", null),
  );
  const touch = precompile(db, 2, (idHash: string, now: number) =>
    db.updateTable("gatehouse_sessions").set({ last_seen_at: now }).where("id_hash", "=", idHash),
  );
  const remove = precompile(db, 1, (idHash: string) => db.deleteFrom("gatehouse_sessions").where("id_hash", "=", idHash));

  return {
    async createSession(session) {
      await db.insertInto("gatehouse_sessions").values(toRow(session)).execute();
    },

    async findSession(idHash, now, idleTimeoutMs) {
      const [row] = (await findLive(idHash, now, now - idleTimeoutMs)).rows;
      return row ? toSession(row) : null;
    },

    async findSessionWithUser(idHash, now, idleTimeoutMs) {
      const [row] = (await findLiveWithUser(idHash, now, now - idleTimeoutMs)).rows;
      if (!row) return null;
      return {
        session: toSession(row),
        user: { id: row.user_id, username: row.name },
        enrolled: row.factor_user_id !== null,
      };
    },

    async touchSession(idHash, now) {
      await touch(idHash, now);
    },

    async deleteSession(idHash) {
      await remove(idHash);
    },

    async replaceSession(oldIdHash, next) {
      return db.transaction().execute(async (trx) => {
        const deleted = await remove.on(trx)(oldIdHash);
        if (deleted.numAffectedRows !== 1n) return false;
        await trx.insertInto("gatehouse_sessions").values(toRow(next)).execute();
        return true;
      });
    },

    async takeFlash(idHash) {
      const row = await db.selectFrom("gatehouse_sessions").select("flash").where("id_hash", "=", idHash).executeTakeFirst();
      if (!row?.flash) return null;
      // Compare-and-clear: of two concurrent readers only the one whose update lands shows it.
      const cleared = await db
        .updateTable("gatehouse_sessions")
        .set({ flash: null })
        .where("id_hash", "=", idHash)
        .where("flash", "=", row.flash)
        .executeTakeFirst();
      return cleared.numUpdatedRows === 1n ? row.flash : null;
    },

    async deleteExpiredSessions(now, idleTimeoutMs) {
      const result = await db
        .deleteFrom("gatehouse_sessions")
        .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<=", now - idleTimeoutMs)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async listUserSessions(userId, now, idleTimeoutMs) {
      const rows = await live(now, now - idleTimeoutMs).where("user_id", "=", userId).orderBy("last_seen_at", "desc").execute();
      return rows.map(toSession);
    },

    async deleteUserSessions(userId, keepIdHash) {
      let query = db.deleteFrom("gatehouse_sessions").where("user_id", "=", userId);
      if (keepIdHash !== null) query = query.where("id_hash", "!=", keepIdHash);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
