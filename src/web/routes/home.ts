// The protected pages, health check and the stylesheet.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { accountPage, homePage } from "../views/home.js";
import { STYLESHEET } from "../views/style.js";
import { createRouteHelpers, loginURL, redirect, sendPage, type RouteContext } from "./context.js";

export function homeRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps } = route;

  /** A full sign-in, or a redirect to the step still missing (contract: GET /). */
  async function requireFullSignIn(request: FastifyRequest, reply: FastifyReply, path: string) {
    const signedIn = helpers.fullSignIn(request);
    if (signedIn) return signedIn;
    const pending = helpers.pendingSignIn(request);
    redirect(reply, pending ? await helpers.secondFactorPath(pending.user.id) : loginURL(path));
    return null;
  }

  app.get("/", async (request, reply) => {
    const signedIn = await requireFullSignIn(request, reply, "/");
    if (!signedIn) return reply;
    return sendPage(reply, homePage({ ...helpers.context(request, reply), username: signedIn.user.username }));
  });

  app.get("/account", async (request, reply) => {
    const signedIn = await requireFullSignIn(request, reply, "/account");
    if (!signedIn) return reply;
    const [enrolled, unused] = await Promise.all([
      deps.twoFactor.isEnrolled(signedIn.user.id),
      deps.recoveryCodes.listUnused(signedIn.user.id),
    ]);
    return sendPage(
      reply,
      accountPage(
        { ...helpers.context(request, reply), username: signedIn.user.username },
        { enrolled, recoveryCodesLeft: unused.length },
      ),
    );
  });

  app.get("/healthz", async (_request, reply) => {
    try {
      await deps.health.ping();
      return reply.send({ status: "ok" });
    } catch {
      return reply.code(503).send({ status: "unavailable" });
    }
  });

  app.get("/assets/style.css", async (_request, reply) => {
    return reply.header("cache-control", "public, max-age=3600").type("text/css; charset=utf-8").send(STYLESHEET);
  });
}
