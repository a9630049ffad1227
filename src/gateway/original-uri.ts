// Which request a proxy in front asks about (forward auth). Proxies use different headers for it,
// and a proxy passes on the client's copies of the ones it does not set itself: nginx's own
// auth_request example sets only X-Original-URI, so a client's X-Forwarded-Uri rode along and, read
// first, made any path look public (F4 of the December 2026 review). So every copy of every such
// header must name the same request, or the request is refused.
import { headerKey } from "./upstream-headers.js";

/** Traefik (X-Forwarded-Uri), nginx (X-Original-URI), IIS and others (X-Original-URL). */
const ORIGINAL_URI_HEADERS = new Set(["x-forwarded-uri", "x-original-uri", "x-original-url"]);

/** The request carries two different original URIs: which one the proxy serves is unknown. */
export const CONFLICTING = Symbol("conflicting original URIs");

/**
 * The one URI that every copy of the original-URI headers names, in any spelling of their names
 * (`rawHeaders` as Node gives them: name, value, name, value...). Undefined when there is none;
 * CONFLICTING when two copies differ at all, even in a way that might mean the same path.
 */
export function namedOriginalURI(rawHeaders: readonly string[]): string | undefined | typeof CONFLICTING {
  let named: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (!ORIGINAL_URI_HEADERS.has(headerKey(rawHeaders[i]!))) continue;
    const value = rawHeaders[i + 1]!;
    if (named !== undefined && value !== named) return CONFLICTING;
    named = value;
  }
  return named;
}
