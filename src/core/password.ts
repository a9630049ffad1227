// Password and recovery-code hashing with Argon2id (R42, R19), behind a small interface so the
// services can be tested with cheap parameters.
import { Algorithm, Version, hash, parseOptions, verify } from "@node-rs/argon2";
import { concurrencyLimit } from "./concurrency.js";

export interface PasswordHasher {
  /** Argon2id PHC string with a fresh 16-byte salt. */
  hash(secret: string): Promise<string>;
  /** False for a wrong secret and for a malformed or foreign hash; never throws on bad data. */
  verify(hash: string, secret: string): Promise<boolean>;
  /** True when the hash was made with other parameters (or is not ours): rehash after login. */
  needsRehash(hash: string): boolean;
  /**
   * Spends the cost of a real verify and returns false. For unknown or locked users, so the
   * response time does not reveal whether the account exists (R44).
   */
  verifyDummy(secret: string): Promise<false>;
}

export interface Argon2Params {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** R42 / OWASP Password Storage Cheat Sheet minimum for Argon2id: m = 19 MiB, t = 2, p = 1. */
export const ARGON2_PRODUCTION: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** Any fixed string works: only the time spent matters, and verifyDummy always answers false. */
const DUMMY_SECRET = "gatehouse dummy password for timing equalization";

function checkParams(params: Argon2Params): void {
  const { memoryCost, timeCost, parallelism } = params;
  if (!Number.isInteger(memoryCost) || memoryCost < 8 * parallelism) {
    throw new TypeError("memoryCost must be an integer of at least 8 × parallelism KiB");
  }
  if (!Number.isInteger(timeCost) || timeCost < 1) throw new TypeError("timeCost must be a positive integer");
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 255) {
    throw new TypeError("parallelism must be an integer from 1 to 255");
  }
}

export function createPasswordHasher(
  params: Argon2Params = ARGON2_PRODUCTION,
  /**
   * Hashes running at once. Argon2 runs on libuv's threads (4 by default): a login storm on a
   * 2-core machine would otherwise take every core from the event loop, and every other request
   * with it. The rest wait their turn in arrival order.
   */
  { maxConcurrent = 1 }: { maxConcurrent?: number } = {},
): PasswordHasher {
  checkParams(params);
  const limited = concurrencyLimit(maxConcurrent);
  const options = {
    algorithm: Algorithm.Argon2id,
    version: Version.V0x13,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  // R44: the dummy hash uses the SAME parameters, made once on first use; a malformed dummy hash
  // that fails fast would defeat the purpose.
  let dummyHash: Promise<string> | null = null;

  async function safeVerify(phc: string, secret: string): Promise<boolean> {
    if (typeof phc !== "string" || typeof secret !== "string" || !phc.startsWith("$argon2")) return false;
    try {
      return await limited(() => verify(phc, secret));
    } catch {
      return false;
    }
  }

  return {
    hash: (secret) => limited(() => hash(secret, options)),
    verify: safeVerify,
    needsRehash(phc) {
      try {
        const parsed = parseOptions(phc);
        return (
          parsed.algorithm !== Algorithm.Argon2id ||
          parsed.version !== Version.V0x13 ||
          parsed.memoryCost !== params.memoryCost ||
          parsed.timeCost !== params.timeCost ||
          parsed.parallelism !== params.parallelism
        );
      } catch {
        return true;
      }
    },
    async verifyDummy(secret) {
      if (dummyHash === null) {
        dummyHash = limited(() => hash(DUMMY_SECRET, options));
        // A failed creation must not be cached forever.
        dummyHash.catch(() => {
          dummyHash = null;
        });
      }
      await safeVerify(await dummyHash, secret);
      return false;
    },
  };
}
