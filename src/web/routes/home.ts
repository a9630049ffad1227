// The protected pages, health check and the stylesheet.
import type { FastifyInstance } from "fastify";
import { homePage } from "../views/home.js";
import { STYLESHEET } from "../views/style.js";
import { createRouteHelpers, sendPage, type RouteContext } from "./context.js";

export function homeRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps } = route;

  app.get("/", async (request, reply) => {
    const signedIn = await helpers.requireStep(request, reply, "done", "/");
    if (!signedIn) return reply;
    const notice = await helpers.takeNotice(request);
    return sendPage(reply, homePage({ ...helpers.context(request, reply), username: signedIn.user.username, notice }));
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
