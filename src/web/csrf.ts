// Synchronizer CSRF tokens (R41): derived from the session cookie's token with a server key, so
// a token is worth nothing without the victim's cookie and changes whenever the session rotates.
import { createHmac, timingSafeEqual } from "node:crypto";

export function createCSRF(key: Uint8Array) {
  function tokenFor(cookieToken: string): string {
    return createHmac("sha256", key).update("csrf\0").update(cookieToken).digest("base64url");
  }

  return {
    tokenFor,
    /** R60: constant-time comparison of equal-length values. */
    isValid(cookieToken: string | undefined, submitted: unknown): boolean {
      if (cookieToken === undefined || typeof submitted !== "string") return false;
      const expected = Buffer.from(tokenFor(cookieToken));
      const actual = Buffer.from(submitted);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

export type CSRF = ReturnType<typeof createCSRF>;

/**
 * Contract: a POST whose Origin header names another origin is refused. Browsers always send
 * Origin on form POSTs (we use Referrer-Policy: same-origin so it is never "null"); a missing
 * header comes from non-browser clients, which the synchronizer token still covers.
 */
export function isAllowedOrigin(originHeader: string | undefined, expectedOrigin: string): boolean {
  return originHeader === undefined || originHeader === expectedOrigin;
}
