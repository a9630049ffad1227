// Part of the store conformance suite: findSessionWithUser, the one-statement per-request check
// (session joined to its user and their factor). It must answer exactly what findSession,
// findUserById and findFactor answer (R33, R35, R36, R55), only in one query: never a session
// that has expired, idled out, ended or been replaced, nor one whose user is gone.
import { beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";
import { enrollUser, MINUTE, newUser, pendingKey, SECOND, session, T0 } from "./fixtures.js";

const IDLE = 30 * MINUTE;

/** Registers the tests inside the suite's describe; `stores` gives the current pair. */
export function sessionWithUserConformance(stores: () => [Store, Store]): void {
  describe("findSessionWithUser (R33, R35, R36)", () => {
    let a: Store;
    let b: Store;

    beforeEach(() => {
      [a, b] = stores();
    });

    async function userWithSession(overrides: Partial<SessionRecord> = {}) {
      const user = newUser();
      expect(await a.users.createUser(user)).toBe(true);
      const record = session(user.id, overrides);
      await a.sessions.createSession(record);
      return { user, record };
    }

    /** What the separate queries answer: the session, its user, then their factor. */
    async function separateQueries(store: Store, idHash: string, now: number, idle: number) {
      const found = await store.sessions.findSession(idHash, now, idle);
      const user = found ? await store.users.findUserById(found.userId) : null;
      // The joined query reads the account holder: the user's id and the name their account keeps.
      const holder = user && { id: user.id, username: user.username };
      return found && holder ? { session: found, user: holder, enrolled: (await store.totp.findFactor(holder.id)) !== null } : null;
    }

    it("returns the session and its user, exactly as stored, on the other instance", async () => {
      const { user, record } = await userWithSession({ level: "full", nextPath: "/account", flash: "sealed-flash" });
      expect(await b.sessions.findSessionWithUser(record.idHash, T0, IDLE)).toEqual({
        session: record,
        user: { id: user.id, username: user.username },
        enrolled: false,
      });
    });

    it("R55: says whether the user has an active factor, as it is on the other instance", async () => {
      const { user } = await enrollUser(a);
      const record = session(user.id, { level: "pending" });
      await a.sessions.createSession(record);
      const pending = (await b.sessions.findSessionWithUser(record.idHash, T0, IDLE))!;
      expect(pending.enrolled).toBe(true);
      expect(pending).toEqual(await separateQueries(b, record.idHash, T0, IDLE));
      expect(await a.totp.disableFactor(user.id)).toBe(true);
      // A shown but unconfirmed key is no factor.
      await b.totp.savePendingEnrollment(pendingKey(user.id, "pending", { sessionIdHash: record.idHash }));
      expect((await b.sessions.findSessionWithUser(record.idHash, T0, IDLE))?.enrolled).toBe(false);
    });

    it("returns a pending (password-only) session with its level", async () => {
      const { record } = await userWithSession({ level: "pending", expiresAt: T0 + 5 * MINUTE });
      expect((await a.sessions.findSessionWithUser(record.idHash, T0, IDLE))?.session.level).toBe("pending");
    });

    it("returns null for an unknown hash", async () => {
      await userWithSession();
      expect(await a.sessions.findSessionWithUser("0".repeat(64), T0, IDLE)).toBeNull();
    });

    it("R33, R35: returns null from the absolute expiry on (a pending session's 5 minutes too)", async () => {
      const { record } = await userWithSession({ level: "pending", expiresAt: T0 + 5 * MINUTE });
      expect(await a.sessions.findSessionWithUser(record.idHash, T0 + 5 * MINUTE - 1, IDLE)).not.toBeNull();
      expect(await b.sessions.findSessionWithUser(record.idHash, T0 + 5 * MINUTE, IDLE)).toBeNull();
    });

    it("R35: returns null once idle for the timeout, and touchSession slides the window", async () => {
      const { record } = await userWithSession({ level: "full" });
      expect(await a.sessions.findSessionWithUser(record.idHash, T0 + IDLE - 1, IDLE)).not.toBeNull();
      expect(await a.sessions.findSessionWithUser(record.idHash, T0 + IDLE, IDLE)).toBeNull();
      await b.sessions.touchSession(record.idHash, T0 + IDLE - 1);
      expect((await a.sessions.findSessionWithUser(record.idHash, T0 + 2 * IDLE - 2, IDLE))?.session.lastSeenAt).toBe(
        T0 + IDLE - 1,
      );
      expect(await a.sessions.findSessionWithUser(record.idHash, T0 + 2 * IDLE - 1, IDLE)).toBeNull();
    });

    it("R36: returns null for an ended session, and for every session ended by 'sign out everywhere'", async () => {
      const { user, record } = await userWithSession({ level: "full" });
      const other = session(user.id, { level: "full" });
      await a.sessions.createSession(other);
      await b.sessions.deleteSession(record.idHash);
      expect(await a.sessions.findSessionWithUser(record.idHash, T0, IDLE)).toBeNull();
      expect(await a.sessions.findSessionWithUser(other.idHash, T0, IDLE)).not.toBeNull();
      await b.sessions.deleteUserSessions(user.id, null);
      expect(await a.sessions.findSessionWithUser(other.idHash, T0, IDLE)).toBeNull();
    });

    it("R32: after a replacement the old hash finds nothing and the successor is found with the user", async () => {
      const { user, record } = await userWithSession();
      const next = session(user.id, { level: "full" });
      expect(await b.sessions.replaceSession(record.idHash, next)).toBe(true);
      expect(await a.sessions.findSessionWithUser(record.idHash, T0, IDLE)).toBeNull();
      expect(await a.sessions.findSessionWithUser(next.idHash, T0, IDLE)).toMatchObject({ session: next, user: { id: user.id } });
    });

    it("returns null once the user is removed", async () => {
      const { user, record } = await userWithSession({ level: "full" });
      expect(await b.users.deleteUser(user.id)).toBe(true);
      expect(await a.sessions.findSessionWithUser(record.idHash, T0, IDLE)).toBeNull();
    });

    it("returns null while the user is disabled, in the same one query, and the session again once enabled", async () => {
      const { user, record } = await userWithSession({ level: "full" });
      expect(await b.users.setDisabled(user.id, T0)).toBe(true);
      expect(await a.sessions.findSessionWithUser(record.idHash, T0, IDLE)).toBeNull();
      expect(await b.users.setDisabled(user.id, null)).toBe(true);
      expect((await a.sessions.findSessionWithUser(record.idHash, T0, IDLE))?.user.id).toBe(user.id);
    });

    it("returns the session's own user, never another one's", async () => {
      const first = await userWithSession({ level: "full" });
      const second = await userWithSession({ level: "full" });
      expect((await a.sessions.findSessionWithUser(first.record.idHash, T0, IDLE))?.user.id).toBe(first.user.id);
      expect((await b.sessions.findSessionWithUser(second.record.idHash, T0, IDLE))?.user.id).toBe(second.user.id);
    });

    it("agrees with findSession + findUserById at every boundary of the idle and absolute limits", async () => {
      const { record } = await userWithSession({ level: "full", lastSeenAt: T0 + 10 * MINUTE, expiresAt: T0 + 35 * MINUTE });
      const times = [T0, T0 + 10 * MINUTE, T0 + 35 * MINUTE - 1, T0 + 35 * MINUTE, T0 + 40 * MINUTE - 1, T0 + 40 * MINUTE];
      for (const idle of [IDLE, 20 * MINUTE, SECOND]) {
        for (const now of times) {
          const expected = await separateQueries(a, record.idHash, now, idle);
          expect(await b.sessions.findSessionWithUser(record.idHash, now, idle), `now=T0+${now - T0} idle=${idle}`).toEqual(expected);
        }
      }
    });
  });
}
