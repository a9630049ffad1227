// What the upstream app sees of a request, and what the browser sees of the app's answer. The
// app trusts X-Gatehouse-User, so only gatehouse may set it, and no client header may name a user
// or another path (F8 of the December 2026 review); gatehouse's own cookies (session, remembered
// browser) are bearer secrets the app never needs and must never receive or set.
import type { IncomingHttpHeaders } from "node:http";
import type { Identity } from "./access-rules.js";

export const USER_HEADER = "x-gatehouse-user";
/** The user's groups, sorted and comma-separated; absent when they have none. */
export const GROUPS_HEADER = "x-gatehouse-groups";

/** Who gatehouse vouches for, to the upstream (built-in proxy) or to the proxy asking (verify). */
export function identityHeaders(identity: Identity): Record<string, string> {
  const headers: Record<string, string> = { [USER_HEADER]: identity.username };
  if (identity.groups.length > 0) headers[GROUPS_HEADER] = identity.groups.join(",");
  return headers;
}

export interface ForwardingFacts {
  /** The fully signed-in user, or undefined (a public path). */
  identity: Identity | undefined;
  /** The TCP peer of this request. */
  peerAddress: string;
  /** The peer is a trusted proxy: its X-Forwarded-For is kept and extended. */
  peerTrusted: boolean;
  /** The Host header the client sent, passed on unchanged. */
  originalHost: string | undefined;
  /** The scheme and host the client used (from a trusted proxy's headers, or our own). */
  protocol: string;
  host: string;
}

/**
 * A header name as the app may read it: CGI/WSGI turn both "-" and "_" into "_"
 * (HTTP_X_GATEHOUSE_USER), so a client's "X_Gatehouse_User" is X-Gatehouse-User to them.
 */
export function headerKey(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}

/**
 * Never passed on, whoever sent them. Identity headers: apps set up for a generic auth proxy
 * believe them (only gatehouse speaks for the user). Path overrides: IIS URL Rewrite and old
 * Symfony/Zend route on X-Original-URL / X-Rewrite-URL (CVE-2018-14773), which would let a public
 * path serve any other. And the X-Forwarded-* trio gatehouse sets itself, in other spellings.
 */
const NEVER_FORWARDED = new Set([
  USER_HEADER,
  GROUPS_HEADER,
  "remote-user",
  "remote-groups",
  "remote-email",
  "x-remote-user",
  "x-forwarded-user",
  "x-forwarded-email",
  "x-forwarded-groups",
  "x-original-url",
  "x-rewrite-url",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
]);
/** oauth2-proxy's identity headers (X-Auth-Request-User, -Email, -Groups, -Access-Token, ...). */
const NEVER_FORWARDED_PREFIX = "x-auth-request-";

/** The client address and the original path as a proxy in front tells them: a trusted proxy's word only. */
const FROM_TRUSTED_PROXIES_ONLY = new Set([
  "forwarded",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "cf-connecting-ip",
  "x-forwarded-prefix",
  "x-forwarded-uri",
  "x-original-uri",
  "x-forwarded-port",
  "x-forwarded-server",
]);

function isDropped(name: string, peerTrusted: boolean): boolean {
  const key = headerKey(name);
  if (NEVER_FORWARDED.has(key) || key.startsWith(NEVER_FORWARDED_PREFIX)) return true;
  return !peerTrusted && FROM_TRUSTED_PROXIES_ONLY.has(key);
}

/** "name=value" (a Cookie pair or a Set-Cookie line) → "name". */
function cookieName(text: string): string {
  const eq = text.indexOf("=");
  return (eq === -1 ? text : text.slice(0, eq)).trim();
}

/** The Cookie header without the cookies named in `own`; undefined when nothing is left. */
export function withoutCookies(cookieHeader: string | undefined, own: ReadonlySet<string>): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const kept = cookieHeader
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "" && !own.has(cookieName(pair)));
  return kept.length > 0 ? kept.join("; ") : undefined;
}

/** The request headers the upstream receives (X-Forwarded-* as nginx's proxy_add_x_forwarded_for). */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  facts: ForwardingFacts,
  ownCookies: ReadonlySet<string>,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!isDropped(name, facts.peerTrusted)) out[name] = value;
  if (facts.identity !== undefined) Object.assign(out, identityHeaders(facts.identity));

  const cookie = withoutCookies(headers.cookie, ownCookies);
  if (cookie === undefined) delete out.cookie;
  else out.cookie = cookie;

  // The client's own Host, not the upstream's address: the app builds its links from it.
  if (facts.originalHost !== undefined) out.host = facts.originalHost;
  const forwardedFor = headers["x-forwarded-for"];
  out["x-forwarded-for"] = facts.peerTrusted && forwardedFor ? `${forwardedFor}, ${facts.peerAddress}` : facts.peerAddress;
  out["x-forwarded-proto"] = facts.protocol;
  out["x-forwarded-host"] = facts.host;
  return out;
}

/** The upstream's answer headers, minus any Set-Cookie for one of gatehouse's cookie names. */
export function withoutOwnSetCookies(headers: IncomingHttpHeaders, own: ReadonlySet<string>): IncomingHttpHeaders {
  const setCookie = headers["set-cookie"];
  if (setCookie === undefined) return headers;
  const lines = setCookie.filter((line) => !own.has(cookieName(line)));
  const out = { ...headers };
  if (lines.length > 0) out["set-cookie"] = lines;
  else delete out["set-cookie"];
  return out;
}
