// Synchronizer CSRF tokens (R41): derived from the session cookie's token with a server key, so
// a token is worth nothing without the victim's cookie and changes whenever the session rotates.
import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";

export function createCSRF(keyBytes: Uint8Array) {
  // A KeyObject once, not the raw bytes imported again on every page and POST.
  const key = createSecretKey(keyBytes);
  function tokenFor(cookieToken: string): string {
    return createHmac("sha256", key).update("csrf\0").update(cookieToken).digest("base64url");
  }

  return {
    tokenFor,
    /** `expected`: tokenFor(the cookie token), undefined without one. R60: constant time. */
    isValid(expectedToken: string | undefined, submitted: unknown): boolean {
      if (expectedToken === undefined || typeof submitted !== "string") return false;
      const expected = Buffer.from(expectedToken);
      const actual = Buffer.from(submitted);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

export type CSRF = ReturnType<typeof createCSRF>;

/**
 * Contract: a POST from another origin is refused. Browsers send `Origin` on every form POST
 * (Referrer-Policy: same-origin keeps it from being "null"); where it is missing we fall back
 * to `Referer` (OWASP CSRF cheat sheet). With neither, the client is not a browser riding a
 * victim's cookies, and the synchronizer token alone decides (see docs/security.md, R41).
 */
export function isSameOrigin(headers: { origin?: string | undefined; referer?: string | undefined }, expectedOrigin: string): boolean {
  if (headers.origin !== undefined) return headers.origin === expectedOrigin;
  if (headers.referer !== undefined) return originOf(headers.referer) === expectedOrigin;
  return true;
}

/** The origin our pages are served from: GATEHOUSE_PUBLIC_URL's, else the request's own. */
export function expectedOrigin(request: { protocol: string; host: string }, publicURL: URL | undefined): string {
  return publicURL?.origin ?? `${request.protocol}://${request.host}`;
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
