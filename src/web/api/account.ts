// A signed-in user's second factor, as JSON: list it, new recovery codes, turn it off. Each change
// asks and ends what the account page's does (src/core/account-changes.ts: R22, R37, R39).
import type { FastifyInstance } from "fastify";
import { originOf } from "../origin.js";
import type { RouteContext } from "../routes/context.js";
import { CodeBody, DisableBody, parseBody } from "./bodies.js";
import type { APIHelpers } from "./context.js";

export function accountAPI(app: FastifyInstance, { deps }: RouteContext, api: APIHelpers): void {
  app.get("/2fa/authenticators", async (request) => {
    const { user } = api.visitAt(request, "done");
    const [authenticators, unused] = await Promise.all([
      deps.authenticators.listAuthenticators(user.id),
      deps.recoveryCodes.listUnused(user.id),
    ]);
    return {
      authenticators: authenticators.map(({ id, kind, createdAt }) => ({ id, kind, createdAt: new Date(createdAt).toISOString() })),
      recoveryCodesLeft: unused.length,
    };
  });

  // R19: shown once, in this answer; a later GET /2fa/recovery-codes has nothing to show.
  app.post("/2fa/recovery-codes", async (request, reply) => {
    const visit = api.visitAt(request, "done");
    const { code } = parseBody(CodeBody, request.body);
    const decision = await deps.accountChanges.newRecoveryCodes(visit, code, originOf(request), "in-decision");
    if (!decision.recoveryCodes) throw new Error("new recovery codes were not delivered in the decision");
    api.apply(request, reply, decision);
    return { recoveryCodes: decision.recoveryCodes };
  });

  app.post("/2fa/disable", async (request, reply) => {
    const visit = api.visitAt(request, "done");
    const body = parseBody(DisableBody, request.body);
    // The answer says so: no notice is left behind for a page the user may open later.
    const decision = await deps.accountChanges.disableTwoFactor(visit, { password: body.password, code: body.code }, originOf(request), "in-decision");
    api.apply(request, reply, decision);
    return { twoFactor: false };
  });
}
