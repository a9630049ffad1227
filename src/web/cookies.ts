import type { FastifyReply, FastifyRequest } from "fastify";
import { MAX_REMEMBERED_PER_BROWSER } from "../core/remembered-devices.js";

export interface CookiePolicy {
  session: string;
  device: string;
  secure: boolean;
  /** GATEHOUSE_COOKIE_DOMAIN: the cookies then reach every host under it. */
  domain: string | undefined;
}

/** Every name gatehouse's cookies may carry, whatever the policy: none of them is the upstream's. */
export const OWN_COOKIE_NAMES: ReadonlySet<string> = new Set(
  ["", "__Host-", "__Secure-"].flatMap((prefix) => [`${prefix}gatehouse_session`, `${prefix}gatehouse_device`]),
);

/**
 * R34, R46: HttpOnly and SameSite=Lax always; over https Secure with the `__Host-` prefix (Path=/,
 * no Domain), or `__Secure-` when a Domain is set, which `__Host-` forbids (RFC 6265bis §4.1.3).
 */
export function cookiePolicy(publicURL: URL | undefined, domain?: string): CookiePolicy {
  const secure = publicURL?.protocol === "https:";
  const prefix = !secure ? "" : domain ? "__Secure-" : "__Host-";
  return { session: `${prefix}gatehouse_session`, device: `${prefix}gatehouse_device`, secure, domain };
}

function attributes(policy: CookiePolicy) {
  return { path: "/", httpOnly: true, sameSite: "lax", secure: policy.secure, domain: policy.domain } as const;
}

export function setSessionCookie(reply: FastifyReply, policy: CookiePolicy, token: string): void {
  // No Max-Age: a browser-session cookie; the server enforces idle and absolute timeouts (R35).
  reply.setCookie(policy.session, token, attributes(policy));
}

export function clearSessionCookie(reply: FastifyReply, policy: CookiePolicy): void {
  reply.clearCookie(policy.session, attributes(policy));
}

/** One browser may remember several users: their tokens travel together, newest last. */
export function readDeviceTokens(request: FastifyRequest, policy: CookiePolicy): string[] {
  const value = request.cookies[policy.device];
  return value ? value.split(".").slice(-MAX_REMEMBERED_PER_BROWSER) : [];
}

export function addDeviceToken(
  request: FastifyRequest,
  reply: FastifyReply,
  policy: CookiePolicy,
  token: string,
  lifetimeMs: number,
) {
  const tokens = [...readDeviceTokens(request, policy), token].slice(-MAX_REMEMBERED_PER_BROWSER);
  reply.setCookie(policy.device, tokens.join("."), { ...attributes(policy), maxAge: Math.floor(lifetimeMs / 1000) });
}
