// CSRF for the JSON API (R41, docs/http-interface.md "JSON API"): a state-changing call must carry
// X-Gatehouse-Request: 1 and a JSON body. A cross-site page can send neither without a CORS
// preflight, which gatehouse never answers, so the session cookie alone never makes a call
// (OWASP CSRF cheat sheet, "custom request headers"). A browser's Origin, when sent, must be ours.
// Checked on arrival, before the body is read.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ErrorCode, GatehouseError } from "../../core/errors.js";
import { expectedOrigin, isSameOrigin } from "../csrf.js";

const SAFE_METHODS = new Set(["GET", "HEAD"]);

export const REQUEST_HEADER = "x-gatehouse-request";

function isJSON(contentType: string | undefined): boolean {
  const essence = contentType?.split(";", 1)[0]?.trim().toLowerCase();
  return essence === "application/json";
}

function refusal(request: FastifyRequest, publicURL: URL | undefined): GatehouseError | null {
  if (SAFE_METHODS.has(request.method)) return null;
  if (request.headers[REQUEST_HEADER] !== "1" || !isSameOrigin(request.headers, expectedOrigin(request, publicURL))) {
    return new GatehouseError(ErrorCode.CSRF_FAILED, "This request came from another site, or without the X-Gatehouse-Request: 1 header.");
  }
  if (!isJSON(request.headers["content-type"])) {
    return new GatehouseError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "This API accepts only application/json bodies.");
  }
  return null;
}

export function guardRequests(app: FastifyInstance, publicURL: URL | undefined): void {
  // Callback style, as the pages' hooks: it runs on every call.
  app.addHook("onRequest", (request, _reply, done) => {
    const refused = refusal(request, publicURL);
    if (refused) return done(refused);
    done();
  });
}
