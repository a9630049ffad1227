import { createHash, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveKeys } from "../../src/core/keys.js";
import { createSealer } from "../../src/core/seal.js";

const MASTER = Uint8Array.from({ length: 32 }, (_, i) => i);

describe("deriveKeys", () => {
  it("derives 32-byte sealing and CSRF keys with HKDF-SHA256 and distinct labels", () => {
    const keys = deriveKeys(MASTER);
    const expectedSeal = new Uint8Array(hkdfSync("sha256", MASTER, new Uint8Array(0), "gatehouse seal v1", 32));
    const expectedCSRF = new Uint8Array(hkdfSync("sha256", MASTER, new Uint8Array(0), "gatehouse csrf v1", 32));
    expect(keys.sealingKey.key).toEqual(expectedSeal);
    expect(keys.csrfKey).toEqual(expectedCSRF);
    expect(keys.sealingKey.key).not.toEqual(keys.csrfKey);
    expect(keys.sealingKey.key).not.toEqual(MASTER);
  });

  it("derives the recovery code key with its own label, named like the sealing key", () => {
    const keys = deriveKeys(MASTER);
    const expected = new Uint8Array(hkdfSync("sha256", MASTER, new Uint8Array(0), "gatehouse recovery v1", 32));
    expect(keys.recoveryCodeKey).toEqual({ id: keys.keyId, key: expected });
    expect(keys.recoveryCodeKey.key).not.toEqual(keys.sealingKey.key);
    expect(keys.recoveryCodeKey.key).not.toEqual(keys.csrfKey);
  });

  it("names the sealing key by the first 8 hex digits of SHA-256 over the derived key, not the master", () => {
    const keys = deriveKeys(MASTER);
    const expected = createHash("sha256").update(keys.sealingKey.key).digest("hex").slice(0, 8);
    expect(keys.keyId).toBe(expected);
    expect(keys.sealingKey.id).toBe(expected);
    expect(keys.keyId).not.toBe(createHash("sha256").update(MASTER).digest("hex").slice(0, 8));
  });

  it("is deterministic, and a different master gives different keys and a different key id", () => {
    expect(deriveKeys(MASTER)).toEqual(deriveKeys(Uint8Array.from(MASTER)));
    const other = deriveKeys(Uint8Array.from(MASTER, (b) => b ^ 0xff));
    expect(other.keyId).not.toBe(deriveKeys(MASTER).keyId);
    expect(other.csrfKey).not.toEqual(deriveKeys(MASTER).csrfKey);
  });

  it("produces a sealing key the sealer accepts", () => {
    const sealer = createSealer([deriveKeys(MASTER).sealingKey], () => new Uint8Array(12));
    expect(sealer.open(sealer.seal(new Uint8Array([1, 2, 3]), "aad"), "aad")).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("R54: throws TypeError for a master secret shorter than 32 bytes", () => {
    expect(() => deriveKeys(new Uint8Array(31))).toThrow(TypeError);
    expect(() => deriveKeys(new Uint8Array(0))).toThrow(TypeError);
    expect(() => deriveKeys(new Uint8Array(64))).not.toThrow();
  });
});
