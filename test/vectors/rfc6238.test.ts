// RFC 6238 Appendix B and the derived window fixtures of security.md §2.2-2.3 (R1, R2, R5).
import { describe, expect, it } from "vitest";
import { generateTOTP, timeStepAt, verifyTOTP, type HashAlgorithm } from "../../src/core/totp.js";
import { decodeBase32 } from "../../src/core/base32.js";

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

// RFC 6238 App. A reference code: seed (20 B) for SHA1, seed32 for SHA256, seed64 for SHA512.
const SEEDS: Record<HashAlgorithm, Uint8Array> = {
  SHA1: ascii("12345678901234567890"),
  SHA256: ascii("12345678901234567890123456789012"),
  SHA512: ascii("1234567890123456789012345678901234567890123456789012345678901234"),
};

// [time, T (hex), TOTP, mode] — all 18 rows of Appendix B, Table 1.
const APPENDIX_B: [number, string, string, HashAlgorithm][] = [
  [59, "0000000000000001", "94287082", "SHA1"],
  [59, "0000000000000001", "46119246", "SHA256"],
  [59, "0000000000000001", "90693936", "SHA512"],
  [1111111109, "00000000023523EC", "07081804", "SHA1"],
  [1111111109, "00000000023523EC", "68084774", "SHA256"],
  [1111111109, "00000000023523EC", "25091201", "SHA512"],
  [1111111111, "00000000023523ED", "14050471", "SHA1"],
  [1111111111, "00000000023523ED", "67062674", "SHA256"],
  [1111111111, "00000000023523ED", "99943326", "SHA512"],
  [1234567890, "000000000273EF07", "89005924", "SHA1"],
  [1234567890, "000000000273EF07", "91819424", "SHA256"],
  [1234567890, "000000000273EF07", "93441116", "SHA512"],
  [2000000000, "0000000003F940AA", "69279037", "SHA1"],
  [2000000000, "0000000003F940AA", "90698825", "SHA256"],
  [2000000000, "0000000003F940AA", "38618901", "SHA512"],
  [20000000000, "0000000027BC86AA", "65353130", "SHA1"],
  [20000000000, "0000000027BC86AA", "77737706", "SHA256"],
  [20000000000, "0000000027BC86AA", "47863826", "SHA512"],
];

