// Enrolling an authenticator: forced at the first sign-in (R26), again after 2FA was turned
// off, or for a new phone once the account page re-authenticated the user (R25, R39). Who may
// enroll, and what follows, is the core's decision (src/core/sign-in.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { renderQRCodePNGDataURL } from "../../core/qr.js";
import type { Enrolling } from "../../core/sign-in.js";
import { OTPForm, parseForm } from "../forms.js";
import { originOf } from "../origin.js";
import { setupPage } from "../views/two-factor.js";
import { createRouteHelpers, sendPage, type RouteContext } from "./context.js";

export function enrollmentRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps } = route;

  /** The visit that may enroll, or null with the reply sent where the visitor belongs. */
  async function enrolling(request: FastifyRequest, reply: FastifyReply): Promise<Enrolling | null> {
    const gate = await deps.signIn.enrollment(request.visitor.visit);
    if ("mode" in gate) return gate;
    helpers.go(reply, gate.go);
    return null;
  }

  /** This session's own key, also on a form error (S4: never another session's). */
  async function renderSetup(request: FastifyRequest, reply: FastifyReply, error?: string) {
    const { visit } = request.visitor;
    if (!visit) throw new Error("setup page rendered without a user");
    const key = await deps.signIn.setupKey(visit);
    return setupPage(helpers.pageContextWithCookie(request, reply), {
      qrDataURL: await renderQRCodePNGDataURL(key.keyURI),
      secretBase32: key.secretBase32,
      keyURI: key.keyURI,
      error,
    });
  }

  app.get("/2fa/setup", async (request, reply) => {
    if (!(await enrolling(request, reply))) return reply;
    return sendPage(reply, await renderSetup(request, reply));
  });

  app.post(
    "/2fa/setup",
    { config: { renderFormError: (request, reply, error) => renderSetup(request, reply, error) } },
    async (request, reply) => {
      const gate = await enrolling(request, reply);
      if (!gate) return reply;
      const { otp } = parseForm(OTPForm, request.body);
      return helpers.apply(request, reply, await deps.signIn.confirmEnrollment(gate, otp, originOf(request)));
    },
  );

  app.post("/2fa/setup/new", async (request, reply) => {
    const gate = await enrolling(request, reply);
    if (!gate) return reply;
    return helpers.apply(request, reply, await deps.signIn.restartEnrollment(gate));
  });
}
