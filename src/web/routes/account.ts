// The account page and its actions (contract: /account rows). What each change asks for and
// ends is the core's (src/core/account-changes.ts); these routes parse, call and apply.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { SessionWithUser } from "../../core/ports.js";
import type { SignInDecision } from "../../core/sign-in.js";
import { ChangePasswordForm, DeviceForm, OTPForm, parseForm, StepUpForm } from "../forms.js";
import { originOf } from "../origin.js";
import { accountPage } from "../views/account.js";
import { createRouteHelpers, sendPage, type RouteContext } from "./context.js";

const ACTIVITY_SHOWN = 20;

export function accountRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps, paths } = route;
  const changes = deps.accountChanges;

  async function renderAccount(request: FastifyRequest, reply: FastifyReply, error?: string) {
    // `enrolled` was read with the session: a form error here comes before any change to it.
    const { visit } = request.visitor;
    if (!visit) throw new Error("account page rendered without a signed-in user");
    const { session, user, enrolled } = visit;
    const notice = error ? undefined : await deps.signIn.takeNotice(visit);
    const [unused, devices, sessions, events] = await Promise.all([
      deps.recoveryCodes.listUnused(user.id),
      deps.devices.list(user.id),
      deps.sessions.list(user.id),
      deps.activity.listEvents({ userId: user.id, limit: ACTIVITY_SHOWN }),
    ]);
    return accountPage(
      { ...helpers.pageContextWithCookie(request, reply), username: user.username, notice },
      { enrolled, recoveryCodesLeft: unused.length, devices, sessions, currentSessionHash: session.idHash, events, error },
    );
  }

  /**
   * An account action: only for a full sign-in (else a redirect to the step still missing),
   * whose decision is applied to the reply.
   */
  function action(change: (visit: SessionWithUser, request: FastifyRequest) => Promise<SignInDecision>) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const visit = helpers.atStep(request, reply, "done", paths.to("/account"));
      if (!visit) return reply;
      return helpers.apply(request, reply, await change(visit, request));
    };
  }

  const formError = { config: { renderFormError: renderAccount } };

  app.get("/account", async (request, reply) => {
    if (!helpers.atStep(request, reply, "done", paths.to("/account"))) return reply;
    return sendPage(reply, await renderAccount(request, reply));
  });

  app.post(
    "/account/2fa/disable",
    formError,
    action((visit, request) => {
      const form = parseForm(StepUpForm, request.body);
      return changes.disableTwoFactor(visit, { password: form.password, code: form.otp }, originOf(request));
    }),
  );

  app.post(
    "/account/recovery-codes",
    formError,
    action((visit, request) => changes.newRecoveryCodes(visit, parseForm(OTPForm, request.body).otp, originOf(request))),
  );

  app.post(
    "/account/2fa/reenroll",
    formError,
    action((visit, request) => {
      const form = parseForm(StepUpForm, request.body);
      return changes.startNewPhone(visit, { password: form.password, code: form.otp }, originOf(request));
    }),
  );

  app.post(
    "/account/password",
    formError,
    action((visit, request) => {
      const form = parseForm(ChangePasswordForm, request.body);
      return deps.passwordStep.changePassword(visit, { password: form.password, code: form.otp }, form.new_password, originOf(request));
    }),
  );

  app.post(
    "/account/devices/forget",
    action((visit, request) => changes.forgetBrowser(visit, parseForm(DeviceForm, request.body).device_id, originOf(request))),
  );
  app.post("/account/devices/forget-all", action((visit, request) => changes.forgetAllBrowsers(visit, originOf(request))));
  app.post("/account/sessions/end-others", action((visit, request) => changes.endOtherSessions(visit, originOf(request))));
}
