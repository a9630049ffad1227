import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSealer, type SealingKey } from "../../src/core/seal.js";
import type { RandomSource } from "../../src/core/ports.js";

const random: RandomSource = (n) => randomBytes(n);
const key = (id: string, fill: number): SealingKey => ({ id, key: new Uint8Array(32).fill(fill) });
const OLD = key("old1", 1);
const NEW = key("new2", 2);
const SECRET = new TextEncoder().encode("12345678901234567890");
const AAD = "user:42|factor:7";

/** Flips one bit of character `index` in a base64url segment, keeping the string well-formed. */
function flipSegmentBit(sealed: string, segment: number, byteIndex: number): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[segment]!, "base64url");
  bytes[byteIndex]! ^= 0x01;
  parts[segment] = bytes.toString("base64url");
  return parts.join(".");
}

describe("createSealer (R27)", () => {
  const sealer = createSealer([NEW, OLD], random);

  it("R27: round-trips a secret with the same associated data", () => {
    expect(sealer.open(sealer.seal(SECRET, AAD), AAD)).toEqual(SECRET);
  });

  it("round-trips any plaintext, including the empty one", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.string(), (plaintext, aad) => {
        expect(sealer.open(sealer.seal(plaintext, aad), aad)).toEqual(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it("writes v1.{keyId}.{iv}.{ciphertext+tag} with a 12-byte IV and 16-byte tag, never the plaintext", () => {
    const sealed = sealer.seal(SECRET, AAD);
    const [version, keyId, iv, body] = sealed.split(".");
    expect(version).toBe("v1");
    expect(keyId).toBe("new2");
    expect(Buffer.from(iv!, "base64url")).toHaveLength(12);
    expect(Buffer.from(body!, "base64url")).toHaveLength(SECRET.length + 16);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString("base64url").slice(0, 10));
  });

  it("uses a fresh IV for every seal, so equal secrets do not look equal at rest", () => {
    expect(sealer.seal(SECRET, AAD)).not.toBe(sealer.seal(SECRET, AAD));
  });

  it("R27: returns null when the associated data differs (a secret moved to another user's row)", () => {
    expect(sealer.open(sealer.seal(SECRET, AAD), "user:43|factor:7")).toBeNull();
    expect(sealer.open(sealer.seal(SECRET, AAD), "")).toBeNull();
  });

  it("R27: returns null for a tampered ciphertext, tag or IV", () => {
    const sealed = sealer.seal(SECRET, AAD);
    expect(sealer.open(flipSegmentBit(sealed, 3, 0), AAD)).toBeNull();
    expect(sealer.open(flipSegmentBit(sealed, 3, SECRET.length + 15), AAD)).toBeNull();
    expect(sealer.open(flipSegmentBit(sealed, 2, 5), AAD)).toBeNull();
  });

  it("returns null for an unknown key id", () => {
    const other = createSealer([key("gone9", 9)], random).seal(SECRET, AAD);
    expect(sealer.open(other, AAD)).toBeNull();
    // Same bytes, relabelled with a known id: the wrong key fails authentication.
    expect(sealer.open(other.replace("gone9", "old1"), AAD)).toBeNull();
  });

  it.each([
    ["an empty string", ""],
    ["another version", (s: string) => s.replace(/^v1/, "v2")],
    ["a missing part", (s: string) => s.split(".").slice(0, 3).join(".")],
    ["an extra part", (s: string) => `${s}.x`],
    ["standard base64 characters", (s: string) => `${s.slice(0, -1)}+`],
    ["a truncated body shorter than the tag", (s: string) => s.replace(/\.[^.]*$/, ".AAAA")],
    ["a short IV", (s: string) => s.replace(/^(v1\.[^.]*\.)[^.]*/, "$1AAAA")],
    ["a non-canonical base64url body", (s: string) => `${s}A`],
  ])("returns null instead of throwing for %s", (_label, mutate) => {
    const sealed = sealer.seal(SECRET, AAD);
    const input = typeof mutate === "string" ? mutate : mutate(sealed);
    expect(sealer.open(input, AAD)).toBeNull();
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(sealer.open(s, AAD)).toBeNull();
      }),
    );
  });
});

describe("sealing key rotation", () => {
  it("opens a value sealed with the old key once the ring is [new, old], and seals new values with the new id", () => {
    const before = createSealer([OLD], random);
    const sealedWithOld = before.seal(SECRET, AAD);
    const after = createSealer([NEW, OLD], random);
    expect(after.currentKeyId).toBe("new2");
    expect(after.open(sealedWithOld, AAD)).toEqual(SECRET);
    const resealed = after.seal(SECRET, AAD);
    expect(resealed.split(".")[1]).toBe("new2");
    expect(before.open(resealed, AAD)).toBeNull();
  });

  it("refuses values of a key that was dropped from the ring", () => {
    const sealedWithOld = createSealer([OLD], random).seal(SECRET, AAD);
    expect(createSealer([NEW], random).open(sealedWithOld, AAD)).toBeNull();
  });
});

describe("createSealer misuse", () => {
  it.each([
    ["an empty key ring", []],
    ["a 16-byte key", [{ id: "k", key: new Uint8Array(16) }]],
    ["a 33-byte key", [{ id: "k", key: new Uint8Array(33) }]],
    ["duplicate ids", [key("same", 1), key("same", 2)]],
    ["an id containing the separator", [key("a.b", 1)]],
    ["an empty id", [key("", 1)]],
  ])("throws TypeError for %s", (_label, ring) => {
    expect(() => createSealer(ring as SealingKey[], random)).toThrow(TypeError);
  });

  it("copies the keys, so later changes to the caller's array do not change sealing", () => {
    const material = key("k1", 5);
    const sealer = createSealer([material], random);
    const sealed = sealer.seal(SECRET, AAD);
    material.key.fill(0);
    expect(sealer.open(sealed, AAD)).toEqual(SECRET);
  });
});
