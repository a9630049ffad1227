import type { FastifyReply, FastifyRequest } from "fastify";
import type { SessionRecord, UserRecord } from "../../core/ports.js";
import { clearSessionCookie, setSessionCookie, type CookiePolicy } from "../cookies.js";
import type { CSRF } from "../csrf.js";
import type { WebDeps } from "../deps.js";
import type { Html } from "../html.js";
import { ensureCookieToken, pageContext } from "../visitor.js";

/** What every route module receives: dependencies plus the request helpers built on them. */
export interface RouteContext {
  deps: WebDeps;
  csrf: CSRF;
  cookie: CookiePolicy;
}

export interface SignedIn {
  session: SessionRecord;
  user: UserRecord;
}

export function sendPage(reply: FastifyReply, body: Html, status = 200) {
  return reply.code(status).type("text/html; charset=utf-8").send(body.value);
}

export function redirect(reply: FastifyReply, location: string) {
  return reply.code(303).header("location", location).send();
}

export function loginURL(next: string): string {
  return `/login?next=${encodeURIComponent(next)}`;
}

export function createRouteHelpers({ deps, csrf, cookie }: RouteContext) {
  return {
    context(request: FastifyRequest, reply: FastifyReply) {
      ensureCookieToken(request, reply, deps, cookie);
      return pageContext(request, csrf);
    },

    /** Where a password-verified visitor goes next: enroll first, else the code challenge. */
    async secondFactorPath(userId: string): Promise<string> {
      return (await deps.twoFactor.isEnrolled(userId)) ? "/2fa" : "/2fa/setup";
    },

    fullSignIn(request: FastifyRequest): SignedIn | null {
      const { session, user } = request.visitor;
      return session?.level === "full" && user ? { session, user } : null;
    },

    pendingSignIn(request: FastifyRequest): SignedIn | null {
      const { session, user } = request.visitor;
      return session?.level === "pending" && user ? { session, user } : null;
    },

    startSession(reply: FastifyReply, token: string) {
      setSessionCookie(reply, cookie, token);
    },

    endSession(reply: FastifyReply) {
      clearSessionCookie(reply, cookie);
    },
  };
}

export type RouteHelpers = ReturnType<typeof createRouteHelpers>;
