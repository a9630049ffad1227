// The second factor at sign-in: the code challenge, recovery codes (R5-R8, R20, R33). The
// decisions are the core's (src/core/sign-in.ts); these routes parse, call and apply.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { browserLabel } from "../browser-label.js";
import { ChallengeForm, parseForm, RecoveryForm } from "../forms.js";
import { originOf } from "../origin.js";
import { challengePage, recoveryCodesPage } from "../views/two-factor.js";
import { createRouteHelpers, redirect, sendPage, type RouteContext } from "./context.js";

const DAY_MS = 24 * 60 * 60_000;

export function twoFactorRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps, paths } = route;

  // GATEHOUSE_REMEMBER_DAYS, a whole number of days in the settings.
  const rememberDays = Math.round(deps.rememberBrowserMs / DAY_MS);

  app.get("/2fa", async (request, reply) => {
    if (!helpers.atStep(request, reply, "challenge", "/")) return reply;
    return sendPage(reply, challengePage(helpers.pageContextWithCookie(request, reply), rememberDays));
  });

  const challengeError = {
    renderFormError: async (request: FastifyRequest, reply: FastifyReply, error: string) =>
      challengePage(helpers.pageContextWithCookie(request, reply), rememberDays, error),
  };

  app.post("/2fa", { config: challengeError }, async (request, reply) => {
    const visit = helpers.atStep(request, reply, "challenge", "/");
    if (!visit) return reply;
    const form = parseForm(ChallengeForm, request.body);
    const rememberAs = form.remember ? browserLabel(request.headers["user-agent"]) : undefined;
    return helpers.apply(request, reply, await deps.signIn.withCode(visit, form.otp, rememberAs, originOf(request)));
  });

  // R23: the user learns how many codes are left, and where to set up a new phone.
  app.post("/2fa/recovery", { config: challengeError }, async (request, reply) => {
    const visit = helpers.atStep(request, reply, "challenge", "/");
    if (!visit) return reply;
    const form = parseForm(RecoveryForm, request.body);
    return helpers.apply(request, reply, await deps.signIn.withRecoveryCode(visit, form.recovery_code, originOf(request)));
  });

  app.get("/2fa/recovery-codes", async (request, reply) => {
    const visit = helpers.atStep(request, reply, "done", "/");
    if (!visit) return reply;
    const next = paths.next(visit.session.nextPath);
    const codes = await deps.signIn.takeRecoveryCodes(visit);
    if (!codes) return redirect(reply, next);
    return sendPage(reply, recoveryCodesPage(helpers.pageContextWithCookie(request, reply), codes, next));
  });
}
