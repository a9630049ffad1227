// The second part of the store conformance suite: the ports conformance.ts does not reach. It
// covers the account lifecycle, re-enrollment (R47), key rotation, remembered browsers (R46,
// R47), the activity log, session lists (R37) and the sweep. Values written on one instance are
// read back exactly on the other, which also pins their types (PostgreSQL's BIGINT reads as a
// string unless the store converts it).
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { RememberedDeviceRecord, StoredEvent } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";
import { createdUser, DAY, enrollUser, MINUTE, pendingKey, SECOND, session, T0 } from "./fixtures.js";

const IDLE = 30 * MINUTE;

function device(userId: string, overrides: Partial<RememberedDeviceRecord> = {}): RememberedDeviceRecord {
  return {
    id: randomUUID(),
    tokenHash: randomUUID().replaceAll("-", "").padEnd(64, "0"),
    userId,
    label: "Firefox on Linux",
    createdAt: T0,
    expiresAt: T0 + 30 * DAY,
    ...overrides,
  };
}

/** Registers the tests inside the suite's describe; `stores` gives the current pair. */
export function recordsConformance(stores: () => [Store, Store]): void {
  let a: Store;
  let b: Store;


  describe("accounts and factors", () => {
    beforeEach(() => {
      [a, b] = stores();
    });

    it("listUsers lists every user in username-key order", async () => {
      const users = [await createdUser(a, "carol"), await createdUser(a, "alice"), await createdUser(a, "bob")];
      const byKey = [users[1]!, users[2]!, users[0]!].map(({ id, username, passwordHash, createdAt }) => ({
        id,
        username,
        passwordHash,
        createdAt,
        disabledAt: null,
      }));
      expect(await b.users.listUsers()).toEqual(byKey);
    });

    it("deleteUser removes the user with their factor, codes and sessions, once", async () => {
      const { user } = await enrollUser(a);
      const record = session(user.id);
      await a.sessions.createSession(record);
      expect(await b.users.deleteUser(user.id)).toBe(true);
      expect(await a.users.findUserById(user.id)).toBeNull();
      expect(await a.totp.findFactor(user.id)).toBeNull();
      expect(await a.recoveryCodes.listUnused(user.id)).toEqual([]);
      expect(await a.sessions.findSession(record.idHash, T0, IDLE)).toBeNull();
      expect(await a.users.deleteUser(user.id)).toBe(false);
    });

    it("R47: a replacement factor swaps the secret, seeds the step, replaces the codes and forgets browsers", async () => {
      const { user } = await enrollUser(a, 1000);
      const remembered = device(user.id);
      await a.devices.rememberDevice(remembered);
      const pending = pendingKey(user.id, "new-phone", { kind: "replace" });
      await b.totp.savePendingEnrollment(pending);
      const replaced = await b.totp.activateFactor({
        userId: user.id,
        sessionIdHash: pending.sessionIdHash,
        replace: true,
        sealedSecret: "new-phone",
        usedStep: 3000,
        recoveryCodeHashes: ["new-code"],
        now: T0 + MINUTE,
      });
      expect(replaced).toBe(true);
      expect(await a.totp.findFactor(user.id)).toEqual({
        userId: user.id,
        sealedSecret: "new-phone",
        lastUsedStep: 3000,
        createdAt: T0 + MINUTE,
      });
      expect((await a.recoveryCodes.listUnused(user.id)).map((r) => r.codeHash)).toEqual(["new-code"]);
      expect(await a.devices.isRemembered(user.id, [remembered.tokenHash], T0)).toBe(false);
    });

    it("a replacement whose pending key was replaced meanwhile returns false and changes nothing", async () => {
      const { user, hashes } = await enrollUser(a, 1000);
      const remembered = device(user.id);
      await a.devices.rememberDevice(remembered);
      const pending = pendingKey(user.id, "newer-qr", { kind: "replace" });
      await b.totp.savePendingEnrollment(pending);
      const replaced = await a.totp.activateFactor({
        userId: user.id,
        sessionIdHash: pending.sessionIdHash,
        replace: true,
        sealedSecret: "older-qr",
        usedStep: 3000,
        recoveryCodeHashes: ["new-code"],
        now: T0,
      });
      expect(replaced).toBe(false);
      expect(await b.totp.findFactor(user.id)).toMatchObject({ sealedSecret: "sealed", lastUsedStep: 1000 });
      expect((await b.recoveryCodes.listUnused(user.id)).map((r) => r.codeHash).sort()).toEqual([...hashes].sort());
      expect(await b.devices.isRemembered(user.id, [remembered.tokenHash], T0)).toBe(true);
    });

    it("disableFactor removes the factor, every session's pending key, the codes and remembered browsers; then returns false", async () => {
      const { user } = await enrollUser(a);
      const remembered = device(user.id);
      await a.devices.rememberDevice(remembered);
      for (const secret of ["new-phone", "other-new-phone"]) await a.totp.savePendingEnrollment(pendingKey(user.id, secret, { kind: "replace" }));
      expect(await b.totp.disableFactor(user.id)).toBe(true);
      expect(await a.totp.findFactor(user.id)).toBeNull();
      expect(await a.totp.listPendingEnrollments(user.id, T0)).toEqual([]);
      expect(await a.recoveryCodes.listUnused(user.id)).toEqual([]);
      expect(await a.devices.listDevices(user.id, T0)).toEqual([]);
      expect(await a.totp.disableFactor(user.id)).toBe(false);
    });

    it("listSealedSecrets lists active and pending secrets, and resealSecret is a compare-and-set", async () => {
      const { user: active } = await enrollUser(a);
      const pending = await createdUser(a);
      const key = pendingKey(pending.id, "pending");
      await a.totp.savePendingEnrollment(key);
      const listed = await b.totp.listSealedSecrets();
      const activeRecord = { userId: active.id, kind: "active" as const, sealedSecret: "sealed" };
      const pendingRecord = { userId: pending.id, kind: "pending", sessionIdHash: key.sessionIdHash, sealedSecret: "pending" };
      expect(listed).toHaveLength(2);
      expect(listed).toEqual(expect.arrayContaining([activeRecord, pendingRecord]));
      expect(await b.totp.resealSecret(activeRecord, "resealed")).toBe(true);
      expect(await a.totp.resealSecret(activeRecord, "stale")).toBe(false);
      expect((await a.totp.findFactor(active.id))?.sealedSecret).toBe("resealed");
    });
  });

  describe("remembered browsers (R46, R47)", () => {
    beforeEach(() => {
      [a, b] = stores();
    });

    it("a remembered browser is recognised and listed on the other instance until it expires", async () => {
      const user = await createdUser(a);
      const other = await createdUser(a);
      const remembered = device(user.id, { expiresAt: T0 + DAY });
      await a.devices.rememberDevice(remembered);
      expect(await b.devices.isRemembered(user.id, ["f".repeat(64), remembered.tokenHash], T0)).toBe(true);
      expect(await b.devices.isRemembered(user.id, [], T0)).toBe(false);
      expect(await b.devices.isRemembered(other.id, [remembered.tokenHash], T0)).toBe(false);
      expect(await b.devices.isRemembered(user.id, [remembered.tokenHash], T0 + DAY)).toBe(false);
      expect(await b.devices.listDevices(user.id, T0 + DAY - 1)).toEqual([remembered]);
      expect(await b.devices.listDevices(user.id, T0 + DAY)).toEqual([]);
    });

    it("forgetDevice forgets a browser for its owner only, once", async () => {
      const user = await createdUser(a);
      const other = await createdUser(a);
      const remembered = device(user.id);
      await a.devices.rememberDevice(remembered);
      expect(await b.devices.forgetDevice(other.id, remembered.id)).toBe(false);
      expect(await b.devices.isRemembered(user.id, [remembered.tokenHash], T0)).toBe(true);
      expect(await b.devices.forgetDevice(user.id, remembered.id)).toBe(true);
      expect(await a.devices.isRemembered(user.id, [remembered.tokenHash], T0)).toBe(false);
      expect(await a.devices.forgetDevice(user.id, remembered.id)).toBe(false);
    });

    it("R47: forgetAllDevices ends every remembered browser at once; one remembered afterwards works", async () => {
      const user = await createdUser(a);
      const before = [device(user.id), device(user.id)];
      for (const d of before) await a.devices.rememberDevice(d);
      expect(await b.users.forgetAllDevices(user.id)).toBe(2);
      for (const d of before) expect(await a.devices.isRemembered(user.id, [d.tokenHash], T0)).toBe(false);
      const after = device(user.id);
      await b.devices.rememberDevice(after);
      expect(await a.devices.isRemembered(user.id, [after.tokenHash], T0)).toBe(true);
      expect(await a.devices.listDevices(user.id, T0)).toEqual([after]);
    });

    it("a remembered browser of a disabled user skips nothing, even if its row is still there", async () => {
      const user = await createdUser(a);
      const remembered = device(user.id);
      await a.devices.rememberDevice(remembered);
      expect(await b.users.setDisabled(user.id, T0)).toBe(true);
      expect(await a.devices.isRemembered(user.id, [remembered.tokenHash], T0)).toBe(false);
    });
  });

  describe("activity log", () => {
    beforeEach(() => {
      [a, b] = stores();
    });

    it("lists events newest first with their detail, filtered by user and time, and limited", async () => {
      const userId = randomUUID();
      const events: StoredEvent[] = [
        {
          id: randomUUID(),
          at: T0,
          type: "recovery-code-used",
          userId,
          clientAddress: "203.0.113.9",
          userAgent: "Firefox",
          detail: { left: 9, viaRecovery: true, method: "code" },
          count: 1,
        },
        { id: randomUUID(), at: T0 + SECOND, type: "signed-out", userId, clientAddress: null, userAgent: null, detail: {}, count: 1 },
        { id: randomUUID(), at: T0 + 2 * SECOND, type: "password-rejected", userId: null, clientAddress: null, userAgent: null, detail: {}, count: 1 },
      ];
      for (const event of events) await a.events.appendEvent(event);
      const [first, second, third] = events as [StoredEvent, StoredEvent, StoredEvent];
      expect(await b.events.listEvents({ limit: 10 })).toEqual([third, second, first]);
      expect(await b.events.listEvents({ userId, limit: 10 })).toEqual([second, first]);
      expect(await b.events.listEvents({ since: T0 + SECOND, limit: 10 })).toEqual([third, second]);
      expect(await b.events.listEvents({ limit: 1 })).toEqual([third]);
    });
  });

  describe("session lists (R37)", () => {
    beforeEach(() => {
      [a, b] = stores();
    });

    async function sessionsOf(userId: string) {
      const older = session(userId, { lastSeenAt: T0 });
      const newer = session(userId, { lastSeenAt: T0 + MINUTE, level: "full" });
      const expired = session(userId, { lastSeenAt: T0 + MINUTE, expiresAt: T0 + 2 * MINUTE });
      for (const s of [older, newer, expired]) await a.sessions.createSession(s);
      return { older, newer, expired };
    }

    it("listUserSessions lists the user's live sessions, most recently seen first", async () => {
      const user = await createdUser(a);
      const other = await createdUser(a);
      const { older, newer } = await sessionsOf(user.id);
      await a.sessions.createSession(session(other.id));
      expect(await b.sessions.listUserSessions(user.id, T0 + 2 * MINUTE, IDLE)).toEqual([newer, older]);
    });

    it("deleteUserSessions ends every session of the user but the kept one, or all with null", async () => {
      const user = await createdUser(a);
      const other = await createdUser(a);
      const { older, newer } = await sessionsOf(user.id);
      const othersSession = session(other.id);
      await a.sessions.createSession(othersSession);
      expect(await b.sessions.deleteUserSessions(user.id, older.idHash)).toBe(2);
      expect(await a.sessions.listUserSessions(user.id, T0 + MINUTE, IDLE)).toEqual([older]);
      expect(await b.sessions.deleteUserSessions(user.id, null)).toBe(1);
      expect(await a.sessions.findSession(newer.idHash, T0, IDLE)).toBeNull();
      expect(await a.sessions.findSession(othersSession.idHash, T0, IDLE)).toEqual(othersSession);
    });
  });

  describe("sweep", () => {
    beforeEach(() => {
      [a, b] = stores();
    });

    it("deletes expired sessions, pending enrollments and old password failures, and keeps live ones", async () => {
      const WINDOW = 15 * MINUTE;
      const stale = await createdUser(a);
      const fresh = await createdUser(a);
      await a.totp.savePendingEnrollment(pendingKey(stale.id, "stale", { expiresAt: T0 + MINUTE }));
      const freshKey = pendingKey(fresh.id, "fresh", { expiresAt: T0 + DAY });
      await a.totp.savePendingEnrollment(freshKey);
      const live = session(fresh.id, { lastSeenAt: T0 + WINDOW });
      const expired = session(stale.id, { expiresAt: T0 + MINUTE });
      for (const s of [live, expired]) await a.sessions.createSession(s);
      const key = { key: "login:203.0.113.9:alice", limit: 10, windowMs: WINDOW };
      for (let i = 0; i < 10; i++) await a.loginThrottle.charge(randomUUID(), [key], T0);

      await b.sweep(T0 + WINDOW, IDLE, WINDOW);

      expect(await a.totp.listSealedSecrets()).toEqual([
        { userId: fresh.id, kind: "pending", sessionIdHash: freshKey.sessionIdHash, sealedSecret: "fresh" },
      ]);
      expect(await a.sessions.findSession(live.idHash, T0 + WINDOW, IDLE)).toEqual(live);
      expect(await a.sessions.findSession(expired.idHash, T0, IDLE)).toBeNull();
      // Seen through a day-long window, the swept failures would still refuse this attempt.
      expect(await a.loginThrottle.charge(randomUUID(), [{ ...key, windowMs: DAY }], T0 + WINDOW)).toEqual({ allowed: true });
    });
  });
}
