// The invitations part of the store conformance suite (contract: Who may register): one
// invitation creates at most one account, even when two instances race with it; a refused
// registration (a taken name, a wrong name, an expired or revoked invitation) writes nothing.
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { InvitationRecord } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";
import { DAY, newUser, T0 } from "./fixtures.js";

function invitation(overrides: Partial<InvitationRecord> = {}): InvitationRecord {
  return {
    id: randomUUID(),
    tokenHash: randomUUID().replaceAll("-", "").padEnd(64, "0"),
    username: null,
    usernameKey: null,
    createdAt: T0,
    expiresAt: T0 + 7 * DAY,
    usedAt: null,
    usedByUserId: null,
    revokedAt: null,
    ...overrides,
  };
}

/** Registers the tests inside the suite's describe; `stores` gives the current pair. */
export function invitationsConformance(stores: () => [Store, Store]): void {
  let a: Store;
  let b: Store;

  describe("invitations", () => {
    beforeEach(() => {
      [a, b] = stores();
    });

    it("an invitation reads back exactly on the other instance, and is usable until it expires", async () => {
      const record = invitation({ username: "Dave", usernameKey: "dave" });
      await a.invitations.createInvitation(record);
      expect(await b.invitations.findUsableInvitation(record.tokenHash, T0)).toEqual(record);
      expect(await b.invitations.listInvitations()).toEqual([record]);
      expect(await b.invitations.findUsableInvitation(record.tokenHash, record.expiresAt)).toBeNull();
      expect(await b.invitations.findUsableInvitation("0".repeat(64), T0)).toBeNull();
    });

    it("two concurrent registrations with one invitation create exactly one user", async () => {
      const record = invitation();
      await a.invitations.createInvitation(record);
      const users = Array.from({ length: 6 }, () => newUser());
      const outcomes = await Promise.all(users.map((user, i) => (i % 2 ? a : b).invitations.createInvitedUser(user, record.tokenHash, T0)));
      expect(outcomes.filter((o) => o === "created")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "invitation-unusable")).toHaveLength(5);
      const winner = users[outcomes.indexOf("created")]!;
      expect((await a.users.listUsers()).map((u) => u.id)).toEqual([winner.id]);
      const [stored] = await b.invitations.listInvitations();
      expect(stored).toMatchObject({ usedAt: T0, usedByUserId: winner.id });
    });

    it("a taken username rolls back: no user, and the invitation stays usable", async () => {
      const taken = newUser("carol");
      expect(await a.users.createUser(taken)).toBe(true);
      const record = invitation();
      await a.invitations.createInvitation(record);
      expect(await b.invitations.createInvitedUser({ ...newUser("Carol"), usernameKey: "carol" }, record.tokenHash, T0)).toBe("username-taken");
      expect(await a.invitations.findUsableInvitation(record.tokenHash, T0)).toEqual(record);
      expect(await b.invitations.createInvitedUser(newUser("erin"), record.tokenHash, T0)).toBe("created");
    });

    it("an invitation for one name creates no other user and is not used up by the attempt", async () => {
      const record = invitation({ username: "dave", usernameKey: "dave" });
      await a.invitations.createInvitation(record);
      expect(await b.invitations.createInvitedUser(newUser("mallory"), record.tokenHash, T0)).toBe("invitation-unusable");
      expect(await a.users.findUserByUsernameKey("mallory")).toBeNull();
      expect(await a.invitations.createInvitedUser(newUser("dave"), record.tokenHash, T0)).toBe("created");
    });

    it("expired and revoked invitations create nobody; only an open one can be revoked", async () => {
      const expired = invitation({ expiresAt: T0 });
      const open = invitation();
      await a.invitations.createInvitation(expired);
      await a.invitations.createInvitation(open);
      expect(await b.invitations.createInvitedUser(newUser(), expired.tokenHash, T0)).toBe("invitation-unusable");
      expect(await b.invitations.revokeInvitation(expired.id, T0)).toBe(false);
      expect(await b.invitations.revokeInvitation(open.id, T0)).toBe(true);
      expect(await a.invitations.revokeInvitation(open.id, T0)).toBe(false);
      expect(await a.invitations.findUsableInvitation(open.tokenHash, T0)).toBeNull();
      expect(await b.invitations.createInvitedUser(newUser(), open.tokenHash, T0)).toBe("invitation-unusable");
      expect(await a.users.listUsers()).toEqual([]);
      expect((await a.invitations.listInvitations()).find((i) => i.id === open.id)?.revokedAt).toBe(T0);
    });

    it("the sweep deletes invitations 30 days after they expire, not before", async () => {
      const old = invitation({ expiresAt: T0 - 31 * DAY });
      const recent = invitation({ expiresAt: T0 - 29 * DAY });
      await a.invitations.createInvitation(old);
      await a.invitations.createInvitation(recent);
      await b.sweep(T0, 30 * 60_000, 15 * 60_000);
      expect((await a.invitations.listInvitations()).map((i) => i.id)).toEqual([recent.id]);
    });
  });
}
