// RFC 4648 §10 BASE32 test vectors, written without padding as we emit them (R4).
import { describe, expect, it } from "vitest";
import { decodeBase32, encodeBase32 } from "../../src/core/base32.js";

const VECTORS: [string, string, string][] = [
  ["", "", ""],
  ["f", "MY", "MY======"],
  ["fo", "MZXQ", "MZXQ===="],
  ["foo", "MZXW6", "MZXW6==="],
  ["foob", "MZXW6YQ", "MZXW6YQ="],
  ["fooba", "MZXW6YTB", "MZXW6YTB"],
  ["foobar", "MZXW6YTBOI", "MZXW6YTBOI======"],
];

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("RFC 4648 §10 Base32 vectors", () => {
  it.each(VECTORS)("encodes %j as %s without padding", (plain, unpadded) => {
    expect(encodeBase32(bytes(plain))).toBe(unpadded);
  });

  it.each(VECTORS)("decodes the unpadded form of %j", (plain, unpadded) => {
    expect(decodeBase32(unpadded)).toEqual(bytes(plain));
  });

  it.each(VECTORS)("decodes the padded RFC form of %j", (plain, _unpadded, padded) => {
    expect(decodeBase32(padded)).toEqual(bytes(plain));
  });

  it("R4: encodes a 20-byte secret as exactly 32 characters", () => {
    expect(encodeBase32(new Uint8Array(20).fill(0xa5))).toHaveLength(32);
  });
});
