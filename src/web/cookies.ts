import type { FastifyReply } from "fastify";

export interface CookiePolicy {
  name: string;
  secure: boolean;
}

/** R34: `__Host-` (Secure, Path=/, no Domain) over https; HttpOnly and SameSite=Lax always. */
export function sessionCookiePolicy(publicURL: URL | undefined): CookiePolicy {
  const secure = publicURL?.protocol === "https:";
  return { name: secure ? "__Host-gatehouse_session" : "gatehouse_session", secure };
}

export function setSessionCookie(reply: FastifyReply, policy: CookiePolicy, token: string): void {
  // No Max-Age: a browser-session cookie; the server enforces idle and absolute timeouts (R35).
  reply.setCookie(policy.name, token, { path: "/", httpOnly: true, sameSite: "lax", secure: policy.secure });
}

export function clearSessionCookie(reply: FastifyReply, policy: CookiePolicy): void {
  reply.clearCookie(policy.name, { path: "/", httpOnly: true, sameSite: "lax", secure: policy.secure });
}
