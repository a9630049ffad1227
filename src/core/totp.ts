// HOTP (RFC 4226) and TOTP (RFC 6238) on node:crypto only. One place computes codes; the
// services decide what a match means (replay guard R6, throttling R10) around verifyTOTP.
import { createHmac, timingSafeEqual } from "node:crypto";

export type HashAlgorithm = "SHA1" | "SHA256" | "SHA512";

export interface TOTPOptions {
  /** Code length, 6 to 8 (RFC 4226 §5.3). Default 6. */
  digits?: number;
  /** Time step X (RFC 6238 §4.1). Default 30. */
  periodSeconds?: number;
  /** Default SHA1, the only one Google Authenticator honours (R3). */
  algorithm?: HashAlgorithm;
}

const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];
const MAX_COUNTER = (1n << 64n) - 1n;
const MAX_WINDOW = 10;

function checkDigits(digits: number): number {
  // RFC 4226 §5.3: "MUST extract a 6-digit code at a minimum and possibly 7 and 8-digit code".
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) {
    throw new TypeError(`digits must be 6, 7 or 8, got ${digits}`);
  }
  return digits;
}

function checkAlgorithm(algorithm: HashAlgorithm): string {
  // A switch rather than a lookup table: no prototype keys to guard against, and it is on the
  // verifyTOTP hot path.
  switch (algorithm) {
    case "SHA1":
      return "sha1";
    case "SHA256":
      return "sha256";
    case "SHA512":
      return "sha512";
    default:
      throw new TypeError(`algorithm must be SHA1, SHA256 or SHA512, got ${String(algorithm)}`);
  }
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0) {
    throw new TypeError("key must be a non-empty Uint8Array");
  }
}

/**
 * Dynamic truncation, RFC 4226 §5.3: offset = low nibble of the LAST byte (so SHA-256/512 use
 * byte 31/63, RFC 6238 App. A), then the 31-bit big-endian integer at that offset.
 */
function dynamicTruncate(hmac: Uint8Array): number {
  const offset = hmac[hmac.length - 1]! & 0x0f;
  return (
    ((hmac[offset]! & 0x7f) << 24) |
    (hmac[offset + 1]! << 16) |
    (hmac[offset + 2]! << 8) |
    hmac[offset + 3]!
  );
}

/** Internal, exported for the RFC 4226 §5.4 fixture: HMAC bytes → zero-padded code (R2). */
export function truncate(hmac: Uint8Array, digits: number): string {
  checkDigits(digits);
  if (hmac.length < 20) throw new TypeError("hmac must be at least 20 bytes");
  return String(dynamicTruncate(hmac) % POWERS_OF_TEN[digits]!).padStart(digits, "0");
}

function counterBytes(counter: bigint | number): Buffer {
  // RFC 6238 §4.2: T must not be limited to 32 bits, so the 8-byte counter is written from a
  // BigInt; `<<`/`>>>` on Numbers would silently truncate after 2^32.
  if (typeof counter === "number" && !Number.isSafeInteger(counter)) {
    throw new TypeError(`counter must be a safe integer, got ${counter}`);
  }
  const value = BigInt(counter);
  if (value < 0n || value > MAX_COUNTER) throw new TypeError("counter must fit in 64 unsigned bits");
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return bytes;
}

/**
 * Hot-path twin of counterBytes for a step that is already a non-negative safe integer: two
 * 32-bit halves, exact up to 2^53 (RFC 6238 §4.2), without a BigInt allocation per candidate.
 */
function writeCounter(target: Buffer, step: number): void {
  target.writeUInt32BE(Math.floor(step / 0x1_0000_0000), 0);
  target.writeUInt32BE(step % 0x1_0000_0000, 4);
}

/** The HOTP code for `counter` (RFC 4226 §5.3); throws TypeError only on misuse (key, digits, algorithm). */
export function generateHOTP(
  key: Uint8Array,
  counter: bigint | number,
  options: { digits?: number; algorithm?: HashAlgorithm } = {},
): string {
  checkKey(key);
  const digits = checkDigits(options.digits ?? 6);
  const hash = checkAlgorithm(options.algorithm ?? "SHA1");
  const hmac = createHmac(hash, key).update(counterBytes(counter)).digest();
  return String(dynamicTruncate(hmac) % POWERS_OF_TEN[digits]!).padStart(digits, "0");
}

