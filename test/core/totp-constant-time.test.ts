// R8: every window candidate is computed and compared in constant time, with no early return,
// so response time does not tell an attacker whether (or at which step) a code matched.
import { describe, expect, it, vi, beforeEach } from "vitest";

const calls = vi.hoisted(() => ({ createHmac: 0, timingSafeEqual: 0 }));

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return {
    ...actual,
    createHmac: (...args: Parameters<typeof actual.createHmac>) => {
      calls.createHmac++;
      return actual.createHmac(...args);
    },
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.timingSafeEqual++;
      expect(a.byteLength).toBe(b.byteLength);
      return actual.timingSafeEqual(a, b);
    },
  };
});

const { verifyTOTP } = await import("../../src/core/totp.js");
const KEY = new TextEncoder().encode("12345678901234567890");
const TIME = 1111111111; // T-1: 081804, T: 050471, T+1: 266759

describe("verifyTOTP timing behaviour (R8, R60)", () => {
  beforeEach(() => {
    calls.createHmac = 0;
    calls.timingSafeEqual = 0;
  });

  it.each([
    ["a code from T-1 (the first candidate)", "081804"],
    ["a code from T", "050471"],
    ["a code from T+1 (the last candidate)", "266759"],
    ["a wrong code", "000000"],
  ])("R8: computes and compares all three candidates for %s", (_label, code) => {
    verifyTOTP(KEY, code, TIME);
    expect(calls.createHmac).toBe(3);
    expect(calls.timingSafeEqual).toBe(3);
  });

  it("R8: computes no HMAC for input that is not a code at all", () => {
    expect(verifyTOTP(KEY, "12345a", TIME)).toBeNull();
    expect(calls.createHmac).toBe(0);
  });
});
