// SessionManager.resolveWithUser, the one-query per-request check: it must accept and refuse
// exactly the sessions the store's findSession does (R31-R36: malformed or unknown tokens, the
// 5-minute password-only session, 30 minutes idle, 12 hours absolute, ended and replaced
// sessions), slide the idle window with a write at most once a minute, and refuse a session
// whose user is gone, as findSession followed by findUserById does. Runs over a real (in-memory) SQLite store.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AccountHolder, SessionRecord } from "../../src/core/ports.js";
import { deriveKeys } from "../../src/core/keys.js";
import { createSealer } from "../../src/core/seal.js";
import { createSessionManager, DEFAULT_SESSION_TIMEOUTS, type SessionManager } from "../../src/core/sessions.js";
import { hashSessionToken } from "../../src/core/session-tokens.js";
import type { Store } from "../../src/store/kysely-store.js";
import { openSQLiteStore } from "../../src/store/sqlite.js";
import { throttlePolicy } from "../../src/services.js";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const { idleMs, absoluteMs, pendingMs } = DEFAULT_SESSION_TIMEOUTS;

let store: Store;
let clock: { ms: number; now(): number };
let sessions: SessionManager;
let touches: ReturnType<typeof vi.spyOn>;

beforeEach(async () => {
  store = await openSQLiteStore(":memory:", throttlePolicy(30));
  clock = { ms: T0, now: () => clock.ms };
  touches = vi.spyOn(store.sessions, "touchSession");
  const events = { record: async () => {} };
  sessions = createSessionManager({
    store: store.sessions,
    clock,
    random: (n) => new Uint8Array(randomBytes(n)),
    timeouts: DEFAULT_SESSION_TIMEOUTS,
    events,
    sealer: createSealer([deriveKeys(new Uint8Array(randomBytes(32))).sealingKey], (n) => new Uint8Array(randomBytes(n))),
  });
});
afterEach(() => store.close());

async function signedIn(level: "pending" | "full" = "full") {
  const user = { id: `user-${randomBytes(4).toString("hex")}`, username: "Alice", passwordHash: "$argon2id$stub", createdAt: T0, disabledAt: null };
  expect(await store.users.createUser({ ...user, usernameKey: user.id })).toBe(true);
  const { token, session } = await sessions.start(level, user.id, "/", null);
  return { user, token, session };
}

/**
 * Both checks at the current clock: the store's session, then its user, as the web layer did it
 * with two queries, and the joined one. The joined one may slide the window, so lastSeenAt is
 * left out of the comparison.
 */
async function both(token: string | undefined) {
  const session = token === undefined ? null : await store.sessions.findSession(hashSessionToken(token), clock.ms, idleMs);
  const user = session ? await store.users.findUserById(session.userId) : null;
  const joined = await sessions.resolveWithUser(token);
  // The joined query reads the holder's id and name (the name their account keeps).
  const comparable = (found: { session: SessionRecord; user: AccountHolder } | null) =>
    found && { session: { ...found.session, lastSeenAt: 0 }, user: { id: found.user.id, username: found.user.username } };
  return { twoQueries: comparable(session && user ? { session, user } : null), joined: comparable(joined) };
}

