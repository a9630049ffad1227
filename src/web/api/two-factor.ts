// The second factor at sign-in, as JSON: a code, or a recovery code (R5-R8, R20-R23, R46).
import type { FastifyInstance } from "fastify";
import { browserLabel } from "../browser-label.js";
import { originOf } from "../origin.js";
import type { RouteContext } from "../routes/context.js";
import { ChallengeBody, parseBody, RecoveryBody } from "./bodies.js";
import type { APIHelpers } from "./context.js";

export function twoFactorAPI(app: FastifyInstance, { deps }: RouteContext, api: APIHelpers): void {
  app.post("/2fa/challenge", async (request, reply) => {
    const visit = api.visitAt(request, "challenge");
    const body = parseBody(ChallengeBody, request.body);
    const rememberAs = body.remember ? browserLabel(request.headers["user-agent"]) : undefined;
    return api.apply(request, reply, await deps.signIn.withCode(visit, body.code, rememberAs, originOf(request)));
  });

  app.post("/2fa/recovery", async (request, reply) => {
    const visit = api.visitAt(request, "challenge");
    const body = parseBody(RecoveryBody, request.body);
    const decision = await deps.signIn.withRecoveryCode(visit, body.recoveryCode, originOf(request), "in-decision");
    return { ...api.apply(request, reply, decision), recoveryCodesLeft: decision.recoveryCodesLeft };
  });
}
