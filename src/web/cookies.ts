import type { FastifyReply, FastifyRequest } from "fastify";
import { MAX_REMEMBERED_PER_BROWSER } from "../core/remembered-devices.js";

export interface CookiePolicy {
  session: string;
  device: string;
  secure: boolean;
}

/** R34, R46: `__Host-` (Secure, Path=/, no Domain) over https; HttpOnly and SameSite=Lax always. */
export function cookiePolicy(publicURL: URL | undefined): CookiePolicy {
  const secure = publicURL?.protocol === "https:";
  const prefix = secure ? "__Host-" : "";
  return { session: `${prefix}gatehouse_session`, device: `${prefix}gatehouse_device`, secure };
}

function attributes(policy: CookiePolicy) {
  return { path: "/", httpOnly: true, sameSite: "lax", secure: policy.secure } as const;
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
