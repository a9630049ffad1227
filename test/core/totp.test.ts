import fc from "fast-check";
import * as OTPAuth from "otpauth";
import { generateSync as otplibGenerateSync } from "otplib";
import { describe, expect, it } from "vitest";
import {
  generateHOTP,
  generateTOTP,
  parseOTPInput,
  timeStepAt,
  verifyTOTP,
  type HashAlgorithm,
} from "../../src/core/totp.js";

const KEY = new TextEncoder().encode("12345678901234567890");

describe("parseOTPInput (R8)", () => {
  it.each([
    ["123456", "123456"],
    ["123 456", "123456"],
    [" 123456 ", "123456"],
    ["1 2 3 4 5 6", "123456"],
    ["081804", "081804"],
  ])("R8: accepts %j as %s", (input, parsed) => {
    expect(parseOTPInput(input)).toBe(parsed);
  });

  it.each([
    ["an empty string", ""],
    ["five digits", "12345"],
    ["seven digits", "1234567"],
    ["a letter", "12345a"],
    ["a hyphen", "123-456"],
    ["a tab", "123\t456"],
    ["a newline", "123456\n"],
    ["a non-breaking space", "123\u00a0456"],
    ["Arabic-Indic digits", "\u0661\u0662\u0663\u0664\u0665\u0666"],
    ["full-width digits", "１２３４５６"],
    ["a sign", "+12345"],
    ["an exponent", "1e5000"],
  ])("R8: rejects %s", (_label, input) => {
    expect(parseOTPInput(input)).toBeNull();
  });

  it("checks the configured number of digits", () => {
    expect(parseOTPInput("12345678", 8)).toBe("12345678");
    expect(parseOTPInput("123456", 8)).toBeNull();
  });

  it("rejects absurdly long input without scanning it", () => {
    expect(parseOTPInput(" ".repeat(10_000) + "123456")).toBeNull();
  });

  it("returns either null or exactly six ASCII digits for any input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (input) => {
        const parsed = parseOTPInput(input);
        if (parsed !== null) expect(parsed).toMatch(/^[0-9]{6}$/);
      }),
    );
  });
});

describe("verifyTOTP", () => {
  const time = 1111111111; // T = 37037037, code 050471

  it("R8: returns null for a code that is not exactly the configured number of ASCII digits", () => {
    expect(verifyTOTP(KEY, "50471", time)).toBeNull();
    expect(verifyTOTP(KEY, "0050471", time)).toBeNull();
    expect(verifyTOTP(KEY, "050 471", time)).toBeNull();
    expect(verifyTOTP(KEY, " 50471", time)).toBeNull();
    expect(verifyTOTP(KEY, "05047１", time)).toBeNull();
    expect(verifyTOTP(KEY, "", time)).toBeNull();
  });

  it("returns null for a wrong code", () => {
    expect(verifyTOTP(KEY, "000000", time)).toBeNull();
  });

  it("returns the matched step, which the caller stores as last_used_step (R6)", () => {
    expect(verifyTOTP(KEY, "050471", time)).toBe(timeStepAt(time));
  });

  it("is unaffected by a previous call with another digit count (scratch buffers are per length)", () => {
    expect(verifyTOTP(KEY, "14050471", time, { digits: 8 })).toBe(37037037);
    expect(verifyTOTP(KEY, "050471", time)).toBe(37037037);
    expect(verifyTOTP(KEY, "14050471", time, { digits: 8 })).toBe(37037037);
  });

  it("accepts fractional times such as Clock.now() / 1000 and uses the step they fall in", () => {
    expect(verifyTOTP(KEY, "050471", 1111111110.999, { window: 0 })).toBe(37037037);
    expect(verifyTOTP(KEY, "050471", 1111111109.999, { window: 0 })).toBeNull();
  });

  it("does not look before step 0 in the first period after the epoch", () => {
    expect(verifyTOTP(KEY, "755224", 0)).toBe(0);
    expect(verifyTOTP(KEY, "287082", 29)).toBe(1);
  });

  it("honours a non-default period", () => {
    // t = 59 with a 60 s period is step 0, whose code is RFC 4226 HOTP(0).
    expect(verifyTOTP(KEY, "755224", 59, { periodSeconds: 60, window: 0 })).toBe(0);
  });

  it.each([
    ["an empty key", () => verifyTOTP(new Uint8Array(0), "123456", 0)],
    ["5 digits", () => verifyTOTP(KEY, "12345", 0, { digits: 5 })],
    ["9 digits", () => verifyTOTP(KEY, "123456789", 0, { digits: 9 })],
    ["a negative window", () => verifyTOTP(KEY, "123456", 0, { window: -1 })],
    ["a fractional window", () => verifyTOTP(KEY, "123456", 0, { window: 0.5 })],
    ["an unbounded window", () => verifyTOTP(KEY, "123456", 0, { window: 1000 })],
    ["a NaN time", () => verifyTOTP(KEY, "123456", Number.NaN)],
    ["a negative time", () => verifyTOTP(KEY, "123456", -1)],
    ["a time whose step is not a safe integer", () => verifyTOTP(KEY, "123456", 1e300)],
    ["a zero period", () => verifyTOTP(KEY, "123456", 0, { periodSeconds: 0 })],
    ["an unknown algorithm", () => verifyTOTP(KEY, "123456", 0, { algorithm: "MD5" as HashAlgorithm })],
  ])("throws TypeError on misuse: %s", (_label, call) => {
    expect(call).toThrow(TypeError);
  });
});

