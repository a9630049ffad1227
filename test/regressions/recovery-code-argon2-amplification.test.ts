// Regression suite: Argon2 amplification through recovery codes (review F6).
//   - one wrong recovery code made the server run an Argon2id verify against every unused code
//     (up to 10, 7-9x a wrong password), for anyone who knows a password
//   - each self-registration plus enrollment cost 11 Argon2id hashes (the password and 10 codes),
//     while the per-address registration limit was sized for one
// Counted with a PasswordHasher wrapper around the core on the real (SQLite) store.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccounts, DEFAULT_LOGIN_LIMITS, type AccountsDeps } from "../../src/core/accounts.js";
import { deriveKeys } from "../../src/core/keys.js";
import { createPasswordHasher, type PasswordHasher } from "../../src/core/password.js";
import type { RandomSource, RequestOrigin } from "../../src/core/ports.js";
import { createRecoveryCodeHasher } from "../../src/core/recovery-code-hash.js";
import { normalizeRecoveryCode } from "../../src/core/recovery-codes.js";
import { createSealer } from "../../src/core/seal.js";
import { consoleEnrollment, createTwoFactor } from "../../src/core/two-factor.js";
import { throttlePolicy } from "../../src/services.js";
import type { Store } from "../../src/store/kysely-store.js";
import { openSQLiteStore } from "../../src/store/sqlite.js";
import { codeAt, STRONG_PASSWORD, TEST_ARGON2, TestClock } from "../support/app.js";

const ORIGIN: RequestOrigin = { clientAddress: "203.0.113.7", userAgent: "test" };
const random: RandomSource = (n) => new Uint8Array(randomBytes(n));

/** Every Argon2 operation the wrapped hasher runs, by kind. */
function countingHasher(inner: PasswordHasher) {
  const counts = { hash: 0, verify: 0, verifyDummy: 0 };
  const hasher: PasswordHasher = {
    hash: (secret) => (counts.hash++, inner.hash(secret)),
    verify: (hash, secret) => (counts.verify++, inner.verify(hash, secret)),
    verifyDummy: (secret) => (counts.verifyDummy++, inner.verifyDummy(secret)),
    needsRehash: (hash) => inner.needsRehash(hash),
  };
  const total = () => counts.hash + counts.verify + counts.verifyDummy;
  return { hasher, counts, total };
}

let store: Store;
let clock: TestClock;
let argon2: ReturnType<typeof countingHasher>;
let core: ReturnType<typeof build>;

function build() {
  const keys = deriveKeys(new Uint8Array(randomBytes(32)));
  const events = { record: async () => {} };
  const admission: AccountsDeps["admission"] = { admit: async () => null, createInvitedUser: async () => false };
  const accounts = createAccounts(
    { users: store.users, throttle: store.loginThrottle, hasher: argon2.hasher, clock, newId: () => randomBytes(16).toString("hex"), events, admission },
    DEFAULT_LOGIN_LIMITS,
  );
  const twoFactor = createTwoFactor(
    {
      totp: store.totp,
      recoveryCodes: store.recoveryCodes,
      throttle: store.secondFactorThrottle,
      sealer: createSealer([keys.sealingKey], random),
      recoveryCodeHasher: createRecoveryCodeHasher([keys.recoveryCodeKey]),
      legacyRecoveryCodeHasher: argon2.hasher,
      clock,
      random,
      events,
    },
    { issuer: "gatehouse-test", enrollmentTTLms: 15 * 60_000 },
  );
  return { accounts, twoFactor };
}

/** Registration and enrollment through the core; returns the user and the recovery codes. */
async function registerAndEnroll(username: string) {
  const user = await core.accounts.register(username, STRONG_PASSWORD, { origin: ORIGIN });
  const mode = consoleEnrollment(user.id);
  const { secretBase32 } = await core.twoFactor.currentEnrollment(user.id, username, mode);
  const codes = await core.twoFactor.confirmEnrollment(user.id, codeAt(secretBase32, clock.ms), mode, ORIGIN);
  if (!codes) throw new Error("enrollment failed");
  return { userId: user.id, codes };
}

