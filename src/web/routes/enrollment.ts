// Enrolling an authenticator: forced at the first sign-in (R26), again after 2FA was turned
// off, or for a new phone once the account page re-authenticated the user (R25, R39).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { nextStep, transition } from "../../core/flow.js";
import type { SessionRecord } from "../../core/ports.js";
import type { EnrollmentMode } from "../../core/two-factor.js";
import { renderQRCodePNGDataURL } from "../../core/qr.js";
import { sealFlash } from "../flash.js";
import { OTPForm, parseForm } from "../forms.js";
import { originOf } from "../origin.js";
import { setupPage } from "../views/two-factor.js";
import { createRouteHelpers, redirect, sendPage, type RouteContext } from "./context.js";

export function enrollmentRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps, paths } = route;

  /**
   * Who may enroll: a password-only session of an account without a factor; a full session of
   * an account without one; a full session with a new-phone enrollment it started itself after
   * re-authenticating. Each sees and confirms only its own key (F1). Everyone else is sent where
   * they belong, and an active secret is never shown (R25).
   */
  async function enrollmentGate(request: FastifyRequest, reply: FastifyReply) {
    const state = helpers.signInState(request);
    const { session, user, enrolled } = request.visitor;
    if (session && user) {
      if (state.kind === "password-verified" && !state.enrolled) return { state, session, user, mode: modeOf(session, false) };
      if (state.kind === "signed-in") {
        if (!enrolled) return { state, session, user, mode: modeOf(session, false) };
        if (await deps.twoFactor.hasNewPhoneEnrollment(user.id, session.idHash)) {
          return { state, session, user, mode: modeOf(session, true) };
        }
        redirect(reply, paths.to("/account"));
        return null;
      }
    }
    redirect(reply, helpers.stepPath(nextStep(state), "/"));
    return null;
  }

  /** The mode the gate let this session in with (only a new phone passes it while enrolled). */
  function modeOf(session: SessionRecord, enrolled: boolean): EnrollmentMode {
    return { kind: enrolled ? "replace" : "first", sessionIdHash: session.idHash };
  }

  /** This session's own key, also on a form error (S4: never another session's). */
  async function renderSetup(request: FastifyRequest, reply: FastifyReply, error?: string) {
    const { session, user, enrolled } = request.visitor;
    if (!session || !user) throw new Error("setup page rendered without a user");
    const enrollment = await deps.twoFactor.currentEnrollment(user.id, user.username, modeOf(session, enrolled));
    return setupPage(helpers.context(request, reply), {
      qrDataURL: await renderQRCodePNGDataURL(enrollment.keyURI),
      secretBase32: enrollment.secretBase32,
      keyURI: enrollment.keyURI,
      error,
    });
  }

  app.get("/2fa/setup", async (request, reply) => {
    if (!(await enrollmentGate(request, reply))) return reply;
    return sendPage(reply, await renderSetup(request, reply));
  });

  app.post(
    "/2fa/setup",
    { config: { renderFormError: (request, reply, error) => renderSetup(request, reply, error) } },
    async (request, reply) => {
      const gate = await enrollmentGate(request, reply);
      if (!gate) return reply;
      const { otp } = parseForm(OTPForm, request.body);
      const origin = originOf(request);
      const codes = await deps.twoFactor.confirmEnrollment(gate.user.id, otp, gate.mode, origin);
      if (!codes) return redirect(reply, gate.state.kind === "signed-in" ? paths.to("/account") : paths.to("/2fa"));
      const flash = sealFlash(deps.sealer, gate.user.id, { recoveryCodes: codes });
      if (gate.state.kind === "password-verified") transition(gate.state, { type: "enrollment-confirmed" });
      // R37: a new phone ends every other session (remembered browsers ended with the swap).
      if (gate.mode.kind === "replace") await deps.sessions.endOthers(gate.session, origin);
      await helpers.reissueSession(reply, gate.session, "full", flash);
      return redirect(reply, paths.to("/2fa/recovery-codes"));
    },
  );

  app.post("/2fa/setup/new", async (request, reply) => {
    const gate = await enrollmentGate(request, reply);
    if (!gate) return reply;
    await deps.twoFactor.restartEnrollment(gate.user.id, gate.user.username, gate.mode);
    return redirect(reply, paths.to("/2fa/setup"));
  });
}
