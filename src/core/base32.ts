// RFC 4648 §6 Base32, the encoding Google Authenticator expects for the `secret` parameter.
// We emit it without padding (GA key-uri-format: "padding should be omitted") and read it
// tolerantly, because people retype secrets by hand from the enrollment page (R4, R28).

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Maps an ASCII code to its 5-bit value, or -1 for a character outside the alphabet. */
const DECODE_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    table[ALPHABET.charCodeAt(i)] = i;
    table[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  return table;
})();

/** Number of Base32 characters left over in the last block → valid iff a whole number of bytes. */
const VALID_REMAINDERS = new Set([0, 2, 4, 5, 7]);

/** RFC 4648 Base32, upper case and without padding: the `secret` Google Authenticator expects. */
export function encodeBase32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes RFC 4648 Base32. Ignores ASCII spaces, accepts lowercase and correct trailing `=`
 * padding. Returns null for any other character, a length that cannot encode whole bytes, or
 * non-zero leftover bits (so every byte string has exactly one accepted unpadded spelling,
 * modulo case and spaces).
 */
export function decodeBase32(text: string): Uint8Array | null {
  let body = text.replaceAll(" ", "");
  const firstPad = body.indexOf("=");
  if (firstPad !== -1) {
    const padding = body.slice(firstPad);
    // Padding must be trailing, complete the last 8-character block, and be 1..6 characters.
    if (!/^={1,6}$/.test(padding) || body.length % 8 !== 0) return null;
    body = body.slice(0, firstPad);
  }
  if (!VALID_REMAINDERS.has(body.length % 8)) return null;

  const out = new Uint8Array(Math.floor((body.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const value = code < 128 ? (DECODE_TABLE[code] ?? -1) : -1;
    if (value === -1) return null;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  // Leftover bits (< 8) must be zero, or two different strings would decode to the same bytes.
  if ((buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
