// The JSON API for single-page and mobile apps (docs/http-interface.md "JSON API",
// docs/openapi.json): the same core calls as the forms, so the same throttles, replay guard and
// sessions, in a context of its own under /api (/.gatehouse/api in the gateway), apart from the
// pages' form parser, CSRF token check and HTML errors.
import type { FastifyInstance } from "fastify";
import { ErrorCode, GatehouseError } from "../../core/errors.js";
import type { WebOptions } from "../deps.js";
import type { RouteContext } from "../routes/context.js";
import { accountAPI } from "./account.js";
import { parseJSONBody } from "./bodies.js";
import { createAPIHelpers } from "./context.js";
import { enrollmentAPI } from "./enrollment.js";
import { answerAPIError } from "./errors.js";
import { guardRequests } from "./guard.js";
import { signInAPI } from "./sign-in.js";
import { twoFactorAPI } from "./two-factor.js";

export const API_PATH = "/api";

export async function jsonAPI(app: FastifyInstance, route: RouteContext, options: WebOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, parseJSONBody);
  app.setErrorHandler(answerAPIError);
  guardRequests(app, options.publicURL);
  app.addHook("onRoute", (routeOptions) => {
    routeOptions.config = { ...routeOptions.config, ownCSRFRule: true };
  });
  // R29: nothing the API answers is cached (keys, codes, who is signed in).
  app.addHook("onSend", (_request, reply, payload, done) => {
    reply.header("cache-control", "no-store");
    done(null, payload);
  });

  const api = createAPIHelpers(route);
  signInAPI(app, route, api);
  enrollmentAPI(app, route, api);
  twoFactorAPI(app, route, api);
  accountAPI(app, route, api);
  // Unknown API paths get the JSON shape too, not the pages' HTML.
  const notFound = async () => {
    throw new GatehouseError(ErrorCode.NOT_FOUND, "There is no such endpoint.");
  };
  app.all("/", notFound);
  app.all("/*", notFound);
}
