// The gateway's path rule: a request path reaches the upstream app (or is matched against the
// public paths) only when it is already in normal form, so gatehouse and the app can never read
// one path two ways (RFC 3986 §6.2.2: percent-decoding of unreserved characters and removal of
// dot segments; backslashes and encoded slashes, which servers disagree on, are refused too).
// Anything else is answered with 400 before any sign-in check or proxying.

/** RFC 3986 §2.3: a percent-encoded unreserved character is a second spelling of that character. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function isNormalEscape(path: string, at: number): boolean {
  const hex = path.slice(at + 1, at + 3);
  if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return false;
  const byte = Number.parseInt(hex, 16);
  // "/" and "\" encoded would be separators to some servers and not to others; NUL truncates.
  if (byte === 0x2f || byte === 0x5c || byte === 0x00) return false;
  // "%252e" is "%2e" to a server that decodes twice, and so "." to it.
  if (byte === 0x25 && /^[0-9A-Fa-f]{2}$/.test(path.slice(at + 3, at + 5))) return false;
  return !UNRESERVED.test(String.fromCharCode(byte));
}

/**
 * True when `path` (no query) is in normal form: starts with one "/", has no empty, "." or ".."
 * segment (also not as "..;param", which Java servers read as ".."), no backslash, fragment or
 * control character, and every percent escape is well formed and not an unreserved character,
 * "/", "\", NUL or a double-encoded escape ("%25" followed by two hex digits).
 */
export function isNormalPath(path: string): boolean {
  if (!path.startsWith("/")) return false;
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || code === 0x5c /* \ */ || code === 0x23 /* # */) return false;
    if (code === 0x25 /* % */ && !isNormalEscape(path, i)) return false;
  }
  const segments = path.slice(1).split("/");
  return segments.every((segment, index) => {
    const name = segment.split(";", 1)[0];
    if (name === "." || name === "..") return false;
    // Only the last segment may be empty: "/a/" is fine, "//a" and "/a//b" are not.
    return segment !== "" || index === segments.length - 1;
  });
}

/**
 * True when `path` is `prefix` or below it in any letter case: such a path is gatehouse's own
 * and never the upstream's, whatever the router made of it.
 */
export function isUnderPrefix(path: string, prefix: string): boolean {
  const head = path.slice(0, prefix.length).toLowerCase();
  return head === prefix.toLowerCase() && (path.length === prefix.length || path[prefix.length] === "/");
}