describe("RFC 6238 Appendix B (R1)", () => {
  it("uses the seeds whose Base32 forms are printed in security.md", () => {
    expect(decodeBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")).toEqual(SEEDS.SHA1);
    expect(decodeBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====")).toEqual(SEEDS.SHA256);
    expect(
      decodeBase32(
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA=",
      ),
    ).toEqual(SEEDS.SHA512);
  });

  it.each(APPENDIX_B)("R1: t=%i (T=%s) gives %s in %s mode", (time, stepHex, totp, algorithm) => {
    expect(timeStepAt(time)).toBe(Number.parseInt(stepHex, 16));
    expect(generateTOTP(SEEDS[algorithm], time, { digits: 8, algorithm })).toBe(totp);
  });

  it.each(APPENDIX_B)("R1: verifyTOTP accepts the Appendix B code for t=%i at its own step in %s mode", (time, stepHex, totp, algorithm) => {
    expect(verifyTOTP(SEEDS[algorithm], totp, time, { digits: 8, algorithm })).toBe(Number.parseInt(stepHex, 16));
  });

  it("R1: supports a time step beyond 2^32 seconds worth of time (RFC 6238 §4.2, year 2603)", () => {
    expect(20000000000).toBeGreaterThan(2 ** 32);
    expect(generateTOTP(SEEDS.SHA1, 20000000000, { digits: 8 })).toBe("65353130");
  });

  it("R2: returns the leading-zero code 07081804 as an 8-character string", () => {
    const code = generateTOTP(SEEDS.SHA1, 1111111109, { digits: 8 });
    expect(code).toBe("07081804");
    expect(code).toHaveLength(8);
    expect(verifyTOTP(SEEDS.SHA1, "07081804", 1111111109, { digits: 8 })).toBe(0x023523ec);
    expect(verifyTOTP(SEEDS.SHA1, "7081804", 1111111109, { digits: 8 })).toBeNull();
  });
});

// [t, T, T-2, T-1, T, T+1, T+2] for the 6-digit SHA1 profile (security.md §2.3).
const WINDOW_FIXTURES: [number, number, string | null, string, string, string, string][] = [
  [59, 1, null, "755224", "287082", "359152", "969429"],
  [1111111109, 37037036, "150727", "731029", "081804", "050471", "266759"],
  [1111111111, 37037037, "731029", "081804", "050471", "266759", "306183"],
  [1234567890, 41152263, "186057", "980357", "005924", "590587", "240500"],
  [2000000000, 66666666, "196847", "940678", "279037", "637009", "353674"],
  [20000000000, 666666666, "257223", "952948", "353130", "128202", "630850"],
];

describe("6-digit window fixtures of security.md §2.3 (R5)", () => {
  const key = SEEDS.SHA1;

  it.each(WINDOW_FIXTURES)("generates the codes of steps T-2..T+2 around t=%i", (time, step, m2, m1, c0, p1, p2) => {
    expect(timeStepAt(time)).toBe(step);
    const period = 30;
    expect(generateTOTP(key, time - period, {})).toBe(m1);
    expect(generateTOTP(key, time)).toBe(c0);
    expect(generateTOTP(key, time + period)).toBe(p1);
    expect(generateTOTP(key, time + 2 * period)).toBe(p2);
    if (m2 !== null) expect(generateTOTP(key, time - 2 * period)).toBe(m2);
  });

  it.each(WINDOW_FIXTURES)("R5: at t=%i accepts T-1, T and T+1 and returns the matching step", (time, step, _m2, m1, c0, p1) => {
    expect(verifyTOTP(key, m1, time)).toBe(step - 1);
    expect(verifyTOTP(key, c0, time)).toBe(step);
    expect(verifyTOTP(key, p1, time)).toBe(step + 1);
  });

  it.each(WINDOW_FIXTURES)("R5: at t=%i rejects a code from two steps ago and from two steps ahead", (time, _step, m2, _m1, _c0, _p1, p2) => {
    if (m2 !== null) expect(verifyTOTP(key, m2, time)).toBeNull();
    expect(verifyTOTP(key, p2, time)).toBeNull();
  });

  it("R5: with window 0 accepts only the current step", () => {
    expect(verifyTOTP(key, "050471", 1111111111, { window: 0 })).toBe(37037037);
    expect(verifyTOTP(key, "081804", 1111111111, { window: 0 })).toBeNull();
    expect(verifyTOTP(key, "266759", 1111111111, { window: 0 })).toBeNull();
  });

  it("R2: accepts the leading-zero 6-digit codes 081804 and 005924 as strings", () => {
    expect(generateTOTP(key, 1111111109)).toBe("081804");
    expect(verifyTOTP(key, "081804", 1111111109)).toBe(37037036);
    expect(verifyTOTP(key, "005924", 1234567890)).toBe(41152263);
    expect(verifyTOTP(key, "5924", 1234567890)).toBeNull();
  });
});

describe("Google Authenticator wiki example secret JBSWY3DPEHPK3PXP", () => {
  const key = decodeBase32("JBSWY3DPEHPK3PXP")!;

  it("decodes to 'Hello!' followed by 0xDEADBEEF", () => {
    expect(Buffer.from(key).toString("hex")).toBe("48656c6c6f21deadbeef");
  });

  it.each([
    [59, "996554"],
    [1111111109, "071271"],
    [1700000000, "324550"],
  ])("generates the SHA1/6/30 code for t=%i as %s", (time, code) => {
    expect(generateTOTP(key, time)).toBe(code);
    expect(verifyTOTP(key, code, time)).toBe(timeStepAt(time));
  });
});
