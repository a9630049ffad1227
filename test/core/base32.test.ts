import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase32, encodeBase32 } from "../../src/core/base32.js";

describe("encodeBase32 and decodeBase32", () => {
  it("round-trips any byte string", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (input) => {
        const text = encodeBase32(input);
        expect(text).toMatch(/^[A-Z2-7]*$/);
        expect(decodeBase32(text)).toEqual(input);
      }),
    );
  });

  it("accepts the lowercase and space-grouped spelling people type from the enrollment page", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (input) => {
        const grouped = encodeBase32(input).toLowerCase().replace(/(.{4})/g, "$1 ");
        expect(decodeBase32(` ${grouped} `)).toEqual(input);
      }),
    );
  });

  it("never throws and never decodes a string that does not re-encode to itself", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const decoded = decodeBase32(text);
        if (decoded !== null) {
          const canonical = text.replaceAll(" ", "").replace(/=+$/, "").toUpperCase();
          expect(encodeBase32(decoded)).toBe(canonical);
        }
      }),
    );
  });

  it.each([
    ["a character outside the alphabet (digit 1)", "MZXW1"],
    ["a character outside the alphabet (digit 0)", "MZXW0YQ"],
    ["a character outside the alphabet (digit 8)", "MZ8Q"],
    ["a hyphen", "MZXW-6YQ"],
    ["a tab", "MZXW\t6YQ"],
    ["a non-ASCII letter", "MZXWÉYQ"],
    ["a full-width letter", "ＭＹ"],
    ["an impossible length of 1", "M"],
    ["an impossible length of 3", "MZX"],
    ["an impossible length of 6", "MZXW6Y"],
    ["non-zero trailing bits", "MZ"],
    ["non-zero trailing bits after padding", "MZ======"],
    ["padding in the middle", "MY==MY=="],
    ["padding that does not complete the block", "MY=="],
    ["a whole block of padding", "========"],
    ["too much padding", "MZXW6YTB========"],
  ])("returns null for %s", (_label, text) => {
    expect(decodeBase32(text)).toBeNull();
  });

  it("decodes the empty string to no bytes", () => {
    expect(decodeBase32("")).toEqual(new Uint8Array(0));
    expect(decodeBase32("   ")).toEqual(new Uint8Array(0));
  });
});
