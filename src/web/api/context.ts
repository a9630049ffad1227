// What every API route shares: the step checks as refusals (pages redirect instead), and a
// decision of the core applied as cookies plus the step it leads to.
import type { FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode, GatehouseError, WrongStepError } from "../../core/errors.js";
import type { SignInStep } from "../../core/flow.js";
import type { SessionWithUser } from "../../core/ports.js";
import type { Enrolling, Page, SignInDecision, Visit } from "../../core/sign-in.js";
import { createRouteHelpers, type RouteContext } from "../routes/context.js";

/** The step a page of the core's decisions belongs to: its own, or where the visitor is then. */
const STEP_OF_PAGE: Record<Page, SignInStep> = {
  password: "password",
  enroll: "enroll",
  challenge: "challenge",
  done: "done",
  "recovery-codes": "done",
  account: "done",
  "signed-out": "password",
};

/** Where a call at the wrong step stands: nobody signed in (401), or the step they are at (409). */
export function wrongStep(step: SignInStep): GatehouseError {
  return step === "password" ? new GatehouseError(ErrorCode.SIGN_IN_REQUIRED, "Sign in to continue.") : new WrongStepError(step);
}

export function createAPIHelpers(route: RouteContext) {
  const { deps, paths } = route;
  const { setDecisionCookies, rememberedTokens } = createRouteHelpers(route);
  const refuse = (visit: Visit) => wrongStep(deps.signIn.stepOf(visit));

  return {
    rememberedTokens,

    /** The visit when it is at `step` of the flow (R26, R33, R55); else the refusal saying where it is. */
    visitAt(request: FastifyRequest, step: SignInStep): SessionWithUser {
      const checked = deps.signIn.atStep(request.visitor.visit, step, "/");
      if ("visit" in checked) return checked.visit;
      throw refuse(request.visitor.visit);
    },

    /** The visit the core's enrollment gate admits (R25, R26, F1), else the refusal. */
    async enrolling(request: FastifyRequest): Promise<Enrolling> {
      const gate = await deps.signIn.enrollment(request.visitor.visit);
      if ("mode" in gate) return gate;
      throw refuse(request.visitor.visit);
    },

    /** Applies a decision: its cookies, and the step it leads to with where "done" opens. */
    apply(request: FastifyRequest, reply: FastifyReply, decision: SignInDecision): { step: SignInStep; next: string } {
      setDecisionCookies(request, reply, decision);
      return { step: STEP_OF_PAGE[decision.go.page], next: paths.next(decision.go.target) };
    },

    /** A decision that did not go where the call asked (another session enrolled first, say). */
    refusalFor: (decision: SignInDecision) => wrongStep(STEP_OF_PAGE[decision.go.page]),
  };
}

export type APIHelpers = ReturnType<typeof createAPIHelpers>;