/** T = floor((t - T0) / X) with T0 = 0 (RFC 6238 §4.2). */
export function timeStepAt(timeSeconds: number, periodSeconds = 30): number {
  if (!Number.isFinite(timeSeconds) || timeSeconds < 0) {
    throw new TypeError(`timeSeconds must be a finite non-negative number, got ${timeSeconds}`);
  }
  if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0) {
    throw new TypeError(`periodSeconds must be a positive integer, got ${periodSeconds}`);
  }
  const step = Math.floor(timeSeconds / periodSeconds);
  if (!Number.isSafeInteger(step)) throw new TypeError(`timeSeconds ${timeSeconds} is out of range`);
  return step;
}

/** The TOTP code at `timeSeconds` (Unix time): the HOTP of timeStepAt(timeSeconds) (RFC 6238 §4). */
export function generateTOTP(key: Uint8Array, timeSeconds: number, options: TOTPOptions = {}): string {
  const step = timeStepAt(timeSeconds, options.periodSeconds ?? 30);
  return generateHOTP(key, step, options);
}

/**
 * R8 input normalization, decided once: drop ASCII spaces anywhere ("123 456", pasted
 * " 123456 "), then require exactly `digits` ASCII digits. `[0-9]` is ASCII-only in JS regexes,
 * so Arabic-Indic or full-width digits are refused rather than silently mapped.
 */
export function parseOTPInput(input: string, digits = 6): string | null {
  checkDigits(digits);
  if (typeof input !== "string" || input.length > 64) return null;
  const compact = input.replaceAll(" ", "");
  return compact.length === digits && /^[0-9]+$/.test(compact) ? compact : null;
}

// Scratch buffers for verifyTOTP. It is synchronous, so no two calls can interleave on them;
// reusing them keeps the per-call cost at the three HMACs themselves.
const COUNTER = Buffer.alloc(8);
const GIVEN = Buffer.alloc(4);
const EXPECTED = Buffer.alloc(4);

/**
 * Verifies a code for steps T-window..T+window (R5: window 1 = T-1, T, T+1). Returns the matched
 * step so the caller can run the replay compare-and-set (R6), or null. `code` must already be
 * parsed (parseOTPInput); anything else is simply a wrong code.
 *
 * R8/R60: every candidate is computed and compared with timingSafeEqual, no early return, so the
 * response time does not reveal whether or at which step a code matched. Both sides are compared
 * as 4-byte big-endian integers: for a fixed digit count that is a one-to-one encoding of the
 * zero-padded string, and it spares formatting each candidate as text.
 */
export function verifyTOTP(
  key: Uint8Array,
  code: string,
  timeSeconds: number,
  options?: TOTPOptions & { window?: number },
): number | null {
  checkKey(key);
  const digits = checkDigits(options?.digits ?? 6);
  const hash = checkAlgorithm(options?.algorithm ?? "SHA1");
  const window = options?.window ?? 1;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new TypeError(`window must be an integer from 0 to ${MAX_WINDOW}, got ${window}`);
  }
  const current = timeStepAt(timeSeconds, options?.periodSeconds ?? 30);
  if (!Number.isSafeInteger(current + window)) throw new TypeError(`timeSeconds ${timeSeconds} is out of range`);

  if (typeof code !== "string" || code.length !== digits) return null;
  let given = 0;
  for (let i = 0; i < digits; i++) {
    const c = code.charCodeAt(i);
    if (c < 48 || c > 57) return null; // ASCII '0'..'9' only
    given = given * 10 + (c - 48);
  }
  GIVEN.writeUInt32BE(given);

  const modulus = POWERS_OF_TEN[digits]!;
  let matched: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue; // only in the first period after the epoch
    writeCounter(COUNTER, step);
    EXPECTED.writeUInt32BE(dynamicTruncate(createHmac(hash, key).update(COUNTER).digest()) % modulus);
    // Ascending order: if two steps ever shared a code, the later one wins.
    if (timingSafeEqual(GIVEN, EXPECTED)) matched = step;
  }
  GIVEN.writeUInt32BE(0);
  EXPECTED.writeUInt32BE(0);
  return matched;
}
