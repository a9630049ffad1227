// The account page and its actions (contract: /account rows). Every change that weakens or
// replaces a factor asks for the password and a current code (or an unused recovery code) in
// the same request (R39), ends the other sessions and remembered browsers (R37, R47), and
// reissues this session's token (R32).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { SessionRecord, UserRecord } from "../../core/ports.js";
import { sealFlash } from "../flash.js";
import { ChangePasswordForm, DeviceForm, OTPForm, parseForm, StepUpForm } from "../forms.js";
import { accountPage } from "../views/account.js";
import { originOf } from "../origin.js";
import { createRouteHelpers, redirect, sendPage, type RouteContext } from "./context.js";

const ACTIVITY_SHOWN = 20;

export function accountRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps, paths } = route;

  async function renderAccount(request: FastifyRequest, reply: FastifyReply, error?: string) {
    // `enrolled` was read with the session: a form error here comes before any change to it.
    const { session, user, enrolled } = request.visitor;
    if (!session || !user) throw new Error("account page rendered without a signed-in user");
    const notice = error ? undefined : await helpers.takeNotice(request);
    const [unused, devices, sessions, events] = await Promise.all([
      deps.recoveryCodes.listUnused(user.id),
      deps.devices.list(user.id),
      deps.sessions.list(user.id),
      deps.activity.listEvents({ userId: user.id, limit: ACTIVITY_SHOWN }),
    ]);
    return accountPage(
      { ...helpers.context(request, reply), username: user.username, notice },
      { enrolled, recoveryCodesLeft: unused.length, devices, sessions, currentSessionHash: session.idHash, events, error },
    );
  }

  /** A full sign-in, or a redirect to the step still missing. */
  const signedIn = (request: FastifyRequest, reply: FastifyReply) =>
    helpers.requireStep(request, reply, "done", paths.to("/account"));

  /** After a factor change: only this browser stays signed in, under a new token. */
  async function endEverythingElse(
    request: FastifyRequest,
    reply: FastifyReply,
    session: SessionRecord,
    user: UserRecord,
    flash: string | null,
  ) {
    const origin = originOf(request);
    await deps.sessions.endOthers(session, origin);
    await deps.devices.forgetAll(user.id, origin);
    await helpers.reissueSession(reply, session, "full", flash);
  }

  /** R39: the password and a second factor in this very request; no standing "sudo" window. */
  async function reauthenticate(request: FastifyRequest, user: UserRecord, password: string, otp: string | undefined) {
    const origin = originOf(request);
    await deps.accounts.confirmPassword(user, password, origin);
    // An account whose 2FA is off has no second factor to ask for.
    if (await deps.twoFactor.isEnrolled(user.id)) await deps.twoFactor.verifyCodeOrRecoveryCode(user.id, otp ?? "", origin);
  }

  const formError = { renderFormError: renderAccount };

  app.get("/account", async (request, reply) => {
    if (!signedIn(request, reply)) return reply;
    return sendPage(reply, await renderAccount(request, reply));
  });

  app.post("/account/2fa/disable", { config: formError }, async (request, reply) => {
    const current = signedIn(request, reply);
    if (!current) return reply;
    const form = parseForm(StepUpForm, request.body);
    await reauthenticate(request, current.user, form.password, form.otp);
    await deps.twoFactor.disable(current.user.id, originOf(request));
    await endEverythingElse(request, reply, current.session, current.user, notice(current.user.id, "Two-factor sign-in is off. Your next sign-in will ask you to set it up again."));
    return redirect(reply, paths.to("/account"));
  });

  app.post("/account/recovery-codes", { config: formError }, async (request, reply) => {
    const current = signedIn(request, reply);
    if (!current) return reply;
    const { otp } = parseForm(OTPForm, request.body);
    const origin = originOf(request);
    await deps.twoFactor.verifyCodeOrRecoveryCode(current.user.id, otp, origin);
    const codes = await deps.twoFactor.regenerateRecoveryCodes(current.user.id, origin);
    await endEverythingElse(request, reply, current.session, current.user, sealFlash(deps.sealer, current.user.id, { recoveryCodes: codes }));
    return redirect(reply, paths.to("/2fa/recovery-codes"));
  });

  app.post("/account/2fa/reenroll", { config: formError }, async (request, reply) => {
    const current = signedIn(request, reply);
    if (!current) return reply;
    const form = parseForm(StepUpForm, request.body);
    await reauthenticate(request, current.user, form.password, form.otp);
    // The old secret keeps working until the new one is confirmed on /2fa/setup. The new key
    // belongs to this browser's (new) session only.
    const session = await helpers.reissueSession(reply, current.session, "full", null);
    await deps.twoFactor.restartEnrollment(current.user.id, current.user.username, { kind: "replace", sessionIdHash: session.idHash });
    return redirect(reply, paths.to("/2fa/setup"));
  });

  app.post("/account/password", { config: formError }, async (request, reply) => {
    const current = signedIn(request, reply);
    if (!current) return reply;
    const form = parseForm(ChangePasswordForm, request.body);
    await reauthenticate(request, current.user, form.password, form.otp);
    await deps.accounts.changePassword(current.user, form.new_password, originOf(request));
    await endEverythingElse(request, reply, current.session, current.user, notice(current.user.id, "Your password is changed. Other sessions and remembered browsers were signed out."));
    return redirect(reply, paths.to("/account"));
  });

  // Forgetting browsers and ending sessions only take trust away: no re-authentication asked.
  app.post("/account/devices/forget", async (request, reply) => {
    const current = signedIn(request, reply);
    if (!current) return reply;
    const { device_id } = parseForm(DeviceForm, request.body);
    await deps.devices.forget(current.user.id, device_id, originOf(request));
    return redirect(reply, paths.to("/account"));
  });

  app.post("/account/devices/forget-all", async (request, reply) => {
    const current = signedIn(request, reply);
    if (!current) return reply;
    await deps.devices.forgetAll(current.user.id, originOf(request));
    return redirect(reply, paths.to("/account"));
  });

  app.post("/account/sessions/end-others", async (request, reply) => {
    const current = signedIn(request, reply);
    if (!current) return reply;
    await deps.sessions.endOthers(current.session, originOf(request));
    return redirect(reply, paths.to("/account"));
  });

  function notice(userId: string, text: string) {
    return sealFlash(deps.sealer, userId, { notice: text });
  }
}
