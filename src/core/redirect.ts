// R45: where `next` may lead after sign-in. A same-origin path, or (forward auth across
// subdomains) an absolute URL on one of the configured return hosts. Everything else falls back
// to "/". Checked when stored and again when used.
const FALLBACK = "/";
const MAX_LENGTH = 2048;

/** The other hosts `next` may lead back to (GATEHOUSE_RETURN_HOSTS), and the one scheme allowed. */
export interface ReturnHosts {
  /** "https:", or "http:" when gatehouse itself is served over http. */
  scheme: "https:" | "http:";
  /** Lower-case host names, each with ":port" when URLs to it carry one; exact matches only. */
  hosts: ReadonlySet<string>;
}

/** The default: `next` is a same-origin path and nothing else. */
export const NO_RETURN_HOSTS: ReturnHosts = { scheme: "https:", hosts: new Set() };

/**
 * scheme "://" authority [path]. The authority allows letters, digits, '.', '-' and a port only:
 * no userinfo ('@'), no escapes ('%'), no IPv6 literal, no backslash, no non-ASCII (an IDN must
 * be listed and sent in its xn-- form), so browsers and this check cannot read two hosts in it.
 */
const ABSOLUTE_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([A-Za-z0-9.-]+(?::[0-9]{1,5})?)(\/.*)?$/s;

function decodeOnce(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function isSafePath(value: string): boolean {
  if (!value.startsWith("/")) return false;
  // "//host" and "/\host" are protocol-relative in browsers.
  if (value[1] === "/" || value[1] === "\\") return false;
  if (value.includes("\\")) return false;
  // Control characters and whitespace: browsers strip tabs/newlines, turning "/\t/evil" into "//evil".
  return !/[\u0000-\u0020\u007f-\u009f]/.test(value);
}

/** `value` as a URL on a return host, normalised (lower-case scheme and host), else null. */
function returnHostURL(value: string, allowed: ReturnHosts): string | null {
  const match = ABSOLUTE_URL.exec(value);
  if (!match) return null;
  const [, scheme = "", authority = "", path = "/"] = match;
  if (`${scheme.toLowerCase()}:` !== allowed.scheme) return null;
  // Exact, case-insensitive: no suffix match ("app.example.com.evil.com"), no trailing dot.
  const host = authority.toLowerCase();
  if (!allowed.hosts.has(host)) return null;
  if (!isSafePath(path)) return null;
  return `${allowed.scheme}//${host}${path}`;
}

/** A URL parser must read the same host we did (a second opinion against parser differentials). */
function parsesToHost(url: string, allowed: ReturnHosts): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  const expected = url.slice(allowed.scheme.length + 2).split("/")[0]?.split(":")[0];
  return parsed.protocol === allowed.scheme && parsed.username === "" && parsed.password === "" && parsed.hostname === expected;
}

/**
 * `raw` when it is a safe `next` (a same-origin path, or a URL on one of `returnHosts`), both as
 * sent and after one percent-decoding; otherwise "/". Non-ASCII characters come back
 * percent-encoded, ready for a Location header.
 */
export function safeNextTarget(raw: unknown, returnHosts: ReturnHosts): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return FALLBACK;
  // Lone surrogates cannot be percent-encoded (encodeURIComponent throws on them).
  if (!raw.isWellFormed()) return FALLBACK;
  const decoded = decodeOnce(raw);
  if (decoded === null) return FALLBACK;
  let target: string | null = null;
  if (isSafePath(raw) && isSafePath(decoded)) target = raw;
  else if (returnHosts.hosts.size > 0 && returnHostURL(decoded, returnHosts) !== null) target = returnHostURL(raw, returnHosts);
  if (target === null) return FALLBACK;
  // A Location header carries ASCII only: non-ASCII characters (and U+2028 and the like) travel
  // percent-encoded, exactly as a browser would send them.
  const encoded = target.replace(/[^\u0000-\u007f]+/gu, (text) => encodeURIComponent(text));
  if (!encoded.startsWith("/") && !parsesToHost(encoded, returnHosts)) return FALLBACK;
  return encoded;
}

/** A same-origin path only (no return hosts): gatehouse's own pages, and a proxy's original URI. */
export function safeNextPath(raw: unknown): string {
  return safeNextTarget(raw, NO_RETURN_HOSTS);
}

/** Whether a `next` that passed safeNextTarget leads to another host (an absolute URL). */
export function isAbsoluteNext(next: string): boolean {
  return !next.startsWith("/");
}
