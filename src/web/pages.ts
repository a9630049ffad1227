// gatehouse's own pages: forms, their CSRF check and no-store, and every route of the contract.
// At the root of the server, or in their own context under /.gatehouse in the gateway, apart
// from the proxied app (whose bodies are streamed, never parsed as forms).
import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { ErrorCode, GatehouseError } from "../core/errors.js";
import { expectedOrigin, isSameOrigin } from "./csrf.js";
import type { WebOptions } from "./deps.js";
import { parseFormStrict } from "./form-parser.js";
import { accountRoutes } from "./routes/account.js";
import type { RouteContext } from "./routes/context.js";
import { enrollmentRoutes } from "./routes/enrollment.js";
import { homeRoutes } from "./routes/home.js";
import { signInRoutes, signOutPageRoute } from "./routes/sign-in.js";
import { twoFactorRoutes } from "./routes/two-factor.js";
import { csrfTokenOf } from "./visitor.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route has a CSRF rule of its own (the JSON API's, src/web/api/guard.ts). Without the
     * gateway the pages' hooks are the server's root hooks, which reach every route.
     */
    ownCSRFRule?: boolean;
  }
}

export async function gatehousePages(app: FastifyInstance, route: RouteContext, options: WebOptions): Promise<void> {
  // Only urlencoded forms are accepted: JSON, text and multipart get 415.
  app.removeAllContentTypeParsers();
  await app.register(formbody, { parser: parseFormStrict });

  // R29, R59: no page of ours is cached: enrollment keys, codes and protected pages included
  // (the stylesheet sets its own caching).
  // Callback-style hooks here and below: they run on every request, and an async hook costs a
  // promise and a microtask turn.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    done(null, payload);
  });

  // R41: every POST carries the synchronizer token and, from a browser, our own Origin.
  app.addHook("preHandler", (request, _reply, done) => {
    if (request.method !== "POST" || request.routeOptions.config.ownCSRFRule) return done();
    const body = request.body as Record<string, unknown> | undefined;
    if (!isSameOrigin(request.headers, expectedOrigin(request, options.publicURL)) || !route.csrf.isValid(csrfTokenOf(request.visitor, route.csrf), body?.["_csrf"])) {
      return done(new GatehouseError(ErrorCode.CSRF_FAILED, "This form has expired or came from another site. Reload the page and try again."));
    }
    request.formAccepted = true;
    done();
  });

  signInRoutes(app, route);
  twoFactorRoutes(app, route);
  enrollmentRoutes(app, route);
  homeRoutes(app, route);
  accountRoutes(app, route);
  if (options.gateway) signOutPageRoute(app, route);
}
