// One master secret (GATEHOUSE_SECRET_KEY) → independent purpose keys via HKDF (RFC 5869), so the
// CSRF key and the sealing key never coincide and one cannot be computed from the other.
import { createHash, hkdfSync } from "node:crypto";
import type { RecoveryCodeKey } from "./recovery-code-hash.js";
import type { SealingKey } from "./seal.js";

export interface DerivedKeys {
  sealingKey: SealingKey;
  csrfKey: Uint8Array;
  /** Tags recovery codes (recovery-code-hash.ts), under the same id as the sealing key. */
  recoveryCodeKey: RecoveryCodeKey;
  keyId: string;
}

const MIN_MASTER_BYTES = 32;
// RFC 5869 §3.1: the salt is optional when the input keying material is already uniformly
// random; distinct `info` labels give domain separation (§3.2).
const SALT = new Uint8Array(0);
const SEAL_INFO = "gatehouse seal v1";
const CSRF_INFO = "gatehouse csrf v1";
const RECOVERY_INFO = "gatehouse recovery v1";

function hkdf(master: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", master, SALT, info, 32));
}

export function deriveKeys(masterSecret: Uint8Array): DerivedKeys {
  // R54: refuse a short master secret at startup rather than seal with a guessable key.
  if (!(masterSecret instanceof Uint8Array) || masterSecret.length < MIN_MASTER_BYTES) {
    throw new TypeError(`the master secret must be at least ${MIN_MASTER_BYTES} bytes`);
  }
  const sealing = hkdf(masterSecret, SEAL_INFO);
  const csrfKey = hkdf(masterSecret, CSRF_INFO);
  // The id is a fingerprint of the derived key (never of the master), so it changes exactly when
  // the key does and reveals nothing usable about the master secret.
  const keyId = createHash("sha256").update(sealing).digest("hex").slice(0, 8);
  const recoveryCodeKey = { id: keyId, key: hkdf(masterSecret, RECOVERY_INFO) };
  return { sealingKey: { id: keyId, key: sealing }, csrfKey, recoveryCodeKey, keyId };
}

/** The ids of a key ring's master secrets, in ring order (which key made a recovery code's tag). */
export function keyIdsOf(masterSecrets: readonly Uint8Array[]): string[] {
  return masterSecrets.map((secret) => deriveKeys(secret).keyId);
}
