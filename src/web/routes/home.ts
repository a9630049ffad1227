// The protected pages, health check and the stylesheet.
import type { FastifyInstance } from "fastify";
import { homePage } from "../views/home.js";
import { STYLESHEET } from "../views/style.js";
import { createRouteHelpers, sendPage, type RouteContext } from "./context.js";

export function homeRoutes(app: FastifyInstance, route: RouteContext): void {
  const helpers = createRouteHelpers(route);
  const { deps } = route;

  app.get("/", async (request, reply) => {
    const visit = helpers.atStep(request, reply, "done", route.paths.to("/"));
    if (!visit) return reply;
    const notice = await deps.signIn.takeNotice(visit);
    return sendPage(reply, homePage({ ...helpers.pageContextWithCookie(request, reply), username: visit.user.username, notice }));
  });

  // Contract: `{"status":"ok"}` and 200 while the store answers, else 503. Each dependency
  // is reported under its own key, so an operator sees which one is down.
  app.get("/healthz", { config: { sessionless: true } }, async (_request, reply) => {
    const checks = await Promise.all(
      Object.entries(deps.health).map(async ([name, check]) => {
        const state = await check.ping().then(
          () => "ok" as const,
          () => "unavailable" as const,
        );
        return [name, state] as const;
      }),
    );
    // Every configured dependency is needed for sign-in: one down makes the instance unhealthy.
    const ok = checks.every(([, state]) => state === "ok");
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "unavailable", ...Object.fromEntries(checks) });
  });

  app.get("/assets/style.css", { config: { sessionless: true } }, async (_request, reply) => {
    return reply.header("cache-control", "public, max-age=3600").type("text/css; charset=utf-8").send(STYLESHEET);
  });
}
