import { createHash } from "node:crypto";
import type { RandomSource } from "./ports.js";

/** R31: 256-bit tokens; only their SHA-256 is stored, so a database leak opens no session. */
export function createSessionToken(random: RandomSource): string {
  return Buffer.from(random(32)).toString("base64url");
}

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Tokens are exactly 43 base64url characters; anything else is not looked up at all. */
export function isWellFormedToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
