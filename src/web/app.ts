// buildApp(options, deps) → a ready Fastify instance, without listening (tests use inject).
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import helmet from "@fastify/helmet";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { ErrorCode, GatehouseError } from "../core/errors.js";
import { requestInfo } from "../request-info.js";
import { cookiePolicy } from "./cookies.js";
import { createCSRF, isSameOrigin } from "./csrf.js";
import type { WebDeps, WebOptions } from "./deps.js";
import { registerErrorHandling, sendFrameworkError } from "./errors.js";
import { parseFormStrict } from "./form-parser.js";
import { accountRoutes } from "./routes/account.js";
import { enrollmentRoutes } from "./routes/enrollment.js";
import { homeRoutes } from "./routes/home.js";
import { signInRoutes } from "./routes/sign-in.js";
import { twoFactorRoutes } from "./routes/two-factor.js";
import { registerVisitor } from "./visitor.js";

/** Forms here are a few short fields; anything larger is refused with 413 before parsing. */
const BODY_LIMIT_BYTES = 16 * 1024;

export async function buildApp(
  options: WebOptions & { logger: FastifyBaseLogger },
  deps: WebDeps,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Never trust X-Forwarded-For by default (R48, R50): the client address is the socket peer.
    trustProxy: false,
    return503OnClosing: true,
    // Errors raised before routing (an undecodable URL): the same HTML page as any other 400.
    frameworkErrors: (error, request, reply) => sendFrameworkError(error, request, reply),
  });
  const csrf = createCSRF(deps.csrfKey);
  const cookies = cookiePolicy(options.publicURL);
  const https = options.publicURL?.protocol === "https:";

  // Only urlencoded forms are accepted: JSON, text and multipart get 415.
  app.removeAllContentTypeParsers();
  await app.register(formbody, { parser: parseFormStrict });
  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    // Chromium sends `Origin: null` on form POSTs under no-referrer; same-origin keeps the real one.
    referrerPolicy: { policy: "same-origin" },
    frameguard: { action: "deny" },
    strictTransportSecurity: https ? { maxAge: 31_536_000 } : false,
  });

  // Every security event of this request is logged with its client address and browser.
  app.addHook("onRequest", (request, _reply, done) => {
    requestInfo.run({ clientAddress: request.ip, userAgent: request.headers["user-agent"] ?? null }, done);
  });
  registerVisitor(app, deps, cookies);
  app.decorateRequest("formAccepted", false);
  registerErrorHandling(app, csrf);

  // R29, R59: no page of ours is cached: enrollment keys, codes and protected pages included.
  app.addHook("onSend", async (request, reply, payload) => {
    if (!request.url.startsWith("/assets/")) reply.header("cache-control", "no-store");
    return payload;
  });

  // R41: every POST carries the synchronizer token and, from a browser, our own Origin.
  app.addHook("preHandler", async (request) => {
    if (request.method !== "POST") return;
    const expectedOrigin = options.publicURL?.origin ?? `${request.protocol}://${request.host}`;
    const body = request.body as Record<string, unknown> | undefined;
    if (!isSameOrigin(request.headers, expectedOrigin) || !csrf.isValid(request.visitor.cookieToken, body?.["_csrf"])) {
      throw new GatehouseError(ErrorCode.CSRF_FAILED, "This form has expired or came from another site. Reload the page and try again.");
    }
    request.formAccepted = true;
  });

  const routeContext = { deps, csrf, cookie: cookies };
  signInRoutes(app, routeContext);
  twoFactorRoutes(app, routeContext);
  enrollmentRoutes(app, routeContext);
  homeRoutes(app, routeContext);
  accountRoutes(app, routeContext);
  return app;
}
