// How recovery codes are stored (R19, review F6): a keyed hash, HMAC-SHA256 under a purpose key
// derived from the master secret (keys.ts), prefixed with that key's id:
//   hmac-sha256$<key id>$<base64url tag>
// A code carries 50 random bits (R18) and the key never enters the database, so a leaked table
// alone allows no offline guessing; that is what Argon2id's cost bought, at 10 Argon2 hashes per
// enrollment and up to 10 verifies per wrong code (an amplification one stranger could drive).
// Checking a code is now a few HMACs. The tag covers the user id, so equal codes of two users
// (odds ~2^-50) do not show as equal rows (the role R19's per-code salt plays).
//
// Codes stored before (Argon2id PHC strings, `$argon2...`) stay valid: the caller verifies those
// rows, and only those, with the password hasher. A tag under a key that has left the ring can
// no longer be checked by anyone: it never matches (docs/security.md, key rotation).
import { createHmac, timingSafeEqual } from "node:crypto";

export interface RecoveryCodeKey {
  /** The master key's id (keys.ts), written into each tag so rotation knows which key made it. */
  id: string;
  key: Uint8Array;
}

const SCHEME = "hmac-sha256";

/** How every stored tag starts, or every tag of one key: for counting them by key (rotation). */
export const recoveryCodeTagPrefix = (keyId?: string) => (keyId === undefined ? `${SCHEME}$` : `${SCHEME}$${keyId}$`);

export type StoredCodeCheck = "match" | "no-match" | "legacy";

export interface RecoveryCodeHasher {
  /** The stored form of a new (normalized) code of this user, under the current key. */
  hash(userId: string, normalizedCode: string): string;
  /**
   * Compares a typed (normalized) code with one stored form, in constant time: "legacy" for an
   * Argon2 hash, which only the password hasher can check.
   */
  check(stored: string, userId: string, normalizedCode: string): StoredCodeCheck;
}

/** `ring[0]` tags new codes; every key of the ring checks the codes it tagged. */
export function createRecoveryCodeHasher(ring: RecoveryCodeKey[]): RecoveryCodeHasher {
  const current = ring[0];
  if (!current) throw new TypeError("the recovery code key ring must not be empty");
  const keys = new Map(ring.map((entry) => [entry.id, entry.key]));
  const tag = (key: Uint8Array, userId: string, code: string) =>
    createHmac("sha256", key).update(`${userId}\u0000${code}`).digest();

  return {
    hash(userId, normalizedCode) {
      return `${SCHEME}$${current.id}$${tag(current.key, userId, normalizedCode).toString("base64url")}`;
    },

    check(stored, userId, normalizedCode) {
      const [scheme, keyId = "", encoded = ""] = stored.split("$");
      if (scheme !== SCHEME) return "legacy";
      const key = keys.get(keyId);
      if (!key) return "no-match";
      const expected = Buffer.from(encoded, "base64url");
      const actual = tag(key, userId, normalizedCode);
      // R60: constant-time, though the tag of a guess the attacker chose leaks little anyway.
      return expected.length === actual.length && timingSafeEqual(expected, actual) ? "match" : "no-match";
    },
  };
}
