import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPasswordHasher } from "../../src/core/password.js";
import {
  RECOVERY_CODE_COUNT,
  generateRecoveryCodes,
  normalizeRecoveryCode,
} from "../../src/core/recovery-codes.js";
import type { RandomSource } from "../../src/core/ports.js";

const random: RandomSource = (n) => randomBytes(n);
const FORMAT = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

/** A RandomSource that replays the given bytes, to pin down the bit layout. */
function fixedRandom(...chunks: number[][]): RandomSource {
  let call = 0;
  return (n) => {
    const chunk = chunks[call++ % chunks.length]!;
    expect(chunk).toHaveLength(n);
    return Uint8Array.from(chunk);
  };
}

describe("generateRecoveryCodes (R18)", () => {
  it("R18: issues 10 codes by default", () => {
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(generateRecoveryCodes(random)).toHaveLength(10);
  });

  it("R18: formats each code as XXXXX-XXXXX in the Crockford alphabet", () => {
    for (const code of generateRecoveryCodes(random, 50)) expect(code).toMatch(FORMAT);
  });

  it("R18: issues distinct codes within one set", () => {
    const codes = generateRecoveryCodes(random, 100);
    expect(new Set(codes).size).toBe(100);
  });

  it("R18: maps 5 random bits to each character (50 bits per code, from 7 random bytes)", () => {
    // 0x00 0x44 0x32 0x14 0xc7 0x42 0x54 = 00000 00001 00010 00011 00100 00101 00110 00111 01000 01001 0000
    expect(generateRecoveryCodes(fixedRandom([0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54]), 1)).toEqual(["01234-56789"]);
    // All ones: every character is the last symbol, Z; the 6 spare bits are ignored.
    expect(generateRecoveryCodes(fixedRandom([255, 255, 255, 255, 255, 255, 255]), 1)).toEqual(["ZZZZZ-ZZZZZ"]);
  });

  it("R18: redraws a repeated code so the set has the requested size", () => {
    const a = [0, 0, 0, 0, 0, 0, 0];
    const b = [255, 255, 255, 255, 255, 255, 255];
    expect(generateRecoveryCodes(fixedRandom(a, a, b), 2)).toEqual(["00000-00000", "ZZZZZ-ZZZZZ"]);
  });

  it("fails loudly instead of looping forever on a constant random source", () => {
    expect(() => generateRecoveryCodes(fixedRandom([1, 2, 3, 4, 5, 6, 7]), 2)).toThrow();
  });

  it("R18: uses every symbol about equally often and never repeats across many sets (entropy)", () => {
    const counts = new Map<string, number>();
    const all = new Set<string>();
    const sets = 1000;
    for (let i = 0; i < sets; i++) {
      for (const code of generateRecoveryCodes(random)) {
        all.add(code);
        for (const ch of code.replace("-", "")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
      }
    }
    expect(all.size).toBe(sets * 10);
    expect(counts.size).toBe(32);
    const expected = (sets * 10 * 10) / 32; // 3125 per symbol
    for (const n of counts.values()) {
      // ±15 % is > 8 standard deviations for a fair draw, and catches any modulo bias.
      expect(Math.abs(n - expected) / expected).toBeLessThan(0.15);
    }
  });

  it.each([0, -1, 1.5, 101])("throws TypeError for a count of %d", (count) => {
    expect(() => generateRecoveryCodes(random, count)).toThrow(TypeError);
  });
});

describe("normalizeRecoveryCode", () => {
  it.each([
    ["ABCDE-FGH12", "ABCDEFGH12"],
    ["abcde-fgh12", "ABCDEFGH12"],
    ["ABCDEFGH12", "ABCDEFGH12"],
    [" abcde fgh12 ", "ABCDEFGH12"],
    ["AB-CD-EF-GH-12", "ABCDEFGH12"],
    ["0O0o0-IiLl1", "0000011111"],
  ])("accepts %j as %s (case, spaces, hyphens and Crockford aliases O→0, I/L→1)", (input, normalized) => {
    expect(normalizeRecoveryCode(input)).toBe(normalized);
  });

  it.each([
    ["an empty string", ""],
    ["nine characters", "ABCDE-FGH1"],
    ["eleven characters", "ABCDE-FGH123"],
    ["the letter U, which Crockford excludes", "ABCDE-FGHU2"],
    ["punctuation", "ABCDE_FGH12"],
    ["a dotless ı that uppercases to I", "ABCDE-FGHı2"],
    ["a full-width letter", "ABCDE-FGHＡ2"],
    ["an overlong input", `${" ".repeat(100)}ABCDEFGH12`],
  ])("returns null for %s", (_label, input) => {
    expect(normalizeRecoveryCode(input)).toBeNull();
  });

  it("normalizes every generated code to its 10 characters without the hyphen", () => {
    for (const code of generateRecoveryCodes(random, 20)) {
      expect(normalizeRecoveryCode(code)).toBe(code.replace("-", ""));
      expect(normalizeRecoveryCode(code.toLowerCase())).toBe(code.replace("-", ""));
    }
  });

  it("returns null or exactly 10 alphabet characters for any input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (input) => {
        const normalized = normalizeRecoveryCode(input);
        if (normalized !== null) expect(normalized).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
      }),
    );
  });
});

// Codes issued before keyed hashes (review F6) are Argon2id hashes, still verified as such.
describe("recovery codes stored as Argon2id hashes before keyed hashes (R19)", () => {
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

  it("R19: verifies a typed variant of a code against the Argon2id hash of its normalized form", async () => {
    const [code] = generateRecoveryCodes(random, 1);
    const stored = await hasher.hash(normalizeRecoveryCode(code!)!);
    expect(stored.startsWith("$argon2id$")).toBe(true);
    const typed = normalizeRecoveryCode(` ${code!.toLowerCase().replace("0", "o")} `);
    expect(await hasher.verify(stored, typed!)).toBe(true);
  });

  it("R19: refuses another code and salts each hash individually", async () => {
    const [a, b] = generateRecoveryCodes(random, 2).map((c) => normalizeRecoveryCode(c)!);
    const hashA1 = await hasher.hash(a!);
    const hashA2 = await hasher.hash(a!);
    expect(hashA1).not.toBe(hashA2);
    expect(await hasher.verify(hashA1, b!)).toBe(false);
    expect(await hasher.verify(hashA2, a!)).toBe(true);
  });
});