describe("generateHOTP", () => {
  it("builds the counter as 8 big-endian bytes beyond 2^32 (RFC 6238 §4.2)", () => {
    // Counters that differ only above bit 32 must give different codes (no 32-bit truncation).
    const low = generateHOTP(KEY, 5);
    const high = generateHOTP(KEY, 2 ** 32 + 5);
    expect(high).not.toBe(low);
    expect(generateHOTP(KEY, 2n ** 32n + 5n)).toBe(high);
    expect(generateHOTP(KEY, 2n ** 64n - 1n)).toMatch(/^[0-9]{6}$/);
  });

  it.each([
    ["a negative counter", () => generateHOTP(KEY, -1)],
    ["a fractional counter", () => generateHOTP(KEY, 1.5)],
    ["an unsafe integer", () => generateHOTP(KEY, 2 ** 60)],
    ["a counter of 2^64", () => generateHOTP(KEY, 2n ** 64n)],
  ])("throws TypeError on misuse: %s", (_label, call) => {
    expect(call).toThrow(TypeError);
  });
});

// Differential tests: an independent implementation must agree on random secrets and times.
const algorithmArb = fc.constantFrom<HashAlgorithm>("SHA1", "SHA256", "SHA512");
const timeArb = fc.integer({ min: 0, max: 2 ** 36 });

function otpauthTOTP(secret: Uint8Array, algorithm: HashAlgorithm, digits: number, period: number): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: secret.slice().buffer }), algorithm, digits, period });
}

describe("differential tests against the otpauth package", () => {
  it("generateTOTP equals otpauth's TOTP.generate for random secrets, times and profiles", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        timeArb,
        algorithmArb,
        fc.integer({ min: 6, max: 8 }),
        fc.constantFrom(15, 30, 60),
        (secret, time, algorithm, digits, period) => {
          const theirs = otpauthTOTP(secret, algorithm, digits, period).generate({ timestamp: time * 1000 });
          expect(generateTOTP(secret, time, { algorithm, digits, periodSeconds: period })).toBe(theirs);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("R5: verifyTOTP agrees with otpauth's validate(window 1) on codes from steps T-3..T+3", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), timeArb, fc.integer({ min: -3, max: 3 }), (secret, time, offset) => {
        if (time + offset * 30 < 0) return; // no codes before the epoch
        const totp = otpauthTOTP(secret, "SHA1", 6, 30);
        const code = totp.generate({ timestamp: (time + offset * 30) * 1000 });
        const theirs = totp.validate({ token: code, timestamp: time * 1000, window: 1 });
        const ours = verifyTOTP(secret, code, time);
        expect(ours === null ? null : ours - timeStepAt(time)).toBe(theirs);
        if (Math.abs(offset) <= 1) expect(ours).toBe(timeStepAt(time) + offset);
      }),
      { numRuns: 500 },
    );
  });
});

describe("differential tests against the otplib package", () => {
  it("generateTOTP equals otplib's generateSync for random 16-64-byte secrets and times", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), timeArb, algorithmArb, (secret, time, algorithm) => {
        const theirs = otplibGenerateSync({
          secret,
          epoch: time,
          algorithm: algorithm.toLowerCase() as "sha1" | "sha256" | "sha512",
        });
        expect(generateTOTP(secret, time, { algorithm })).toBe(theirs);
      }),
      { numRuns: 200 },
    );
  });
});
