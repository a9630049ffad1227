// The password step and the session's step, as JSON: what a single-page app asks first.
import type { FastifyInstance } from "fastify";
import { originOf } from "../origin.js";
import type { RouteContext } from "../routes/context.js";
import { LoginBody, parseBody } from "./bodies.js";
import type { APIHelpers } from "./context.js";

export function signInAPI(app: FastifyInstance, { deps, paths }: RouteContext, api: APIHelpers): void {
  app.get("/session", async (request) => {
    const { visit } = request.visitor;
    return { step: deps.signIn.stepOf(visit), user: visit ? { username: visit.user.username } : null };
  });

  // The same core call as the form: the same password throttle (R15-R17) and the same new session (R32).
  app.post("/login", async (request, reply) => {
    const body = parseBody(LoginBody, request.body);
    const decision = await deps.passwordStep.withPassword(
      request.visitor.visit,
      { username: body.username, password: body.password, nextPath: paths.next(body.next), rememberedTokens: api.rememberedTokens(request) },
      originOf(request),
    );
    return api.apply(request, reply, decision);
  });

  app.post("/logout", async (request, reply) => {
    const { step } = api.apply(request, reply, await deps.signIn.signOut(request.visitor.visit, originOf(request)));
    return { step };
  });
}
