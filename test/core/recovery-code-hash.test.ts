import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveKeys } from "../../src/core/keys.js";
import { createRecoveryCodeHasher } from "../../src/core/recovery-code-hash.js";

const OLD = deriveKeys(Uint8Array.from({ length: 32 }, (_, i) => i)).recoveryCodeKey;
const NEW = deriveKeys(Uint8Array.from({ length: 32 }, (_, i) => 255 - i)).recoveryCodeKey;
const CODE = "ABCDEFGH12";

describe("recovery codes as keyed hashes (R19, review F6)", () => {
  it("stores HMAC-SHA256 over the user id and the code under the current key, named by its key id", () => {
    const stored = createRecoveryCodeHasher([NEW, OLD]).hash("user-1", CODE);
    const tag = createHmac("sha256", NEW.key).update(`user-1\u0000${CODE}`).digest("base64url");
    expect(stored).toBe(`hmac-sha256$${NEW.id}$${tag}`);
  });

  it("matches the same code of the same user only", () => {
    const hasher = createRecoveryCodeHasher([NEW]);
    const stored = hasher.hash("user-1", CODE);
    expect(hasher.check(stored, "user-1", CODE)).toBe("match");
    expect(hasher.check(stored, "user-1", "ABCDEFGH13")).toBe("no-match");
    // A row copied to another account does not work there.
    expect(hasher.check(stored, "user-2", CODE)).toBe("no-match");
  });

  it("checks a code tagged under an older key while that key is in the ring, and never after", () => {
    const stored = createRecoveryCodeHasher([OLD]).hash("user-1", CODE);
    expect(createRecoveryCodeHasher([NEW, OLD]).check(stored, "user-1", CODE)).toBe("match");
    expect(createRecoveryCodeHasher([NEW]).check(stored, "user-1", CODE)).toBe("no-match");
  });

  it("leaves Argon2id hashes (codes stored before keyed hashes) to the password hasher", () => {
    const hasher = createRecoveryCodeHasher([NEW]);
    expect(hasher.check("$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "user-1", CODE)).toBe("legacy");
  });

  it("refuses a malformed tag of a known key without throwing", () => {
    const hasher = createRecoveryCodeHasher([NEW]);
    expect(hasher.check(`hmac-sha256$${NEW.id}$`, "user-1", CODE)).toBe("no-match");
    expect(hasher.check(`hmac-sha256$${NEW.id}$!!not base64!!`, "user-1", CODE)).toBe("no-match");
  });

  it("throws TypeError for an empty key ring", () => {
    expect(() => createRecoveryCodeHasher([])).toThrow(TypeError);
  });
});
