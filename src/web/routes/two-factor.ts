// The second factor at sign-in: the code challenge, recovery codes (R5-R8, R20, R33).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { transition, type SignInEvent, type SignInState } from "../../core/flow.js";
import type { SessionRecord, UserRecord } from "../../core/ports.js";
import { browserLabel } from "../browser-label.js";
import { openFlash, sealFlash } from "../flash.js";
import { ChallengeForm, parseForm, RecoveryForm } from "../forms.js";
import { originOf } from "../origin.js";
import { challengePage, recoveryCodesPage } from "../views/two-factor.js";
import { createRouteHelpers, redirect, sendPage, type RouteContext } from "./context.js";

const DAY_MS = 24 * 60 * 60_000;

export function twoFactorRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps, paths } = route;

  /** R32: the second factor passed; a new session token replaces the pending one. */
  async function completeSignIn(
    reply: FastifyReply,
    pending: { state: SignInState; session: SessionRecord },
    event: SignInEvent,
    flash: string | null,
  ) {
    transition(pending.state, event);
    return helpers.reissueSession(reply, pending.session, "full", flash);
  }

  // GATEHOUSE_REMEMBER_DAYS, a whole number of days in the settings.
  const rememberDays = Math.round(deps.devices.lifetimeMs / DAY_MS);

  app.get("/2fa", async (request, reply) => {
    if (!helpers.requireStep(request, reply, "challenge", "/")) return reply;
    return sendPage(reply, challengePage(helpers.context(request, reply), rememberDays));
  });

  const challengeError = {
    renderFormError: async (request: FastifyRequest, reply: FastifyReply, error: string) =>
      challengePage(helpers.context(request, reply), rememberDays, error),
  };

  /** Runs the check; on success the pending session becomes a full one, carrying `notice`. */
  async function passSecondFactor(
    request: FastifyRequest,
    reply: FastifyReply,
    check: (user: UserRecord) => Promise<string | undefined>,
  ) {
    const pending = helpers.requireStep(request, reply, "challenge", "/");
    if (!pending) return reply;
    const notice = await check(pending.user);
    const flash = notice ? sealFlash(deps.sealer, pending.user.id, { notice }) : null;
    const session = await completeSignIn(reply, pending, { type: "second-factor-accepted" }, flash);
    return redirect(reply, paths.next(session.nextPath));
  }

  app.post("/2fa", { config: challengeError }, (request, reply) =>
    passSecondFactor(request, reply, async (user) => {
      const form = parseForm(ChallengeForm, request.body);
      const origin = originOf(request);
      await deps.twoFactor.verifyCode(user.id, form.otp, origin);
      if (form.remember) {
        const label = browserLabel(request.headers["user-agent"]);
        helpers.rememberBrowser(request, reply, await deps.devices.remember(user.id, label, origin));
      }
      return undefined;
    }),
  );

  // R23: the user learns how many codes are left, and where to set up a new phone.
  app.post("/2fa/recovery", { config: challengeError }, (request, reply) =>
    passSecondFactor(request, reply, async (user) => {
      const form = parseForm(RecoveryForm, request.body);
      const left = await deps.twoFactor.useRecoveryCode(user.id, form.recovery_code, originOf(request));
      return `You signed in with a recovery code; ${left} ${left === 1 ? "code is" : "codes are"} left.`;
    }),
  );

  app.get("/2fa/recovery-codes", async (request, reply) => {
    const signedIn = helpers.requireStep(request, reply, "done", "/");
    if (!signedIn) return reply;
    const next = paths.next(signedIn.session.nextPath);
    const { recoveryCodes: codes } = openFlash(deps.sealer, signedIn.user.id, await deps.sessions.takeFlash(signedIn.session));
    if (!codes) return redirect(reply, next);
    return sendPage(reply, recoveryCodesPage(helpers.context(request, reply), codes, next));
  });
}
