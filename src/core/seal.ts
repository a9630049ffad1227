// Authenticated encryption of secrets at rest (R27): AES-256-GCM with a key id in the envelope so
// keys can rotate — new seals use keyRing[0], old ones still open while their key is in the ring
// (fastify-secure-session rotation). The AAD binds a ciphertext to its row (user id + factor id),
// so a sealed secret copied to another user's row does not open.
import { createCipheriv, createDecipheriv, type KeyObject, createSecretKey } from "node:crypto";
import type { RandomSource } from "./ports.js";

export interface SealingKey {
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

export interface Sealer {
  seal(plaintext: Uint8Array, associatedData: string): string;
  /** Null for an unknown key id, tampering, a wrong AAD or a malformed string; never throws. */
  open(sealed: string, associatedData: string): Uint8Array | null;
  readonly currentKeyId: string;
}

const VERSION = "v1";
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit random IVs
const TAG_BYTES = 16;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;
const MAX_SEALED_LENGTH = 64 * 1024;

function decodeBase64URL(text: string): Buffer | null {
  if (!BASE64URL_PATTERN.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  // Reject non-canonical spellings (stray trailing bits) so each sealed value has one form.
  return bytes.toString("base64url") === text ? bytes : null;
}

export function createSealer(keyRing: SealingKey[], random: RandomSource): Sealer {
  if (!Array.isArray(keyRing) || keyRing.length === 0) throw new TypeError("the key ring must not be empty");
  const keys = new Map<string, KeyObject>();
  for (const entry of keyRing) {
    if (typeof entry.id !== "string" || !KEY_ID_PATTERN.test(entry.id)) {
      throw new TypeError("a key id must be 1-64 characters of [A-Za-z0-9_-]");
    }
    if (!(entry.key instanceof Uint8Array) || entry.key.length !== 32) {
      throw new TypeError(`key ${entry.id} must be 32 bytes for AES-256-GCM`);
    }
    if (keys.has(entry.id)) throw new TypeError(`duplicate key id ${entry.id}`);
    keys.set(entry.id, createSecretKey(entry.key)); // copies the bytes
  }
  const currentKeyId = keyRing[0]!.id;
  const currentKey = keys.get(currentKeyId)!;

  return {
    currentKeyId,
    seal(plaintext, associatedData) {
      const iv = random(IV_BYTES);
      if (iv.length !== IV_BYTES) throw new TypeError("random source returned the wrong length");
      const cipher = createCipheriv("aes-256-gcm", currentKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${currentKeyId}.${Buffer.from(iv).toString("base64url")}.${body.toString("base64url")}`;
    },
    open(sealed, associatedData) {
      if (typeof sealed !== "string" || typeof associatedData !== "string") return null;
      if (sealed.length > MAX_SEALED_LENGTH) return null;
      const parts = sealed.split(".");
      if (parts.length !== 4 || parts[0] !== VERSION) return null;
      const key = keys.get(parts[1]!);
      const iv = decodeBase64URL(parts[2]!);
      const body = decodeBase64URL(parts[3]!);
      if (key === undefined || iv === null || body === null) return null;
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(associatedData, "utf8"));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
        return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length);
      } catch {
        return null; // authentication failed: tampered, wrong key or wrong AAD
      }
    },
  };
}
