// One conformance suite for every Store adapter (style: Lucia `adapter-test`). It is handed two
// Store instances on the same database, as two gatehouse processes would hold, and checks the
// single-use and throttle guarantees across them: compare-and-set replay guard (R6), atomic
// recovery-code consumption (R20), one-winner enrollment activation (R7, R58), the account-scoped
// second-factor throttle (R10-R13, contract "Throttling") and the password-step windows (R16),
// and the session rules (R31-R35). The throttle tests live in test/limits/throttle-suite.ts,
// shared with the Redis throttles; enrollment in conformance-pending.ts; the other ports are
// checked in conformance-records.ts, as part of the same suite.
//
// "Concurrent" here means many calls started together and awaited with Promise.all, spread over
// both instances; the assertions hold for any interleaving the adapter allows.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SecondFactorThrottlePolicy, SessionRecord } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";
import { throttleConformance } from "../limits/throttle-suite.js";
import { eventsConformance } from "./conformance-events.js";
import { groupsConformance } from "./conformance-groups.js";
import { invitationsConformance } from "./conformance-invitations.js";
import { pendingEnrollmentConformance } from "./conformance-pending.js";
import { recordsConformance } from "./conformance-records.js";
import { sessionWithUserConformance } from "./conformance-session-user.js";
import { enrollUser, MINUTE, newUser, session, T0 } from "./fixtures.js";

export interface OpenedStores {
  /** Two independent instances (connections/pools) over one database. */
  stores: [Store, Store];
  /** One more instance over the same database with another throttle policy; cleanup closes it. */
  openWithPolicy(policy: SecondFactorThrottlePolicy): Promise<Store>;
  cleanup(): Promise<void>;
}

/**
 * The policy the suite expects the opened stores to use: the contract's numbers (lock after 5,
 * first lock 30 s, doubling, capped at one day, hard lock at 100), i.e. `throttlePolicy(30)`.
 */
export const CONFORMANCE_POLICY = { freeAttempts: 5, firstLockSeconds: 30, maxLockSeconds: 86_400, hardLockFailures: 100 };

/** Starts `count` calls at once, alternating between the two instances. */
function together<T>(stores: [Store, Store], count: number, call: (store: Store, index: number) => Promise<T>) {
  return Promise.all(Array.from({ length: count }, (_, index) => call(stores[index % 2]!, index)));
}

const trues = (results: boolean[]) => results.filter((r) => r).length;

