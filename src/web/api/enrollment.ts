// Enrolling an authenticator, as JSON: the key (otpauth URI, QR code), a new key, the confirming
// code. Who may enroll is the core's enrollment gate, as for the setup page (R25, R26, F1).
import type { FastifyInstance } from "fastify";
import { renderQRCodePNGDataURL } from "../../core/qr.js";
import type { EnrollmentView } from "../../core/two-factor.js";
import { originOf } from "../origin.js";
import type { RouteContext } from "../routes/context.js";
import { CodeBody, parseBody } from "./bodies.js";
import type { APIHelpers } from "./context.js";

async function keyAnswer(key: EnrollmentView) {
  return {
    secret: key.secretBase32,
    otpauthURI: key.keyURI,
    qrCode: await renderQRCodePNGDataURL(key.keyURI),
    expiresAt: new Date(key.expiresAt).toISOString(),
  };
}

export function enrollmentAPI(app: FastifyInstance, { deps }: RouteContext, api: APIHelpers): void {
  // R24: this session's own key, the same on every call until it is confirmed or expires.
  app.get("/2fa/setup", async (request) => keyAnswer(await deps.signIn.setupKey((await api.enrolling(request)).visit)));

  app.post("/2fa/setup/new", async (request, reply) => {
    const gate = await api.enrolling(request);
    api.apply(request, reply, await deps.signIn.restartEnrollment(gate));
    return keyAnswer(await deps.signIn.setupKey(gate.visit));
  });

  // R19: the new recovery codes are in this answer only, never left in the session for a page.
  app.post("/2fa/setup", async (request, reply) => {
    const gate = await api.enrolling(request);
    const { code } = parseBody(CodeBody, request.body);
    const decision = await deps.signIn.confirmEnrollment(gate, code, originOf(request), "in-decision");
    if (!decision.recoveryCodes) throw api.refusalFor(decision);
    return { ...api.apply(request, reply, decision), recoveryCodes: decision.recoveryCodes };
  });
}
