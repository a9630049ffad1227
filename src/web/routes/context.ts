import type { FastifyReply, FastifyRequest } from "fastify";
import { nextStep, type SignInState, type SignInStep } from "../../core/flow.js";
import type { SessionLevel, SessionRecord } from "../../core/ports.js";
import {
  addDeviceToken,
  clearSessionCookie,
  readDeviceTokens,
  setSessionCookie,
  type CookiePolicy,
} from "../cookies.js";
import type { CSRF } from "../csrf.js";
import type { WebDeps } from "../deps.js";
import { openFlash } from "../flash.js";
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

/** The page of each step of the flow; `target` is where the visitor was going. */
export function stepPaths(paths: SitePaths): Record<SignInStep, (target: string) => string> {
  return {
    password: paths.login,
    enroll: () => paths.to("/2fa/setup"),
    challenge: () => paths.to("/2fa"),
    done: (target) => target,
  };
}

export function createRouteHelpers({ deps, csrf, cookie, paths }: RouteContext) {
  const STEP_PATHS = stepPaths(paths);

  /** R55: the visitor's place in the sign-in flow, from server-side state only. */
  function signInState(request: FastifyRequest): SignInState {
    const { session, user, enrolled } = request.visitor;
    if (!session || !user) return { kind: "anonymous" };
    if (session.level === "full") return { kind: "signed-in", userId: user.id };
    return { kind: "password-verified", userId: user.id, enrolled };
  }

  return {
    signInState,

    context(request: FastifyRequest, reply: FastifyReply) {
      ensureCookieToken(request, reply, deps, cookie);
      return pageContext(request, csrf, paths);
    },

    /**
     * Lets the request through only when the visitor is at `step` of the flow (R26, R33, R55);
     * otherwise answers with a redirect to the page of the step they are really at.
     */
    requireStep(request: FastifyRequest, reply: FastifyReply, step: SignInStep, target: string) {
      const state = signInState(request);
      const actual = nextStep(state);
      const { session, user } = request.visitor;
      if (actual === step && session && user) return { state, session, user };
      redirect(reply, STEP_PATHS[actual](target));
      return null;
    },

    stepPath: (step: SignInStep, target: string) => STEP_PATHS[step](target),

    /** A one-time notice for this page; new recovery codes stay for their own page. */
    async takeNotice(request: FastifyRequest): Promise<string | undefined> {
      const { session, user } = request.visitor;
      if (!session?.flash || !user) return undefined;
      const flash = openFlash(deps.sealer, user.id, session.flash);
      if (flash.recoveryCodes || !flash.notice) return undefined;
      return (await deps.sessions.takeFlash(session)) ? flash.notice : undefined;
    },

    startSession(reply: FastifyReply, token: string) {
      setSessionCookie(reply, cookie, token);
    },

    /** R32: a new token (and cookie) for a privilege change or a re-authentication. */
    async reissueSession(reply: FastifyReply, session: SessionRecord, level: SessionLevel, flash: string | null) {
      const issued = await deps.sessions.reissue(session, level, flash);
      setSessionCookie(reply, cookie, issued.token);
      return issued.session;
    },

    rememberBrowser(request: FastifyRequest, reply: FastifyReply, token: string) {
      addDeviceToken(request, reply, cookie, token, deps.devices.lifetimeMs);
    },

    rememberedTokens: (request: FastifyRequest) => readDeviceTokens(request, cookie),

    endSession(reply: FastifyReply) {
      clearSessionCookie(reply, cookie);
    },
  };
}

export type RouteHelpers = ReturnType<typeof createRouteHelpers>;