export function storeConformanceSuite(name: string, open: () => Promise<OpenedStores>): void {
  describe(`store conformance: ${name}`, () => {
    let opened: OpenedStores | undefined;
    let a: Store;
    let b: Store;

    beforeEach(async () => {
      opened = await open();
      [a, b] = opened.stores;
    });
    afterEach(async () => {
      // Cleared first: when the next open() fails, this test's stores must not be cleaned twice.
      const current = opened;
      opened = undefined;
      await current?.cleanup();
    });

    /** A user with an active factor whose last used step is `step`, and `codes` recovery codes. */
    async function enrolledUser(step = 1000, codes = 3) {
      return enrollUser(a, step, codes);
    }

    describe("users", () => {
      it("creates a user that the other instance finds by key and by id", async () => {
        const user = newUser("Alice");
        expect(await a.users.createUser(user)).toBe(true);
        expect(await b.users.findUserByUsernameKey("alice")).toEqual({
          id: user.id,
          username: "Alice",
          passwordHash: user.passwordHash,
          createdAt: T0,
          disabledAt: null,
        });
        expect((await b.users.findUserById(user.id))?.username).toBe("Alice");
        expect(await b.users.findUserByUsernameKey("bob")).toBeNull();
      });

      it("refuses a second user with a taken username key and keeps the first one unchanged", async () => {
        const first = newUser("carol");
        expect(await a.users.createUser(first)).toBe(true);
        const second = { ...newUser("carol"), passwordHash: "$argon2id$other" };
        expect(await b.users.createUser(second)).toBe(false);
        expect(await a.users.findUserByUsernameKey("carol")).toMatchObject({ id: first.id, passwordHash: first.passwordHash });
        expect(await a.users.findUserById(second.id)).toBeNull();
      });

      it("lets exactly one of 20 concurrent sign-ups of one username key win", async () => {
        const attempts = Array.from({ length: 20 }, () => newUser("dave"));
        const results = await together([a, b], 20, (store, i) => store.users.createUser(attempts[i]!));
        expect(trues(results)).toBe(1);
        const winner = attempts[results.indexOf(true)]!;
        expect((await b.users.findUserByUsernameKey("dave"))?.id).toBe(winner.id);
      });

      it("disables a user once (the first time stays) and enables them again, visibly to the other instance", async () => {
        const user = newUser();
        await a.users.createUser(user);
        expect(await a.users.setDisabled(user.id, T0 + 1)).toBe(true);
        expect(await b.users.setDisabled(user.id, T0 + 2)).toBe(false);
        expect((await b.users.findUserById(user.id))?.disabledAt).toBe(T0 + 1);
        expect((await b.users.findUserByUsernameKey(user.usernameKey))?.disabledAt).toBe(T0 + 1);
        expect(await b.users.setDisabled(user.id, null)).toBe(true);
        expect(await a.users.setDisabled(user.id, null)).toBe(false);
        expect((await a.users.listUsers()).find((u) => u.id === user.id)?.disabledAt).toBeNull();
        expect(await a.users.setDisabled("no-such-user", T0)).toBe(false);
      });

      it("updates a password hash visibly to the other instance", async () => {
        const user = newUser();
        await a.users.createUser(user);
        await a.users.updatePasswordHash(user.id, "$argon2id$new");
        expect((await b.users.findUserById(user.id))?.passwordHash).toBe("$argon2id$new");
      });

      it("upgrades a password hash only while it is still the one read: a password set meanwhile stays", async () => {
        const user = newUser();
        await a.users.createUser(user);
        // An administrator sets a new password while a sign-in with the old one is being checked.
        expect(await b.users.updatePasswordHash(user.id, "$argon2id$set-by-admin")).toBe(true);
        expect(await a.users.updatePasswordHash(user.id, "$argon2id$upgraded-old", user.passwordHash)).toBe(false);
        expect((await a.users.findUserById(user.id))?.passwordHash).toBe("$argon2id$set-by-admin");
        expect(await a.users.updatePasswordHash(user.id, "$argon2id$upgraded", "$argon2id$set-by-admin")).toBe(true);
        expect((await b.users.findUserById(user.id))?.passwordHash).toBe("$argon2id$upgraded");
      });
    });

    describe("TOTP factor and replay guard (R6, R7)", () => {
      it("R7: activation seeds last_used_step with the confirming code's step", async () => {
        const { user } = await enrolledUser(4242);
        expect(await b.totp.findFactor(user.id)).toMatchObject({ userId: user.id, sealedSecret: "sealed", lastUsedStep: 4242 });
      });

      it("R6: consumeStep accepts a newer step once and refuses the same step on either instance", async () => {
        const { user } = await enrolledUser(1000);
        expect(await a.totp.consumeStep(user.id, 1001)).toBe(true);
        expect(await a.totp.consumeStep(user.id, 1001)).toBe(false);
        expect(await b.totp.consumeStep(user.id, 1001)).toBe(false);
        expect((await b.totp.findFactor(user.id))?.lastUsedStep).toBe(1001);
      });

      it("R6: after a later step was used, the earlier steps still inside the window are refused", async () => {
        const { user } = await enrolledUser(1000);
        expect(await b.totp.consumeStep(user.id, 1003)).toBe(true);
        expect(await a.totp.consumeStep(user.id, 1002)).toBe(false);
        expect(await a.totp.consumeStep(user.id, 1001)).toBe(false);
        expect(await a.totp.consumeStep(user.id, 1000)).toBe(false);
        expect(await a.totp.consumeStep(user.id, 999)).toBe(false);
        expect((await a.totp.findFactor(user.id))?.lastUsedStep).toBe(1003);
        expect(await a.totp.consumeStep(user.id, 1004)).toBe(true);
      });

      it("R6: the enrollment-confirming step itself is refused as a sign-in step (R7)", async () => {
        const { user } = await enrolledUser(1000);
        expect(await a.totp.consumeStep(user.id, 1000)).toBe(false);
        expect((await a.totp.findFactor(user.id))?.lastUsedStep).toBe(1000);
      });

      it("R6: alternating replay T+1, T, T+1 yields only the first success", async () => {
        const { user } = await enrolledUser(1000);
        expect(await a.totp.consumeStep(user.id, 1002)).toBe(true);
        expect(await b.totp.consumeStep(user.id, 1001)).toBe(false);
        expect(await a.totp.consumeStep(user.id, 1002)).toBe(false);
      });

      it("R6: refuses a step for a user who has no factor, and creates none", async () => {
        const user = newUser();
        await a.users.createUser(user);
        expect(await a.totp.consumeStep(user.id, 5)).toBe(false);
        expect(await b.totp.findFactor(user.id)).toBeNull();
      });

      it("R6, R58: 20 concurrent consumeStep calls of one step across both instances yield exactly one true", async () => {
        const { user } = await enrolledUser(1000);
        const results = await together([a, b], 20, (store) => store.totp.consumeStep(user.id, 1001));
        expect(trues(results)).toBe(1);
        expect((await a.totp.findFactor(user.id))?.lastUsedStep).toBe(1001);
      });

      it("R6: concurrent consumeStep calls of steps 1001..1020 end at 1020, with at most one true per step", async () => {
        const { user } = await enrolledUser(1000);
        // 7 is coprime to 20: every step from 1001 to 1020 once, in a scrambled order.
        const steps = Array.from({ length: 20 }, (_, i) => 1001 + ((i * 7) % 20));
        const results = await together([a, b], 20, (store, i) => store.totp.consumeStep(user.id, steps[i]!));
        // Nothing can refuse the highest step, and nothing may move the guard backwards.
        expect(results[steps.indexOf(1020)]).toBe(true);
        expect((await b.totp.findFactor(user.id))?.lastUsedStep).toBe(1020);
        expect(await a.totp.consumeStep(user.id, 1020)).toBe(false);
      });
    });

    describe("recovery codes (R20)", () => {
      it("R20: a code is consumed once; the other instance sees it used", async () => {
        const { user } = await enrolledUser(1, 3);
        const [first] = await a.recoveryCodes.listUnused(user.id);
        expect(await a.recoveryCodes.consume(first!.id, T0)).toBe(true);
        expect(await b.recoveryCodes.consume(first!.id, T0 + 1)).toBe(false);
        const left = await b.recoveryCodes.listUnused(user.id);
        expect(left).toHaveLength(2);
        expect(left.map((r) => r.id)).not.toContain(first!.id);
      });

      it("R20: 20 concurrent uses of one code across both instances yield exactly one true", async () => {
        const { user } = await enrolledUser(1, 3);
        const [code] = await a.recoveryCodes.listUnused(user.id);
        const results = await together([a, b], 20, (store) => store.recoveryCodes.consume(code!.id, T0));
        expect(trues(results)).toBe(1);
        expect(await b.recoveryCodes.listUnused(user.id)).toHaveLength(2);
      });

      it("refuses an unknown code id", async () => {
        expect(await a.recoveryCodes.consume(randomUUID(), T0)).toBe(false);
      });
    });

    throttleConformance(() => ({
      instances: [a, b],
      async newAccount() {
        const user = newUser();
        await a.users.createUser(user);
        return user.id;
      },
      secondFactorThrottleWith: async (policy) => (await opened!.openWithPolicy(policy)).secondFactorThrottle,
    }));

    describe("a host app's users (gatehouse as a library)", () => {
      const holder = { id: "host-user-42", username: "ada@example.com" };

      it("ensureAccount gives a user id that is no app user an account their second factor and sessions hang on", async () => {
        await Promise.all([a.accounts.ensureAccount(holder, T0), b.accounts.ensureAccount(holder, T0)]);
        const record = session(holder.id, { level: "full" });
        await b.sessions.createSession(record);
        expect(await a.sessions.findSessionWithUser(record.idHash, T0, 30 * MINUTE)).toEqual({ session: record, user: holder, enrolled: false });
        expect(await a.users.findUserById(holder.id)).toBeNull();
      });

      it("ensureAccount keeps the account (and its factor version) and takes the holder's new name", async () => {
        await a.accounts.ensureAccount(holder, T0);
        await a.users.forgetAllDevices(holder.id);
        await b.accounts.ensureAccount({ ...holder, username: "ada@example.org" }, T0 + 1);
        const record = session(holder.id);
        await a.sessions.createSession(record);
        expect((await b.sessions.findSessionWithUser(record.idHash, T0, 30 * MINUTE))?.user).toEqual({ ...holder, username: "ada@example.org" });
        const device = { id: "host-device", tokenHash: "d".repeat(64), userId: holder.id, label: "Firefox", createdAt: T0, expiresAt: T0 + 60 * MINUTE };
        await a.devices.rememberDevice(device);
        expect(await b.devices.isRemembered(holder.id, [device.tokenHash], T0)).toBe(true);
      });
    });

    describe("sessions (R31-R36)", () => {
      const IDLE = 30 * MINUTE;

      async function userWithSession(overrides: Partial<SessionRecord> = {}) {
        const user = newUser();
        await a.users.createUser(user);
        const record = session(user.id, overrides);
        await a.sessions.createSession(record);
        return { user, record };
      }

      it("a created session is found by its hash on the other instance", async () => {
        const { record } = await userWithSession({ level: "full", nextPath: "/account", flash: "sealed-flash" });
        expect(await b.sessions.findSession(record.idHash, T0, IDLE)).toEqual(record);
        expect(await b.sessions.findSession("0".repeat(64), T0, IDLE)).toBeNull();
      });

      it("R35: findSession honours the absolute expiry", async () => {
        const { record } = await userWithSession({ expiresAt: T0 + 10 * MINUTE });
        expect(await a.sessions.findSession(record.idHash, T0 + 10 * MINUTE - 1, 20 * MINUTE)).not.toBeNull();
        expect(await b.sessions.findSession(record.idHash, T0 + 10 * MINUTE, 20 * MINUTE)).toBeNull();
      });

      it("R35: findSession honours the idle timeout, and touchSession slides it", async () => {
        const { record } = await userWithSession();
        expect(await a.sessions.findSession(record.idHash, T0 + IDLE - 1, IDLE)).not.toBeNull();
        expect(await a.sessions.findSession(record.idHash, T0 + IDLE, IDLE)).toBeNull();
        await b.sessions.touchSession(record.idHash, T0 + IDLE - 1);
        expect(await a.sessions.findSession(record.idHash, T0 + 2 * IDLE - 2, IDLE)).toMatchObject({ lastSeenAt: T0 + IDLE - 1 });
        expect(await a.sessions.findSession(record.idHash, T0 + 2 * IDLE - 1, IDLE)).toBeNull();
      });

      it("R36: a deleted session is gone on the other instance", async () => {
        const { record } = await userWithSession();
        await a.sessions.deleteSession(record.idHash);
        expect(await b.sessions.findSession(record.idHash, T0, IDLE)).toBeNull();
      });

      it("R32: replaceSession deletes the old session and creates its successor", async () => {
        const { user, record } = await userWithSession();
        const next = session(user.id, { level: "full" });
        expect(await b.sessions.replaceSession(record.idHash, next)).toBe(true);
        expect(await a.sessions.findSession(record.idHash, T0, IDLE)).toBeNull();
        expect(await a.sessions.findSession(next.idHash, T0, IDLE)).toEqual(next);
      });

      it("R32: replaceSession returns false and creates nothing when the old session is gone", async () => {
        const { user, record } = await userWithSession();
        await a.sessions.deleteSession(record.idHash);
        const next = session(user.id, { level: "full" });
        expect(await b.sessions.replaceSession(record.idHash, next)).toBe(false);
        expect(await a.sessions.findSession(next.idHash, T0, IDLE)).toBeNull();
      });

      it("R32, R58: two concurrent replacements of one session yield exactly one successor", async () => {
        const { user, record } = await userWithSession();
        const successors = [session(user.id, { level: "full" }), session(user.id, { level: "full" })];
        const results = await Promise.all([
          a.sessions.replaceSession(record.idHash, successors[0]!),
          b.sessions.replaceSession(record.idHash, successors[1]!),
        ]);
        expect(trues(results)).toBe(1);
        const found = await Promise.all(successors.map((s) => a.sessions.findSession(s.idHash, T0, IDLE)));
        expect(found.filter((s) => s !== null)).toHaveLength(1);
        expect(found[results.indexOf(true)]).not.toBeNull();
      });

      it("takeFlash returns the flash once and clears it", async () => {
        const { record } = await userWithSession({ flash: "sealed-codes" });
        expect(await a.sessions.takeFlash(record.idHash)).toBe("sealed-codes");
        expect(await b.sessions.takeFlash(record.idHash)).toBeNull();
        expect((await b.sessions.findSession(record.idHash, T0, IDLE))?.flash).toBeNull();
      });

      it("takeFlash returns null for a session without a flash and for an unknown session", async () => {
        const { record } = await userWithSession();
        expect(await a.sessions.takeFlash(record.idHash)).toBeNull();
        expect(await a.sessions.takeFlash("f".repeat(64))).toBeNull();
      });

      it("takeFlash returns the flash to exactly one of 10 concurrent callers", async () => {
        const { record } = await userWithSession({ flash: "sealed-codes" });
        const results = await together([a, b], 10, (store) => store.sessions.takeFlash(record.idHash));
        expect(results.filter((r) => r !== null)).toEqual(["sealed-codes"]);
      });

      it("deleteExpiredSessions removes expired and idle sessions and keeps live ones", async () => {
        const { record: live } = await userWithSession({ lastSeenAt: T0 + 20 * MINUTE });
        const { record: expired } = await userWithSession({ lastSeenAt: T0 + 20 * MINUTE, expiresAt: T0 + 25 * MINUTE });
        const { record: idle } = await userWithSession({ lastSeenAt: T0 - 5 * MINUTE });
        expect(await b.sessions.deleteExpiredSessions(T0 + 25 * MINUTE, IDLE)).toBe(2);
        expect(await a.sessions.findSession(live.idHash, T0 + 25 * MINUTE, IDLE)).not.toBeNull();
        for (const gone of [expired, idle]) expect(await a.sessions.findSession(gone.idHash, T0, IDLE)).toBeNull();
      });
    });

    recordsConformance(() => [a, b]);
    pendingEnrollmentConformance(() => [a, b]);
    invitationsConformance(() => [a, b]);
    sessionWithUserConformance(() => [a, b]);
    groupsConformance(() => [a, b]);
    eventsConformance(() => [a, b]);

    it("the health check answers on both instances", async () => {
      await expect(a.health.ping()).resolves.toBeUndefined();
      await expect(b.health.ping()).resolves.toBeUndefined();
    });
  });
}
