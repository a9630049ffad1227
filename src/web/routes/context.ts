import type { FastifyReply, FastifyRequest } from "fastify";
import type { SignInStep } from "../../core/flow.js";
import type { SessionWithUser } from "../../core/ports.js";
import type { Destination, Page, SignInDecision } from "../../core/sign-in.js";
import { addDeviceToken, clearSessionCookie, readDeviceTokens, setSessionCookie, type CookiePolicy } from "../cookies.js";
import type { CSRF } from "../csrf.js";
import type { WebDeps } from "../deps.js";
import type { Html } from "../html.js";
import type { SitePaths } from "../paths.js";
import { ensureCookieToken, pageContext } from "../visitor.js";

/** What every route module receives: dependencies plus the request helpers built on them. */
export interface RouteContext {
  deps: WebDeps;
  csrf: CSRF;
  cookie: CookiePolicy;
  paths: SitePaths;
}

export function sendPage(reply: FastifyReply, body: Html, status = 200) {
  return reply.code(status).type("text/html; charset=utf-8").send(body.value);
}

export function redirect(reply: FastifyReply, location: string) {
  return reply.code(303).header("location", location).send();
}

/** The address of each page a sign-in decision can lead to; `target` is where the visitor was going. */
export function pagePaths(paths: SitePaths): Record<Page, (target: string) => string> {
  return {
    password: paths.login,
    enroll: () => paths.to("/2fa/setup"),
    challenge: () => paths.to("/2fa"),
    done: (target) => paths.next(target),
    "recovery-codes": () => paths.to("/2fa/recovery-codes"),
    account: () => paths.to("/account"),
    "signed-out": () => paths.to("/login"),
  };
}

export function createRouteHelpers({ deps, csrf, cookie, paths }: RouteContext) {
  const PAGES = pagePaths(paths);
  const addressOf = ({ page, target }: Destination) => PAGES[page](target);

  function setDecisionCookies(request: FastifyRequest, reply: FastifyReply, decision: SignInDecision) {
    if (decision.sessionToken !== undefined) setSessionCookie(reply, cookie, decision.sessionToken);
    if (decision.signedOut) clearSessionCookie(reply, cookie);
    if (decision.rememberToken !== undefined) {
      addDeviceToken(request, reply, cookie, decision.rememberToken, deps.rememberBrowserMs);
    }
  }

  return {
    /** The page's context, giving an anonymous visitor the cookie token its forms' CSRF token needs. */
    pageContextWithCookie(request: FastifyRequest, reply: FastifyReply) {
      ensureCookieToken(request, reply, deps, cookie);
      return pageContext(request, csrf, paths);
    },

    /**
     * The visit when it is at `step` of the flow (R26, R33, R55); otherwise null, with the reply
     * already a redirect to the page of the step it is really at.
     */
    atStep(request: FastifyRequest, reply: FastifyReply, step: SignInStep, target: string): SessionWithUser | null {
      const checked = deps.signIn.atStep(request.visitor.visit, step, target);
      if ("visit" in checked) return checked.visit;
      redirect(reply, addressOf(checked.go));
      return null;
    },

    /** Where a decision leads, as a redirect. */
    go(reply: FastifyReply, go: Destination) {
      return redirect(reply, addressOf(go));
    },

    /** Applies a decision of the core: its cookies, then its redirect. */
    apply(request: FastifyRequest, reply: FastifyReply, decision: SignInDecision) {
      setDecisionCookies(request, reply, decision);
      return redirect(reply, addressOf(decision.go));
    },

    /** A decision's cookies, for an answer that is not a redirect (the JSON API). */
    setDecisionCookies,

    rememberedTokens: (request: FastifyRequest) => readDeviceTokens(request, cookie),
  };
}

export type RouteHelpers = ReturnType<typeof createRouteHelpers>;
