// Who is asking: resolved once per request from the session cookie, server-side only (R55).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createSessionToken, isWellFormedToken } from "../core/session-tokens.js";
import type { Visit } from "../core/sign-in.js";
import { setSessionCookie, type CookiePolicy } from "./cookies.js";
import type { CSRF } from "./csrf.js";
import type { WebDeps } from "./deps.js";
import type { SitePaths } from "./paths.js";
import type { PageContext } from "./views/layout.js";

export interface Visitor {
  /** The cookie's token: a session's, or an anonymous one that only seeds the CSRF token. */
  cookieToken: string | undefined;
  /** The live session behind the token and its user, read in one query; null for nobody. */
  visit: Visit;
  /** The CSRF token of `cookieToken`, derived once: a form POST checks it and its page shows it. */
  csrf?: { cookieToken: string; token: string };
}

declare module "fastify" {
  interface FastifyRequest {
    visitor: Visitor;
  }
  interface FastifyContextConfig {
    /** Routes that never look at the session (health checks, the stylesheet). */
    sessionless?: boolean;
  }
}

const NO_VISITOR: Visitor = { cookieToken: undefined, visit: null };

export function registerVisitor(app: FastifyInstance, deps: WebDeps, cookie: CookiePolicy): void {
  app.decorateRequest("visitor", null as unknown as Visitor);
  app.addHook("onRequest", async (request) => {
    // A health probe must report the database, not fail on a session lookup first; the gateway's
    // routes look the session up themselves, and only when they need it.
    request.visitor = request.routeOptions.config?.sessionless ? { ...NO_VISITOR } : await resolveVisitor(request, deps, cookie);
  });
}

/** The session and user behind the request's cookie, if any. */
export async function resolveVisitor(request: FastifyRequest, deps: WebDeps, cookie: CookiePolicy): Promise<Visitor> {
  const raw = request.cookies[cookie.session];
  // Anything but a token of our shape is no cookie at all (and gets a fresh one on a page).
  const cookieToken = raw !== undefined && isWellFormedToken(raw) ? raw : undefined;
  // One joined query: this runs on every request, the forward-auth check included.
  return { cookieToken, visit: await deps.sessions.resolveWithUser(cookieToken) };
}

/** The visitor behind a cookie token again, later, without counting as their activity (an open WebSocket). */
export async function recheckVisitor(cookieToken: string | undefined, deps: WebDeps): Promise<Visitor> {
  return { cookieToken, visit: await deps.sessions.recheckWithUser(cookieToken) };
}

/** Gives an anonymous visitor a cookie token so its forms can carry a CSRF token (R41, login CSRF). */
export function ensureCookieToken(request: FastifyRequest, reply: FastifyReply, deps: WebDeps, cookie: CookiePolicy) {
  if (request.visitor.cookieToken === undefined) {
    const token = createSessionToken(deps.random);
    setSessionCookie(reply, cookie, token);
    request.visitor.cookieToken = token;
  }
}

/** The visitor's CSRF token (R41), undefined without a cookie token. */
export function csrfTokenOf(visitor: Visitor, csrf: CSRF): string | undefined {
  const { cookieToken } = visitor;
  if (cookieToken === undefined) return undefined;
  if (visitor.csrf?.cookieToken !== cookieToken) visitor.csrf = { cookieToken, token: csrf.tokenFor(cookieToken) };
  return visitor.csrf.token;
}

export function pageContext(request: FastifyRequest, csrf: CSRF, paths: SitePaths): PageContext {
  const visitor = request.visitor ?? { ...NO_VISITOR };
  return {
    paths,
    csrfToken: csrfTokenOf(visitor, csrf) ?? "",
    username: visitor.visit?.user.username,
  };
}
