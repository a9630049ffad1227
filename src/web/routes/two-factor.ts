// The second factor: forced enrollment, the code challenge, recovery codes (R24-R26, R33).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { renderQRCodePNGDataURL } from "../../core/qr.js";
import { safeNextPath } from "../../core/redirect.js";
import type { SessionRecord } from "../../core/ports.js";
import { OTPForm, parseForm, RecoveryForm } from "../forms.js";
import { challengePage, recoveryCodesPage, setupPage } from "../views/two-factor.js";
import { createRouteHelpers, loginURL, redirect, sendPage, type RouteContext, type SignedIn } from "./context.js";

const flashAAD = (userId: string) => `recovery-codes-flash:${userId}`;

export function twoFactorRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps } = route;

  /**
   * R26, R33: the 2FA pages serve only a password-verified session, and only the step it is on.
   * Returns the sign-in when `step` is the visitor's current step, else answers with a redirect.
   */
  async function gate(request: FastifyRequest, reply: FastifyReply, step: "/2fa" | "/2fa/setup") {
    if (helpers.fullSignIn(request)) {
      redirect(reply, "/");
      return null;
    }
    const pending = helpers.pendingSignIn(request);
    if (!pending) {
      redirect(reply, loginURL("/"));
      return null;
    }
    const current = await helpers.secondFactorPath(pending.user.id);
    if (current !== step) {
      redirect(reply, current);
      return null;
    }
    return pending;
  }

  async function renderSetup(request: FastifyRequest, reply: FastifyReply, error?: string) {
    const { user } = request.visitor;
    if (!user) throw new Error("setup page rendered without a user");
    const enrollment = await deps.twoFactor.currentEnrollment(user.id, user.username);
    return setupPage(helpers.context(request, reply), {
      qrDataURL: await renderQRCodePNGDataURL(enrollment.keyURI),
      secretBase32: enrollment.secretBase32,
      keyURI: enrollment.keyURI,
      error,
    });
  }

  /** R32: the second factor passed; a new session token replaces the pending one. */
  async function completeSignIn(reply: FastifyReply, pending: SessionRecord, flash: string | null) {
    const issued = await deps.sessions.promote(pending, flash);
    helpers.startSession(reply, issued.token);
    return issued.session;
  }

  app.get("/2fa/setup", async (request, reply) => {
    if (!(await gate(request, reply, "/2fa/setup"))) return reply;
    return sendPage(reply, await renderSetup(request, reply));
  });

  app.post(
    "/2fa/setup",
    { config: { renderFormError: (request, reply, error) => renderSetup(request, reply, error) } },
    async (request, reply) => {
      const pending = await gate(request, reply, "/2fa/setup");
      if (!pending) return reply;
      const { otp } = parseForm(OTPForm, request.body);
      const codes = await deps.twoFactor.confirmEnrollment(pending.user.id, otp);
      if (!codes) return redirect(reply, "/2fa");
      const flash = deps.sealer.seal(Buffer.from(JSON.stringify(codes)), flashAAD(pending.user.id));
      await completeSignIn(reply, pending.session, flash);
      return redirect(reply, "/2fa/recovery-codes");
    },
  );

  app.post("/2fa/setup/new", async (request, reply) => {
    const pending = await gate(request, reply, "/2fa/setup");
    if (!pending) return reply;
    await deps.twoFactor.restartEnrollment(pending.user.id, pending.user.username);
    return redirect(reply, "/2fa/setup");
  });

  app.get("/2fa", async (request, reply) => {
    if (!(await gate(request, reply, "/2fa"))) return reply;
    return sendPage(reply, challengePage(helpers.context(request, reply)));
  });

  const challengeError = {
    renderFormError: async (request: FastifyRequest, reply: FastifyReply, error: string) =>
      challengePage(helpers.context(request, reply), error),
  };

  async function passSecondFactor(request: FastifyRequest, reply: FastifyReply, check: (signIn: SignedIn) => Promise<unknown>) {
    const pending = await gate(request, reply, "/2fa");
    if (!pending) return reply;
    await check(pending);
    const session = await completeSignIn(reply, pending.session, null);
    return redirect(reply, safeNextPath(session.nextPath));
  }

  app.post("/2fa", { config: challengeError }, (request, reply) =>
    passSecondFactor(request, reply, ({ user }) => {
      const { otp } = parseForm(OTPForm, request.body);
      return deps.twoFactor.verifyCode(user.id, otp);
    }),
  );

  app.post("/2fa/recovery", { config: challengeError }, (request, reply) =>
    passSecondFactor(request, reply, ({ user }) => {
      const form = parseForm(RecoveryForm, request.body);
      return deps.twoFactor.useRecoveryCode(user.id, form.recovery_code);
    }),
  );

  app.get("/2fa/recovery-codes", async (request, reply) => {
    const signedIn = helpers.fullSignIn(request);
    if (!signedIn) return redirect(reply, loginURL("/"));
    const next = safeNextPath(signedIn.session.nextPath);
    const flash = await deps.sessions.takeFlash(signedIn.session);
    const opened = flash ? deps.sealer.open(flash, flashAAD(signedIn.user.id)) : null;
    if (!opened) return redirect(reply, next);
    const codes = JSON.parse(Buffer.from(opened).toString("utf8")) as string[];
    return sendPage(reply, recoveryCodesPage(helpers.context(request, reply), codes, next));
  });
}
