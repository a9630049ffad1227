// Recovery codes (R18): 10 per activation, each 10 Crockford Base32 characters = 50 bits from
// the CSPRNG, shown once as "XXXXX-XXXXX". Stored only as keyed hashes (R19, recovery-code-hash.ts).
import type { RandomSource } from "./ports.js";

export const RECOVERY_CODE_COUNT = 10;

/** Crockford Base32: no I, L, O, U, so codes cannot be misread as each other. */
const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LENGTH = 10;
const BITS_PER_CODE = CODE_LENGTH * 5;
const BYTES_PER_CODE = Math.ceil(BITS_PER_CODE / 8); // 7 bytes, of which 50 bits are used
const MAX_COUNT = 100;

function formatCode(raw: string): string {
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

/**
 * Each character takes exactly 5 fresh random bits, so every character is uniform over the
 * 32-symbol alphabet (no modulo bias) and a code carries the full 50 bits (R18: ≥ 40).
 */
function randomCode(random: RandomSource): string {
  const bytes = random(BYTES_PER_CODE);
  if (bytes.length !== BYTES_PER_CODE) throw new TypeError("random source returned the wrong length");
  let buffer = 0;
  let bits = 0;
  let index = 0;
  let out = "";
  while (out.length < CODE_LENGTH) {
    if (bits < 5) {
      buffer = ((buffer << 8) | bytes[index++]!) & 0xffff;
      bits += 8;
    }
    bits -= 5;
    out += CROCKFORD_ALPHABET[(buffer >>> bits) & 31];
  }
  return out;
}

/** `count` distinct codes formatted "XXXXX-XXXXX", 50 bits each from `random` (e.g. crypto.randomBytes). */
export function generateRecoveryCodes(random: RandomSource, count = RECOVERY_CODE_COUNT): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new TypeError(`count must be an integer from 1 to ${MAX_COUNT}, got ${count}`);
  }
  const codes = new Set<string>();
  // A repeat within one set has probability ~count²/2^51; redraw it so the set is exactly `count`
  // distinct codes. The attempt cap only trips on a broken (e.g. constant) random source.
  for (let attempts = 0; codes.size < count; attempts++) {
    if (attempts >= count * 4) throw new Error("random source keeps repeating itself");
    codes.add(randomCode(random));
  }
  return [...codes].map(formatCode);
}

/**
 * Canonical form for hashing and comparison: ASCII only, case-insensitive, spaces and hyphens
 * ignored, Crockford's decoding aliases (O → 0, I and L → 1). Null unless 10 alphabet characters
 * remain ("U" is not in the alphabet and stays invalid).
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (typeof input !== "string" || input.length > 64) return null;
  const compact = input.replace(/[ -]/g, "");
  // Check ASCII before toUpperCase: "ı".toUpperCase() === "I" would otherwise sneak in.
  if (!/^[0-9A-Za-z]{10}$/.test(compact)) return null;
  const canonical = compact.toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
  for (const char of canonical) if (!CROCKFORD_ALPHABET.includes(char)) return null;
  return canonical;
}
