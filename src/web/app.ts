// buildApp(options, deps) → a ready Fastify instance, without listening (tests use inject).
import cookie from "@fastify/cookie";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import { trustedProxies } from "../gateway/trusted-proxies.js";
import { API_PATH, jsonAPI } from "./api/api.js";
import { clientErrorHandler } from "./client-errors.js";
import { cookiePolicy } from "./cookies.js";
import { createCSRF } from "./csrf.js";
import { answerWhenDurable } from "./durable-answers.js";
import type { WebDeps, WebOptions } from "./deps.js";
import { frameworkErrorHandler, registerErrorHandling } from "./errors.js";
import { registerGateway } from "./gateway/gateway.js";
import { refuseUnnormalizedPaths } from "./gateway/path-guard.js";
import { pageHeaderList, registerPageHeaders } from "./page-headers.js";
import { gatehousePages } from "./pages.js";
import { GATEWAY_PREFIX, returnOrigins, sitePaths } from "./paths.js";
import { registerVisitor } from "./visitor.js";

/**
 * The request as logged: the path without its query, which may carry a token (an invitation's
 * `?invite=`, an upstream app's reset link or API key).
 */
function loggedRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: withoutQuery(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

function withoutQuery(url: unknown) {
  if (typeof url !== "string") return url;
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** Forms here are a few short fields; anything larger is refused with 413 before parsing. */
const BODY_LIMIT_BYTES = 16 * 1024;

export async function buildApp(
  options: WebOptions & { logger: FastifyBaseLogger },
  deps: WebDeps,
): Promise<FastifyInstance> {
  const paths = sitePaths(options.gateway ? GATEWAY_PREFIX : "", options.gateway?.returnTo);
  const isTrustedProxy = trustedProxies(options.trustedProxies ?? []);
  const pageHeaderOptions = {
    formActionOrigins: returnOrigins(options.gateway?.returnTo),
    https: options.publicURL?.protocol === "https:",
  };
  const pageHeaders = pageHeaderList(pageHeaderOptions);
  const app = Fastify({
    // A child's serializers take precedence over Fastify's own `req` serializer.
    // `url` too: the proxy logs each WebSocket's upstream URL, query included, at debug.
    loggerInstance: options.logger.child({}, { serializers: { req: loggedRequest, url: withoutQuery } }),
    bodyLimit: BODY_LIMIT_BYTES,
    // R48, R50: X-Forwarded-For (and -Proto, -Host) count only from GATEHOUSE_TRUSTED_PROXIES;
    // by default the client address is the socket peer.
    trustProxy: options.trustedProxies?.length ? (address: string) => isTrustedProxy(address) : false,
    return503OnClosing: true,
    // Errors raised before routing (an undecodable URL): the same HTML page as any other 400.
    frameworkErrors: frameworkErrorHandler(paths, pageHeaders),
    // Requests the HTTP parser refuses (review F10): that page again, instead of Fastify's JSON.
    clientErrorHandler: clientErrorHandler(paths, pageHeaders),
  });
  const csrf = createCSRF(deps.csrfKey);
  const cookies = cookiePolicy(options.publicURL, options.cookieDomain);

  await app.register(cookie);
  registerPageHeaders(app, pageHeaderOptions);

  // The gateway's path rule comes first: no session lookup, no proxying for a path in two spellings.
  if (options.gateway) app.addHook("onRequest", refuseUnnormalizedPaths);
  // Before the visitor's hook: the session lookup may write (the idle window slides).
  answerWhenDurable(app, deps.durability);
  registerVisitor(app, deps, cookies);
  app.decorateRequest("formAccepted", false);
  registerErrorHandling(app, csrf, paths);

  const route = { deps, csrf, cookie: cookies, paths };
  // A context of its own: its parser, CSRF rule and JSON errors (src/web/api/api.ts).
  const registerAPI = () => app.register((api) => jsonAPI(api, route, options), { prefix: paths.to(API_PATH) });
  if (!options.gateway) {
    await registerAPI();
    await gatehousePages(app, route, options);
    return app;
  }
  await registerGateway(app, route, { ...options.gateway, isTrustedProxy });
  await registerAPI();
  await app.register((pages) => gatehousePages(pages, route, options), { prefix: GATEWAY_PREFIX });
  return app;
}
