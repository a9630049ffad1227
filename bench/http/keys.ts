// What the bench shares with the servers it seeds: the master key (GATEHOUSE_SECRET_KEY), the
// sealer, CSRF and recovery-code keys built from it exactly as src/services.ts builds them, and the one
// TOTP secret every seeded account is enrolled with (each sealed for its own user).
import { randomBytes } from "node:crypto";
import { deriveKeys } from "../../src/core/keys.js";
import { createRecoveryCodeHasher, type RecoveryCodeHasher } from "../../src/core/recovery-code-hash.js";
import { createSealer, type Sealer } from "../../src/core/seal.js";
import { generateTOTP, verifyTOTP } from "../../src/core/totp.js";
import { createCSRF, type CSRF } from "../../src/web/csrf.js";

export interface BenchKeys {
  /** The value of GATEHOUSE_SECRET_KEY for every server of the run. */
  masterKey: string;
  sealer: Sealer;
  csrf: CSRF;
  /** Recovery codes' keyed hashes, as the servers store and check them. */
  recoveryCodes: RecoveryCodeHasher;
  /** The authenticator secret all seeded accounts share (sealed per user, see secretAAD). */
  totpSecret: Uint8Array;
}

export function createBenchKeys(): BenchKeys {
  const masterKey = randomBytes(32).toString("base64url");
  // src/secret-key.ts: the environment value's UTF-8 bytes are the master secret.
  const derived = deriveKeys(new Uint8Array(Buffer.from(masterKey, "utf8")));
  const random = (n: number) => new Uint8Array(randomBytes(n));
  return {
    masterKey,
    sealer: createSealer([derived.sealingKey], random),
    csrf: createCSRF(derived.csrfKey),
    recoveryCodes: createRecoveryCodeHasher([derived.recoveryCodeKey]),
    totpSecret: new Uint8Array(randomBytes(20)),
  };
}

/** The current code of the shared secret, cached per 30-second step (it is asked per request). */
export function codeSource(secret: Uint8Array): { right(): string; wrong(): string } {
  let cachedStep = -1;
  let right = "";
  let wrong = "";
  const refresh = () => {
    const nowSeconds = Date.now() / 1000;
    const step = Math.floor(nowSeconds / 30);
    if (step === cachedStep) return;
    cachedStep = step;
    right = generateTOTP(secret, nowSeconds);
    // Wrong in every step the server may check while this step lasts (±1 window, ±1 for skew).
    const near = new Set([-2, -1, 0, 1, 2].map((offset) => generateTOTP(secret, nowSeconds + offset * 30)));
    for (let n = 0; ; n++) {
      const candidate = String(n).padStart(6, "0");
      if (!near.has(candidate) && verifyTOTP(secret, candidate, nowSeconds) === null) {
        wrong = candidate;
        break;
      }
    }
  };
  return {
    right: () => (refresh(), right),
    wrong: () => (refresh(), wrong),
  };
}
