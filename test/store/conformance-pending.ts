// Part of the store conformance suite: pending enrollments and their activation (R7, R24, R58).
// A pending key belongs to the session that was shown it (F1): one row per session, found only
// by that session, replaced only by it, and the first activation discards every other one.
import { beforeEach, describe, expect, it } from "vitest";
import type { ActivateFactorInput, PendingEnrollmentRecord } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";
import { createdUser, enrollUser, MINUTE, pendingKey, sessionIdHash, T0 } from "./fixtures.js";

export function pendingEnrollmentConformance(stores: () => [Store, Store]): void {
  describe("enrollment (R7, R24, R58, F1)", () => {
    let a: Store;
    let b: Store;

    beforeEach(() => {
      [a, b] = stores();
    });


    /** The activation of `key` as its session would ask for it. */
    function activation(key: PendingEnrollmentRecord, usedStep = 77, recoveryCodeHashes = ["h1", "h2"]): ActivateFactorInput {
      return {
        userId: key.userId,
        sessionIdHash: key.sessionIdHash,
        replace: key.kind === "replace",
        sealedSecret: key.sealedSecret,
        usedStep,
        recoveryCodeHashes,
        now: T0,
      };
    }

    const codesOf = async (store: Store, userId: string) =>
      (await store.recoveryCodes.listUnused(userId)).map((r) => r.codeHash).sort();

    it("R24: a session's key is found until it expires, and a new one replaces only that session's", async () => {
      const user = await createdUser(a);
      const first = pendingKey(user.id, "first");
      const other = pendingKey(user.id, "other");
      await a.totp.savePendingEnrollment(first);
      await a.totp.savePendingEnrollment(other);
      expect(await b.totp.findPendingEnrollment(user.id, first.sessionIdHash, T0)).toEqual(first);
      expect(await b.totp.findPendingEnrollment(user.id, first.sessionIdHash, T0 + 15 * MINUTE)).toBeNull();
      const newer = { ...first, sealedSecret: "second", expiresAt: T0 + 30 * MINUTE };
      await b.totp.savePendingEnrollment(newer);
      expect(await a.totp.findPendingEnrollment(user.id, first.sessionIdHash, T0)).toEqual(newer);
      expect(await a.totp.findPendingEnrollment(user.id, other.sessionIdHash, T0)).toEqual(other);
    });

    it("F1: every session has its own key; no session, and no other user, finds another's", async () => {
      const user = await createdUser(a);
      const stranger = await createdUser(a);
      const victims = pendingKey(user.id, "victim's");
      const attackers = pendingKey(user.id, "attacker's", { expiresAt: T0 + 10 * MINUTE });
      for (const key of [victims, attackers]) await a.totp.savePendingEnrollment(key);
      expect(await b.totp.findPendingEnrollment(user.id, victims.sessionIdHash, T0)).toEqual(victims);
      expect(await b.totp.findPendingEnrollment(user.id, attackers.sessionIdHash, T0)).toEqual(attackers);
      expect(await b.totp.findPendingEnrollment(user.id, sessionIdHash(), T0)).toBeNull();
      expect(await b.totp.findPendingEnrollment(stranger.id, victims.sessionIdHash, T0)).toBeNull();
      // Every live key of the user, soonest expiry first; expired ones are not listed.
      expect(await b.totp.listPendingEnrollments(user.id, T0)).toEqual([attackers, victims]);
      expect(await b.totp.listPendingEnrollments(user.id, T0 + 10 * MINUTE)).toEqual([victims]);
      expect(await b.totp.listPendingEnrollments(stranger.id, T0)).toEqual([]);
    });

    it("activation stores exactly the given codes and discards every pending key of the user, no other user's", async () => {
      const user = await createdUser(a);
      const stranger = await createdUser(a);
      const winner = pendingKey(user.id, "winner");
      const loser = pendingKey(user.id, "loser");
      const strangers = pendingKey(stranger.id, "stranger's");
      for (const key of [winner, loser, strangers]) await a.totp.savePendingEnrollment(key);
      expect(await b.totp.activateFactor(activation(winner))).toBe(true);
      expect(await a.totp.findFactor(user.id)).toMatchObject({ sealedSecret: "winner", lastUsedStep: 77 });
      expect(await codesOf(a, user.id)).toEqual(["h1", "h2"]);
      expect(await a.totp.listPendingEnrollments(user.id, T0)).toEqual([]);
      expect(await a.totp.listPendingEnrollments(stranger.id, T0)).toEqual([strangers]);
    });

    it("F1: a key is activated only by its own session, of its own kind", async () => {
      const user = await createdUser(a);
      const key = pendingKey(user.id, "shown");
      await a.totp.savePendingEnrollment(key);
      expect(await b.totp.activateFactor({ ...activation(key), sessionIdHash: sessionIdHash() })).toBe(false);
      expect(await b.totp.activateFactor({ ...activation(key), userId: (await createdUser(a)).id })).toBe(false);
      expect(await a.totp.findFactor(user.id)).toBeNull();
      expect(await a.totp.findPendingEnrollment(user.id, key.sessionIdHash, T0)).toEqual(key);

      const { user: enrolled, hashes } = await enrollUser(a, 500);
      const first = pendingKey(enrolled.id, "first-kind");
      await a.totp.savePendingEnrollment(first);
      // A first-enrollment key cannot swap the active factor (only a new-phone key may).
      expect(await b.totp.activateFactor({ ...activation(first), replace: true })).toBe(false);
      expect(await a.totp.findFactor(enrolled.id)).toMatchObject({ sealedSecret: "sealed", lastUsedStep: 500 });
      expect(await codesOf(a, enrolled.id)).toEqual([...hashes].sort());
    });

    it("F1: after one session's new phone is activated, another session's new-phone key activates nothing", async () => {
      const { user } = await enrollUser(a, 500);
      const first = pendingKey(user.id, "first phone", { kind: "replace" });
      const second = pendingKey(user.id, "second phone", { kind: "replace" });
      for (const key of [first, second]) await a.totp.savePendingEnrollment(key);
      expect(await b.totp.activateFactor(activation(first, 600, ["first-code"]))).toBe(true);
      expect(await a.totp.activateFactor(activation(second, 700, ["second-code"]))).toBe(false);
      expect(await b.totp.findFactor(user.id)).toMatchObject({ sealedSecret: "first phone", lastUsedStep: 600 });
      expect(await codesOf(b, user.id)).toEqual(["first-code"]);
    });

    it("a second activation for an enrolled user returns false and changes neither the factor nor the codes", async () => {
      const { user, hashes } = await enrollUser(a, 500);
      const key = pendingKey(user.id, "attacker");
      await b.totp.savePendingEnrollment(key);
      expect(await b.totp.activateFactor(activation(key, 900, ["attacker-code"]))).toBe(false);
      expect(await a.totp.findFactor(user.id)).toMatchObject({ sealedSecret: "sealed", lastUsedStep: 500 });
      expect(await codesOf(a, user.id)).toEqual([...hashes].sort());
    });

    it("R58: concurrent activations of one key, or of two sessions' keys, yield exactly one true", async () => {
      for (const sameKey of [true, false]) {
        const user = await createdUser(a);
        const keys = [pendingKey(user.id, "key-0"), pendingKey(user.id, "key-1")];
        for (const key of sameKey ? keys.slice(0, 1) : keys) await a.totp.savePendingEnrollment(key);
        const inputs = [0, 1].map((i) => activation(keys[sameKey ? 0 : i]!, 2000 + i, [`code-${i}-a`, `code-${i}-b`]));
        const results = await Promise.all([a.totp.activateFactor(inputs[0]!), b.totp.activateFactor(inputs[1]!)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = inputs[results.indexOf(true)]!;
        expect(await a.totp.findFactor(user.id)).toMatchObject({ sealedSecret: winner.sealedSecret, lastUsedStep: winner.usedStep });
        expect(await codesOf(b, user.id)).toEqual(winner.recoveryCodeHashes);
        expect(await a.totp.listPendingEnrollments(user.id, T0)).toEqual([]);
      }
    });

    it("resealSecret of a pending key changes only that session's row", async () => {
      const user = await createdUser(a);
      // The same sealed value in two rows: only the session names the row.
      const mine = pendingKey(user.id, "same");
      const theirs = pendingKey(user.id, "same");
      for (const key of [mine, theirs]) await a.totp.savePendingEnrollment(key);
      const record = { userId: user.id, kind: "pending" as const, sessionIdHash: mine.sessionIdHash, sealedSecret: "same" };
      expect(await b.totp.resealSecret(record, "resealed")).toBe(true);
      expect(await a.totp.resealSecret(record, "stale")).toBe(false);
      expect((await a.totp.findPendingEnrollment(user.id, mine.sessionIdHash, T0))?.sealedSecret).toBe("resealed");
      expect((await a.totp.findPendingEnrollment(user.id, theirs.sessionIdHash, T0))?.sealedSecret).toBe("same");
    });
  });
}
