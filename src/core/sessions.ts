// Server-side sessions (R31-R36): tokens live only in the cookie, their hashes only in the store,
// and every privilege change issues a new token and deletes the old one.
import { ErrorCode, GatehouseError } from "./errors.js";
import { openFlash, sealFlash, type Flash } from "./flash.js";
import type {
  Clock,
  EventOrigin,
  RandomSource,
  SecurityEventSink,
  SessionLevel,
  SessionRecord,
  SessionStore,
  SessionWithUser,
} from "./ports.js";
import type { Sealer } from "./seal.js";
import { createSessionToken, hashSessionToken, isWellFormedToken } from "./session-tokens.js";

export interface SessionTimeouts {
  /** R35: idle timeout of a full session. */
  idleMs: number;
  /** R35: absolute lifetime of a full session. */
  absoluteMs: number;
  /** R33: lifetime of a password-only session. */
  pendingMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 60 * 60_000,
  pendingMs: 5 * 60_000,
};

/** Sliding the idle window costs a write; once a minute is precise enough for a 30-minute limit. */
const TOUCH_INTERVAL_MS = 60_000;

export interface IssuedSession {
  token: string;
  session: SessionRecord;
}

export interface SessionManager {
  /**
   * The live session behind a cookie token and its user, in one store query (the per-request
   * check); slides the idle window. Null for a malformed or unknown token, an expired or idle
   * session, or a user that is gone.
   */
  resolveWithUser(token: string | undefined): Promise<SessionWithUser | null>;
  /**
   * The same check without sliding the idle window: asking again on the visitor's behalf is not
   * their activity (an open WebSocket re-checking its session must not keep it alive).
   */
  recheckWithUser(token: string | undefined): Promise<SessionWithUser | null>;
  /** A new session after the password step: pending, or full for a remembered browser. */
  start(level: SessionLevel, userId: string, nextPath: string, previous: SessionRecord | null): Promise<IssuedSession>;
  /**
   * R32: a new token for a privilege change (pending → full) or a re-authentication (full →
   * full), replacing the old one; `flash` rides along, sealed, to the next page.
   */
  reissue(session: SessionRecord, level: SessionLevel, flash?: Flash): Promise<IssuedSession>;
  end(session: SessionRecord, origin: EventOrigin): Promise<void>;
  /** The flash the session carries, opened, without taking it (read with the session). */
  peekFlash(session: SessionRecord): Flash;
  /** The flash, once: only the one caller whose read cleared it gets it ({} for everyone else). */
  takeFlash(session: SessionRecord): Promise<Flash>;
  /** The user's live sessions, most recently used first. */
  list(userId: string): Promise<SessionRecord[]>;
  /** R37: "sign out everywhere else". Returns how many sessions ended. */
  endOthers(session: SessionRecord, origin: EventOrigin): Promise<number>;
}

export function createSessionManager(deps: {
  store: SessionStore;
  clock: Clock;
  random: RandomSource;
  timeouts: SessionTimeouts;
  events: SecurityEventSink;
  /** Seals the flash (R19: recovery codes are never stored in clear). */
  sealer: Sealer;
}): SessionManager {
  const { store, clock, random, timeouts, events, sealer } = deps;

  function issue(userId: string, level: SessionRecord["level"], nextPath: string, flash: string | null): IssuedSession {
    const token = createSessionToken(random);
    const now = clock.now();
    const lifetime = level === "pending" ? timeouts.pendingMs : timeouts.absoluteMs;
    return {
      token,
      session: {
        idHash: hashSessionToken(token),
        userId,
        level,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + lifetime,
        nextPath,
        flash,
      },
    };
  }

  async function findWithUser(token: string | undefined, now: number): Promise<SessionWithUser | null> {
    if (token === undefined || !isWellFormedToken(token)) return null;
    return store.findSessionWithUser(hashSessionToken(token), now, timeouts.idleMs);
  }

  return {
    async resolveWithUser(token) {
      const now = clock.now();
      const found = await findWithUser(token, now);
      // R35: the idle window slides, with a write at most once per TOUCH_INTERVAL_MS.
      if (found && now - found.session.lastSeenAt >= TOUCH_INTERVAL_MS) await store.touchSession(found.session.idHash, now);
      return found;
    },
    recheckWithUser: (token) => findWithUser(token, clock.now()),

    async start(level, userId, nextPath, previous) {
      const issued = issue(userId, level, nextPath, null);
      // A previous session (say, a half-finished sign-in) is replaced; if it is already gone,
      // the password step still stands on its own.
      if (!previous || !(await store.replaceSession(previous.idHash, issued.session))) {
        await store.createSession(issued.session);
      }
      return issued;
    },

    async reissue(session, level, flash) {
      const sealed = flash ? sealFlash(sealer, session.userId, flash) : null;
      const issued = issue(session.userId, level, session.nextPath, sealed);
      if (!(await store.replaceSession(session.idHash, issued.session))) {
        // Ended, or already promoted by a concurrent request: one challenge, one session.
        throw new GatehouseError(ErrorCode.SESSION_EXPIRED, "Your sign-in has expired. Sign in again.");
      }
      return issued;
    },

    async end(session, origin) {
      await store.deleteSession(session.idHash);
      await events.record({ type: "signed-out", origin, userId: session.userId });
    },
    peekFlash: (session) => openFlash(sealer, session.userId, session.flash),
    takeFlash: async (session) => openFlash(sealer, session.userId, await store.takeFlash(session.idHash)),

    list: (userId) => store.listUserSessions(userId, clock.now(), timeouts.idleMs),

    async endOthers(session, origin) {
      const ended = await store.deleteUserSessions(session.userId, session.idHash);
      if (ended > 0) await events.record({ type: "sessions-ended", origin, userId: session.userId, detail: { count: ended } });
      return ended;
    },
  };
}
