// Records and times shared by the parts of the store conformance suite.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { NewUser, PendingEnrollmentRecord, SessionRecord } from "../../src/core/ports.js";
import type { Store } from "../../src/store/kysely-store.js";

export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const DAY = 86_400 * SECOND;

export function newUser(name = `user-${randomUUID().slice(0, 8)}`): NewUser {
  return { id: randomUUID(), username: name, usernameKey: name.toLowerCase(), passwordHash: "$argon2id$stub", createdAt: T0 };
}

/** A new user, created in `store` (the creation itself asserted). */
export async function createdUser(store: Store, name?: string): Promise<NewUser> {
  const user = newUser(name);
  expect(await store.users.createUser(user)).toBe(true);
  return user;
}

/** A random value shaped like a session hash (SHA-256, hex). */
export const sessionIdHash = () => randomUUID().replaceAll("-", "").padEnd(64, "0");

/** A first-enrollment key shown to a new session of the user, valid for 15 minutes. */
export function pendingKey(userId: string, sealedSecret: string, overrides: Partial<PendingEnrollmentRecord> = {}): PendingEnrollmentRecord {
  return { userId, sessionIdHash: sessionIdHash(), kind: "first", sealedSecret, expiresAt: T0 + 15 * MINUTE, ...overrides };
}

export function session(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: sessionIdHash(),
    userId,
    level: "pending",
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 12 * 60 * MINUTE,
    nextPath: "/",
    flash: null,
    ...overrides,
  };
}

/** A user with an active factor whose last used step is `step`, and `codes` recovery codes. */
export async function enrollUser(store: Store, step = 1000, codes = 3) {
  const user = newUser();
  expect(await store.users.createUser(user)).toBe(true);
  const hashes = Array.from({ length: codes }, (_, i) => `hash-${i}-${randomUUID()}`);
  const pending = pendingKey(user.id, "sealed");
  await store.totp.savePendingEnrollment(pending);
  expect(
    await store.totp.activateFactor({
      userId: user.id,
      sessionIdHash: pending.sessionIdHash,
      replace: false,
      sealedSecret: "sealed",
      usedStep: step,
      recoveryCodeHashes: hashes,
      now: T0,
    }),
  ).toBe(true);
  return { user, hashes };
}
