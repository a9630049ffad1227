// "Remember this browser" (R46-R48): a 256-bit token in its own cookie, stored as SHA-256 with
// its user and the user's factor version. It skips only the second factor, only for that user.
import { createSessionToken, hashSessionToken, isWellFormedToken } from "./session-tokens.js";
import type {
  Clock,
  EventOrigin,
  RandomSource,
  RememberedDeviceRecord,
  RememberedDeviceStore,
  SecurityEventSink,
  UserStore,
} from "./ports.js";

/** Contract: 30 days at most (configurable lower). */
export const MAX_REMEMBER_DEVICE_MS = 30 * 24 * 60 * 60_000;
/** A browser shared by a few people keeps one token each; more than this is not a real browser. */
export const MAX_REMEMBERED_PER_BROWSER = 5;
const MAX_LABEL_LENGTH = 120;

/** The browsers a user chose to remember, and the tokens that let them skip the second factor. */
export interface RememberedDevices {
  /** How long a remembered browser lasts, from when it was remembered. */
  readonly lifetimeMs: number;
  /**
   * Remembers the browser for `userId` under `label`, the name it is listed by (cut to 120
   * characters). Returns the token for its cookie, once: only its SHA-256 is stored.
   */
  remember(userId: string, label: string, origin: EventOrigin): Promise<string>;
  /**
   * R48: trust comes from the token alone, never from the address. `tokens` are the values of
   * the browser's remembered-browser cookie; the first MAX_REMEMBERED_PER_BROWSER well-formed
   * ones count.
   */
  isRemembered(userId: string, tokens: readonly string[], origin: EventOrigin): Promise<boolean>;
  /** The user's browsers that are still remembered. */
  list(userId: string): Promise<RememberedDeviceRecord[]>;
  /** Forgets one of the user's browsers; another user's id or an unknown one changes nothing. */
  forget(userId: string, deviceId: string, origin: EventOrigin): Promise<void>;
  /** R47: every remembered browser of the user, at once (the factor version moves on). */
  forgetAll(userId: string, origin: EventOrigin): Promise<void>;
}

export interface RememberedDevicesDeps {
  store: RememberedDeviceStore;
  users: Pick<UserStore, "forgetAllDevices">;
  clock: Clock;
  random: RandomSource;
  events: SecurityEventSink;
  newId: () => string;
  lifetimeMs: number;
}

export function createRememberedDevices(deps: RememberedDevicesDeps): RememberedDevices {
  const { store, users, clock, random, events, newId, lifetimeMs } = deps;
  if (!(lifetimeMs > 0 && lifetimeMs <= MAX_REMEMBER_DEVICE_MS)) {
    throw new TypeError("a remembered browser lasts more than 0 and at most 30 days");
  }

  return {
    lifetimeMs,

    async remember(userId, label, origin) {
      const token = createSessionToken(random);
      const now = clock.now();
      await store.rememberDevice({
        id: newId(),
        tokenHash: hashSessionToken(token),
        userId,
        label: label.slice(0, MAX_LABEL_LENGTH),
        createdAt: now,
        expiresAt: now + lifetimeMs,
      });
      await events.record({ type: "device-remembered", origin, userId });
      return token;
    },

    async isRemembered(userId, tokens, origin) {
      const hashes = tokens.filter(isWellFormedToken).slice(0, MAX_REMEMBERED_PER_BROWSER).map(hashSessionToken);
      const remembered = await store.isRemembered(userId, hashes, clock.now());
      if (remembered) await events.record({ type: "remembered-device-accepted", origin, userId });
      return remembered;
    },

    list: (userId) => store.listDevices(userId, clock.now()),

    async forget(userId, deviceId, origin) {
      if (await store.forgetDevice(userId, deviceId)) await events.record({ type: "device-forgotten", origin, userId });
    },

    async forgetAll(userId, origin) {
      const forgotten = await users.forgetAllDevices(userId);
      if (forgotten > 0) await events.record({ type: "device-forgotten", origin, userId, detail: { count: forgotten } });
    },
  };
}
