// THE map from errors to HTTP: status, page and headers live here and nowhere else. Users see a
// clear message; logs get the error code, never a stack trace with request data or a secret.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode, isGatehouseError, SignInRequiredError, ThrottledError, type GatehouseError } from "../core/errors.js";
import type { CSRF } from "./csrf.js";
import type { Html } from "./html.js";
import type { SitePaths } from "./paths.js";
import { errorPage } from "./views/error.js";
import { pageContext as visitorPageContext } from "./visitor.js";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The POST passed the origin and CSRF checks, so its route may answer with its own form.
     * Errors raised earlier (an undecodable body) get the generic page: the route's form may
     * not be the visitor's to see (a setup key, say).
     */
    formAccepted: boolean;
  }
  interface FastifyContextConfig {
    /** Re-renders the route's own form with a message, for "same page, clear message" answers. */
    renderFormError?: (request: FastifyRequest, reply: FastifyReply, message: string) => Promise<Html>;
  }
}

export const STATUS: Record<ErrorCode, number> = {
  MALFORMED_REQUEST: 400,
  CSRF_FAILED: 403,
  INVALID_CREDENTIALS: 401,
  INVALID_CODE: 401,
  INVALID_RECOVERY_CODE: 401,
  THROTTLED: 429,
  USERNAME_TAKEN: 400,
  INVALID_USERNAME: 400,
  WEAK_PASSWORD: 400,
  // Contract (Who may register): closed registration and a bad invitation look like no page at all.
  REGISTRATION_CLOSED: 404,
  ACCOUNT_DISABLED: 403,
  ENROLLMENT_EXPIRED: 401,
  SESSION_EXPIRED: 401,
  STORE_UNAVAILABLE: 503,
  SIGN_IN_REQUIRED: 401,
  ACCESS_DENIED: 403,
  UPSTREAM_UNAVAILABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  CONFLICTING_ORIGINAL_URI: 403,
  // The JSON API's own (src/web/api/): pages redirect, or answer with Fastify's status.
  WRONG_STEP: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_TOO_LARGE: 413,
  NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
};

/** The status of a refusal, with the header that goes with it: Retry-After on a lock (R12). */
export function statusFor(error: GatehouseError, reply: FastifyReply): number {
  if (error instanceof ThrottledError) reply.header("retry-after", String(error.retryAfterSeconds));
  return STATUS[error.code];
}

/** Errors whose answer is the route's own form again, with the message above it. */
const FORM_ERRORS = new Set<ErrorCode>([
  "MALFORMED_REQUEST",
  "INVALID_CREDENTIALS",
  "INVALID_CODE",
  "INVALID_RECOVERY_CODE",
  "THROTTLED",
  "USERNAME_TAKEN",
  "INVALID_USERNAME",
  "WEAK_PASSWORD",
  "ENROLLMENT_EXPIRED",
]);

/** The gateway's upstream did not answer: operators need to see these. */
const UPSTREAM_FAILURES = new Set<ErrorCode>(["UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT"]);

const TITLES: Record<number, [string, string]> = {
  400: ["Bad request", "The request could not be understood. Go back and try again."],
  403: ["Forbidden", "This request was refused. Reload the page and try again."],
  404: ["Not found", "There is nothing at this address."],
  405: ["Method not allowed", "This address does not accept that kind of request."],
  408: ["Request timeout", "The request took too long to arrive. Try again."],
  413: ["Request too large", "The form sent was too large."],
  415: ["Unsupported form", "This address accepts only standard web forms."],
  429: ["Too many attempts", "Too many attempts. Wait a moment and try again."],
  431: ["Request headers too large", "The request's headers were too large. Clearing this site's cookies may help."],
  500: ["Something went wrong", "Something went wrong on our side. Try again in a moment."],
  502: ["Application unavailable", "The application behind this sign-in is not reachable right now. Try again in a moment."],
  503: ["Temporarily unavailable", "The service is temporarily unavailable. Try again in a moment."],
  504: ["Application too slow", "The application behind this sign-in did not answer in time. Try again in a moment."],
};

/** Refusals whose page names the reason in its title, not only in its message. */
const TITLES_BY_CODE: Partial<Record<ErrorCode, string>> = { ACCOUNT_DISABLED: "Account disabled" };

function titleFor(status: number): [string, string] {
  return TITLES[status] ?? (status >= 500 ? TITLES[500]! : TITLES[400]!);
}

async function send(reply: FastifyReply, status: number, body: Html) {
  if (reply.request.routeOptions.config.pageHeadersOnlyOnPages) reply.setPageHeaders();
  return reply.code(status).header("cache-control", "no-store").type("text/html; charset=utf-8").send(body.value);
}

/** The page of a client error found before any route runs: no visitor, no CSRF token. */
export function bareErrorPage(paths: SitePaths, status: number): Html {
  const [title, message] = titleFor(status);
  return errorPage({ csrfToken: "", paths }, status, title, message);
}

/** For errors Fastify raises before a route runs: no visitor, no CSRF token, just the page. */
export function frameworkErrorHandler(paths: SitePaths, pageHeaders: readonly [string, string][]) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
    request.log.info({ code: error.code, status }, "client error");
    // These run before the onRequest hook that sets the page headers on every answer (and on an
    // undecorated reply).
    for (const [name, value] of pageHeaders) reply.header(name, value);
    return send(reply, status, bareErrorPage(paths, status));
  };
}

export function registerErrorHandling(app: FastifyInstance, csrf: CSRF, paths: SitePaths): void {
  const pageContext = (request: FastifyRequest) => visitorPageContext(request, csrf, paths);
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (isGatehouseError(error)) {
      const status = statusFor(error, reply);
      if (error.code === ErrorCode.STORE_UNAVAILABLE) {
        // Fails closed: the step that needed the store (session, throttle, replay guard) did not
        // run, so nothing is granted. Operators need to see outages; visitors get the generic page,
        // never the driver's message.
        const cause = error.cause as { code?: unknown } | undefined;
        request.log.warn({ code: error.code, status, cause: { code: cause?.code, message: error.message } }, "database unavailable");
        const [title, message] = titleFor(status);
        return send(reply, status, errorPage(pageContext(request), status, title, message));
      }
      if (error instanceof SignInRequiredError) {
        request.log.info({ code: error.code, status }, "sign-in required");
        return send(reply, status, errorPage(pageContext(request), status, "Sign-in required", error.message, paths.login(error.nextPath)));
      }
      if (UPSTREAM_FAILURES.has(error.code)) request.log.warn({ code: error.code, status }, "upstream failed");
      else request.log.info({ code: error.code, status }, "request refused");
      const render = request.routeOptions.config.renderFormError;
      if (render && request.formAccepted && FORM_ERRORS.has(error.code)) return send(reply, status, await render(request, reply, error.message));
      const title = TITLES_BY_CODE[error.code] ?? titleFor(status)[0];
      return send(reply, status, errorPage(pageContext(request), status, title, error.message));
    }
    // Fastify's own client errors (body too large, unsupported media type, bad encoding...).
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: { type: error.name, code: error.code, message: error.message } }, "request failed");
    else request.log.info({ code: error.code, status }, "client error");
    const [title, message] = titleFor(status);
    return send(reply, status, errorPage(pageContext(request), status, title, message));
  });

  app.setNotFoundHandler(async (request, reply) => {
    const [title, message] = titleFor(404);
    return send(reply, 404, errorPage(pageContext(request), 404, title, message));
  });
}
