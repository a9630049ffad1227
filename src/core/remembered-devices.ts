// "Remember this browser" (R46-R48): a 256-bit token in its own cookie, stored as SHA-256 with
// its user and the user's factor version. It skips only the second factor, only for that user.
import { createSessionToken, hashSessionToken, isWellFormedToken } from "./session-tokens.js";
import type { Clock, EventOrigin, RandomSource, RememberedDeviceStore, SecurityEventSink, UserStore } from "./ports.js";

/** Contract: 30 days at most (configurable lower). */
export const MAX_REMEMBER_DEVICE_MS = 30 * 24 * 60 * 60_000;
/** A browser shared by a few people keeps one token each; more than this is not a real browser. */
export const MAX_REMEMBERED_PER_BROWSER = 5;
const MAX_LABEL_LENGTH = 120;

export function createRememberedDevices(deps: {
  store: RememberedDeviceStore;
  users: Pick<UserStore, "forgetAllDevices">;
  clock: Clock;
  random: RandomSource;
  events: SecurityEventSink;
  newId: () => string;
  lifetimeMs: number;
}) {
  const { store, users, clock, random, events, newId, lifetimeMs } = deps;
  if (!(lifetimeMs > 0 && lifetimeMs <= MAX_REMEMBER_DEVICE_MS)) {
    throw new TypeError("a remembered browser lasts more than 0 and at most 30 days");
  }

  return {
    lifetimeMs,

    async remember(userId: string, label: string, origin: EventOrigin): Promise<string> {
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

    /** R48: trust comes from the token alone, never from the address. */
    async isRemembered(userId: string, tokens: readonly string[], origin: EventOrigin): Promise<boolean> {
      const hashes = tokens.filter(isWellFormedToken).slice(0, MAX_REMEMBERED_PER_BROWSER).map(hashSessionToken);
      const remembered = await store.isRemembered(userId, hashes, clock.now());
      if (remembered) await events.record({ type: "remembered-device-accepted", origin, userId });
      return remembered;
    },

    list: (userId: string) => store.listDevices(userId, clock.now()),

    async forget(userId: string, deviceId: string, origin: EventOrigin): Promise<void> {
      if (await store.forgetDevice(userId, deviceId)) await events.record({ type: "device-forgotten", origin, userId });
    },

    /** R47: every remembered browser of the user, at once (the factor version moves on). */
    async forgetAll(userId: string, origin: EventOrigin): Promise<void> {
      const forgotten = await users.forgetAllDevices(userId);
      if (forgotten > 0) await events.record({ type: "device-forgotten", origin, userId, detail: { count: forgotten } });
    },
  };
}

export type RememberedDevices = ReturnType<typeof createRememberedDevices>;