describe("SessionManager.resolveWithUser", () => {
  it("returns the session and its user for a live session", async () => {
    const { user, token, session } = await signedIn();
    expect(await sessions.resolveWithUser(token)).toEqual({ session, user: { id: user.id, username: user.username }, enrolled: false });
  });

  it("R31: returns null, without a store query, for a missing or malformed token", async () => {
    await signedIn();
    const find = vi.spyOn(store.sessions, "findSessionWithUser");
    for (const token of [undefined, "", "short", "x".repeat(43) + "=", "!".repeat(43)]) {
      expect(await sessions.resolveWithUser(token)).toBeNull();
    }
    expect(find).not.toHaveBeenCalled();
  });

  it("returns null for a well-formed token that names no session", async () => {
    await signedIn();
    expect(await sessions.resolveWithUser(Buffer.from(randomBytes(32)).toString("base64url"))).toBeNull();
  });

  it("R33: a password-only session ends after 5 minutes, whatever the activity", async () => {
    const { token } = await signedIn("pending");
    for (let ms = MINUTE; ms < pendingMs; ms += MINUTE) {
      clock.ms = T0 + ms;
      expect(await sessions.resolveWithUser(token)).not.toBeNull();
    }
    clock.ms = T0 + pendingMs;
    expect(await both(token)).toEqual({ twoQueries: null, joined: null });
  });

  it("R35: a full session ends after 30 minutes idle", async () => {
    const first = await signedIn();
    const second = await signedIn();
    clock.ms = T0 + idleMs - 1;
    expect(await sessions.resolveWithUser(first.token)).not.toBeNull();
    clock.ms = T0 + idleMs;
    expect(await both(second.token)).toEqual({ twoQueries: null, joined: null });
    // The first one was seen a millisecond before its limit: from then on, 30 more minutes.
    clock.ms = T0 + 2 * idleMs - 2;
    expect(await sessions.resolveWithUser(first.token)).not.toBeNull();
    clock.ms = T0 + 3 * idleMs;
    expect(await sessions.resolveWithUser(first.token)).toBeNull();
  });

  it("R35: activity slides the idle window, up to the 12-hour absolute limit", async () => {
    const { token } = await signedIn();
    for (clock.ms = T0; clock.ms < T0 + absoluteMs; clock.ms += 20 * MINUTE) {
      expect(await sessions.resolveWithUser(token), `at T0+${(clock.ms - T0) / MINUTE} min`).not.toBeNull();
    }
    clock.ms = T0 + absoluteMs;
    expect(await both(token)).toEqual({ twoQueries: null, joined: null });
  });

  it("R35: slides with a write at most once a minute", async () => {
    const { token, session } = await signedIn();
    for (const ms of [0, 10 * SECOND, 59 * SECOND]) {
      clock.ms = T0 + ms;
      await sessions.resolveWithUser(token);
    }
    expect(touches).not.toHaveBeenCalled();
    clock.ms = T0 + MINUTE;
    await sessions.resolveWithUser(token);
    expect(touches).toHaveBeenCalledTimes(1);
    expect(touches).toHaveBeenLastCalledWith(session.idHash, T0 + MINUTE);
    clock.ms = T0 + MINUTE + 30 * SECOND;
    expect((await sessions.resolveWithUser(token))?.session.lastSeenAt).toBe(T0 + MINUTE);
    expect(touches).toHaveBeenCalledTimes(1);
  });

  it("recheckWithUser finds the same session without sliding the idle window", async () => {
    const { token, session } = await signedIn();
    clock.ms = T0 + 20 * MINUTE;
    expect((await sessions.recheckWithUser(token))?.session.idHash).toBe(session.idHash);
    clock.ms = T0 + idleMs;
    expect(await sessions.recheckWithUser(token), "30 minutes after the last request, however often rechecked").toBeNull();
    expect(touches).not.toHaveBeenCalled();
    expect(await sessions.recheckWithUser(undefined)).toBeNull();
  });

  it("R36: returns null once the session is ended or replaced (R32)", async () => {
    const { token, session } = await signedIn("pending");
    const promoted = await sessions.reissue(session, "full");
    expect(await sessions.resolveWithUser(token)).toBeNull();
    expect((await sessions.resolveWithUser(promoted.token))?.session.level).toBe("full");
    await sessions.end(promoted.session, { clientAddress: "127.0.0.1", userAgent: null });
    expect(await sessions.resolveWithUser(promoted.token)).toBeNull();
  });

  it("returns null once the user is removed", async () => {
    const { user, token } = await signedIn();
    expect(await store.users.deleteUser(user.id)).toBe(true);
    expect(await both(token)).toEqual({ twoQueries: null, joined: null });
  });

  it("agrees with findSession followed by findUserById minute by minute over a session's life", async () => {
    const { token } = await signedIn();
    expect(await store.sessions.findSession(hashSessionToken(token), T0, idleMs)).not.toBeNull();
    // Visits every 25 minutes, then a gap longer than the idle timeout.
    for (const minutes of [0, 25, 50, 75, 100, 131, 140]) {
      clock.ms = T0 + minutes * MINUTE;
      const { twoQueries, joined } = await both(token);
      expect(joined, `at T0+${minutes} min`).toEqual(twoQueries);
    }
  });
});
