// The core's store and throttle ports in memory: the reference adapter (style: Fastify's memory
// store beside its Redis one). It passes the same conformance suite as the SQL store
// (test/store/memory.test.ts), so the core's use cases can be tested against it without a
// database (test/core/*), and it shows a library user, one small module per aggregate, what
// each port promises. Every call is atomic (tables.ts says why); nothing is ever persisted.
import type { SecondFactorThrottlePolicy } from "../../../src/core/ports.js";
import { DEFAULT_EVENTS_KEPT_MS, type Store } from "../../../src/store/kysely-store.js";
import { createRememberedDeviceStore } from "./devices.js";
import { createEventStore } from "./events.js";
import { createInvitationStore } from "./invitations.js";
import { createSessionStore } from "./sessions.js";
import { createMemoryTables, deleteWhere, type MemoryTables } from "./tables.js";
import { createLoginThrottle, createSecondFactorThrottle } from "./throttles.js";
import { createRecoveryCodeStore, createTOTPStore } from "./totp.js";
import { createGroupStore, createUserStore } from "./users.js";

export { createMemoryTables, type MemoryTables } from "./tables.js";

/** How long after its expiry an invitation is still listed (as src/store/kysely-store.ts keeps it). */
const INVITATION_KEPT_MS = 30 * 86_400_000;

/**
 * A Store over `tables`: a new, empty one unless given. Two stores over one `tables` behave as
 * two gatehouse processes on one database (each may have its own throttle policy).
 */
export function createMemoryStore(policy: SecondFactorThrottlePolicy, tables: MemoryTables = createMemoryTables()): Store {
  const sessions = createSessionStore(tables);
  return {
    accounts: {
      // An upsert: the account (and its factor version) stays; its name follows the holder's.
      async ensureAccount(holder, now) {
        const account = tables.accounts.get(holder.id);
        if (account) account.name = holder.username;
        else tables.accounts.set(holder.id, { name: holder.username, factorVersion: 0, createdAt: now });
      },
    },
    users: createUserStore(tables),
    totp: createTOTPStore(tables),
    recoveryCodes: createRecoveryCodeStore(tables),
    sessions,
    devices: createRememberedDeviceStore(tables),
    events: createEventStore(tables),
    invitations: createInvitationStore(tables),
    groups: createGroupStore(tables),
    secondFactorThrottle: createSecondFactorThrottle(tables, policy),
    loginThrottle: createLoginThrottle(tables),
    health: { ping: async () => {} },
    // Every write is done when its call returns.
    durability: { watch: () => async () => {} },
    async sweep(now, idleTimeoutMs, loginWindowMs, eventsKeptMs = DEFAULT_EVENTS_KEPT_MS) {
      await sessions.deleteExpiredSessions(now, idleTimeoutMs);
      deleteWhere(tables.pendingEnrollments, (pending) => pending.expiresAt <= now);
      deleteWhere(tables.devices, (device) => device.expiresAt <= now);
      deleteWhere(tables.loginFailures, (failure) => failure.at <= now - loginWindowMs);
      deleteWhere(tables.invitations, (invitation) => invitation.expiresAt <= now - INVITATION_KEPT_MS);
      deleteWhere(tables.events, (event) => event.at <= now - eventsKeptMs);
    },
    // Nothing to release: the tables go when the last store over them does.
    close: async () => {},
  };
}