beforeEach(async () => {
  clock = new TestClock();
  store = await openSQLiteStore(":memory:", throttlePolicy(30));
  argon2 = countingHasher(createPasswordHasher(TEST_ARGON2));
  core = build();
});
afterEach(() => store.close());

describe("recovery codes cost no Argon2", () => {
  it("a registration plus enrollment costs one Argon2 hash (the password's), not 11", async () => {
    const { codes } = await registerAndEnroll("alice");
    expect(codes).toHaveLength(10);
    expect(argon2.counts).toEqual({ hash: 1, verify: 0, verifyDummy: 0 });
  });

  it("a wrong recovery code runs no Argon2 operation (at most one was the bound)", async () => {
    const { userId } = await registerAndEnroll("alice");
    const before = argon2.total();
    await expect(core.twoFactor.useRecoveryCode(userId, "ZZZZZ-ZZZZZ", ORIGIN)).rejects.toMatchObject({ code: "INVALID_RECOVERY_CODE" });
    expect(argon2.total() - before).toBe(0);
  });

  it("a right recovery code signs in once, typed any way, with no Argon2 operation", async () => {
    const { userId, codes } = await registerAndEnroll("alice");
    const before = argon2.total();
    const typed = ` ${codes[3]!.toLowerCase().replace("-", " ")} `;
    expect(await core.twoFactor.useRecoveryCode(userId, typed, ORIGIN)).toBe(9);
    await expect(core.twoFactor.useRecoveryCode(userId, codes[3]!, ORIGIN)).rejects.toMatchObject({ code: "INVALID_RECOVERY_CODE" });
    expect(argon2.total() - before).toBe(0);
  });

  it("new codes from the account page cost no Argon2 either", async () => {
    const { userId } = await registerAndEnroll("alice");
    const before = argon2.total();
    const codes = await core.twoFactor.regenerateRecoveryCodes(userId, ORIGIN);
    expect(await core.twoFactor.useRecoveryCode(userId, codes[0]!, ORIGIN)).toBe(9);
    expect(argon2.total() - before).toBe(0);
  });
});

describe("codes stored as Argon2id hashes before keyed hashes keep working", () => {
  const LEGACY = ["ABCDE-FGH12", "0123456789"];

  async function withLegacyCodes() {
    const { userId } = await registerAndEnroll("alice");
    const legacyHasher = createPasswordHasher(TEST_ARGON2);
    const hashes = await Promise.all(LEGACY.map((code) => legacyHasher.hash(normalizeRecoveryCode(code)!)));
    await store.recoveryCodes.replaceRecoveryCodes(userId, hashes, clock.ms);
    return userId;
  }

  it("accepts a legacy code once, verifying only the legacy rows with Argon2", async () => {
    const userId = await withLegacyCodes();
    const before = argon2.counts.verify;
    expect(await core.twoFactor.useRecoveryCode(userId, "abcde fgh12", ORIGIN)).toBe(1);
    expect(argon2.counts.verify - before).toBeLessThanOrEqual(LEGACY.length);
    await expect(core.twoFactor.useRecoveryCode(userId, "ABCDE-FGH12", ORIGIN)).rejects.toMatchObject({ code: "INVALID_RECOVERY_CODE" });
  });

  it("bounds a wrong code's Argon2 work by the unused legacy codes, and new codes end it", async () => {
    const userId = await withLegacyCodes();
    const before = argon2.counts.verify;
    await expect(core.twoFactor.useRecoveryCode(userId, "ZZZZZ-ZZZZZ", ORIGIN)).rejects.toThrow();
    expect(argon2.counts.verify - before).toBe(LEGACY.length);

    await core.twoFactor.regenerateRecoveryCodes(userId, ORIGIN);
    const after = argon2.counts.verify;
    await expect(core.twoFactor.useRecoveryCode(userId, "ZZZZZ-ZZZZZ", ORIGIN)).rejects.toThrow();
    expect(argon2.counts.verify - after).toBe(0);
  });
});
