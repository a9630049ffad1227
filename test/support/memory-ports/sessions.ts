// SessionStore in memory (src/store/sessions.ts).
import type { SessionRecord, SessionStore } from "../../../src/core/ports.js";
import { accountOf, copy, deleteWhere, insertNew, type MemoryTables } from "./tables.js";

export function createSessionStore(tables: MemoryTables): SessionStore {
  const { sessions } = tables;
  /** R35: neither past its absolute expiry nor idle for the timeout. */
  const isLive = (session: SessionRecord, now: number, idleTimeoutMs: number) =>
    session.expiresAt > now && session.lastSeenAt > now - idleTimeoutMs;
  const liveSession = (idHash: string, now: number, idleTimeoutMs: number) => {
    const session = sessions.get(idHash);
    return session && isLive(session, now, idleTimeoutMs) ? session : undefined;
  };

  return {
    async createSession(session) {
      accountOf(tables, session.userId);
      insertNew(sessions, session.idHash, copy(session));
    },

    async findSession(idHash, now, idleTimeoutMs) {
      const session = liveSession(idHash, now, idleTimeoutMs);
      return session ? copy(session) : null;
    },

    async findSessionWithUser(idHash, now, idleTimeoutMs) {
      const session = liveSession(idHash, now, idleTimeoutMs);
      const account = session && tables.accounts.get(session.userId);
      if (!session || !account) return null;
      // Defence in depth: disabling ends an app user's sessions, and one that outlived that opens
      // nothing. A host app's user has no app user row: their host disables them.
      if (tables.users.get(session.userId)?.disabledAt != null) return null;
      return {
        session: copy(session),
        user: { id: session.userId, username: account.name },
        // R55: a shown but unconfirmed key is no factor.
        enrolled: tables.factors.has(session.userId),
      };
    },

    async touchSession(idHash, now) {
      const session = sessions.get(idHash);
      if (session) session.lastSeenAt = now;
    },

    async deleteSession(idHash) {
      sessions.delete(idHash);
    },

    async replaceSession(oldIdHash, next) {
      // R32: one challenge yields at most one session; the successor's row is checked first, so
      // a refused insert leaves the old session in place, as the SQL transaction's rollback does.
      if (!sessions.has(oldIdHash)) return false;
      accountOf(tables, next.userId);
      if (next.idHash !== oldIdHash && sessions.has(next.idHash)) throw new Error(`unique violation: ${next.idHash}`);
      sessions.delete(oldIdHash);
      sessions.set(next.idHash, copy(next));
      return true;
    },

    async takeFlash(idHash) {
      const session = sessions.get(idHash);
      if (!session?.flash) return null;
      // Read and cleared together: of two concurrent readers only one shows it.
      const { flash } = session;
      session.flash = null;
      return flash;
    },

    async deleteExpiredSessions(now, idleTimeoutMs) {
      return deleteWhere(sessions, (session) => !isLive(session, now, idleTimeoutMs));
    },

    async listUserSessions(userId, now, idleTimeoutMs) {
      return [...sessions.values()]
        .filter((session) => session.userId === userId && isLive(session, now, idleTimeoutMs))
        .sort((x, y) => y.lastSeenAt - x.lastSeenAt)
        .map(copy);
    },

    async deleteUserSessions(userId, keepIdHash) {
      // R37: every session of the user except the kept one.
      return deleteWhere(sessions, (session) => session.userId === userId && session.idHash !== keepIdHash);
    },
  };
}
