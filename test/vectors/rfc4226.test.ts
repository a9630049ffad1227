// RFC 4226 Appendix D and §5.4, copied from security.md §2.1 (R1, R2).
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateHOTP, truncate } from "../../src/core/totp.js";
import { decodeBase32 } from "../../src/core/base32.js";

const SECRET = new TextEncoder().encode("12345678901234567890");

// [count, HMAC-SHA-1 hex, truncated decimal, HOTP]
const APPENDIX_D: [number, string, number, string][] = [
  [0, "cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, "755224"],
  [1, "75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, "287082"],
  [2, "0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, "359152"],
  [3, "66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, "969429"],
  [4, "a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, "338314"],
  [5, "a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, "254676"],
  [6, "bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, "287922"],
  [7, "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, "162583"],
  [8, "1b3c89f65e6c9e883012052823443f048b4332db", 673399871, "399871"],
  [9, "1637409809a679dc698207310c8c7fc07290d9e5", 645520489, "520489"],
];

describe("RFC 4226 Appendix D (R1)", () => {
  it("uses the secret whose Base32 form is printed in security.md", () => {
    expect(decodeBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")).toEqual(SECRET);
  });

  it.each(APPENDIX_D)("R1: counter %i gives HOTP %s", (count, _hmac, _decimal, hotp) => {
    expect(generateHOTP(SECRET, count)).toBe(hotp);
    expect(generateHOTP(SECRET, BigInt(count))).toBe(hotp);
  });

  it.each(APPENDIX_D)("R1: counter %i has the intermediate HMAC and truncation of Tables 1-2", (count, hmacHex, decimal, hotp) => {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(count));
    const hmac = createHmac("sha1", SECRET).update(counter).digest();
    expect(hmac.toString("hex")).toBe(hmacHex);
    // 8-digit truncation keeps more of the 31-bit value: its last 6 digits are the HOTP.
    expect(truncate(hmac, 8)).toBe(String(decimal % 100_000_000).padStart(8, "0"));
    expect(truncate(hmac, 6)).toBe(hotp);
  });
});

describe("RFC 4226 §5.4 dynamic truncation example (R1)", () => {
  it("R1: truncates the §5.4 HMAC bytes to 872921 using the offset from the last byte", () => {
    const hmac = Uint8Array.from(
      "1f 86 98 69 0e 02 ca 16 61 85 50 ef 7f 19 da 8e 94 5b 55 5a".split(" ").map((h) => parseInt(h, 16)),
    );
    expect(truncate(hmac, 6)).toBe("872921");
    // DBC = 0x50ef7f19 = 1357872921; 7 and 8 digits keep more of it.
    expect(0x50ef7f19).toBe(1357872921);
    expect(truncate(hmac, 7)).toBe("7872921");
    expect(truncate(hmac, 8)).toBe("57872921");
  });

  it("clears the top bit of the selected word so the value is a 31-bit positive integer", () => {
    const hmac = new Uint8Array(20).fill(0xff);
    hmac[19] = 0x00; // offset 0 → 0xffffffff & 0x7fffffff = 2147483647
    expect(truncate(hmac, 8)).toBe("47483647");
    expect(truncate(hmac, 6)).toBe("483647");
  });

  it("R2: zero-pads a truncated value that has fewer digits than configured", () => {
    const hmac = new Uint8Array(20); // offset 0, DBC 0
    hmac[3] = 7;
    expect(truncate(hmac, 6)).toBe("000007");
    expect(truncate(hmac, 8)).toBe("00000007");
  });
});
