// The JSON API's answer to every refusal: {"error": {"code", "message"}} with the status of THE
// map (src/web/errors.ts), and "step" for a call at the wrong step. Messages are the errors' own
// fixed sentences: never a value the client sent. Logs get the code, as for pages.
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode, GatehouseError, isGatehouseError, WrongStepError } from "../../core/errors.js";
import { statusFor } from "../errors.js";

/** Fastify's own refusals (a body over the limit, a bad content length...) in the API's codes. */
function asGatehouseError(error: FastifyError, request: FastifyRequest): GatehouseError {
  if (isGatehouseError(error)) return error;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new GatehouseError(ErrorCode.REQUEST_TOO_LARGE, "The request body is too large.");
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return new GatehouseError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "This API accepts only application/json bodies.");
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new GatehouseError(ErrorCode.MALFORMED_REQUEST, "The request could not be understood.");
  }
  request.log.error({ err: { type: error.name, code: error.code, message: error.message } }, "request failed");
  return new GatehouseError(ErrorCode.INTERNAL_ERROR, "Something went wrong on our side. Try again in a moment.");
}

export function answerAPIError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const refusal = asGatehouseError(error, request);
  const status = statusFor(refusal, reply);
  if (refusal.code === ErrorCode.STORE_UNAVAILABLE) {
    // Fails closed, as for pages: operators see the outage, clients never the driver's message.
    const cause = refusal.cause as { code?: unknown } | undefined;
    request.log.warn({ code: refusal.code, status, cause: { code: cause?.code, message: refusal.message } }, "database unavailable");
  } else if (refusal.code !== ErrorCode.INTERNAL_ERROR) {
    request.log.info({ code: refusal.code, status }, "request refused");
  }
  const step = refusal instanceof WrongStepError ? { step: refusal.step } : {};
  return reply.code(status).send({ error: { code: refusal.code, message: refusal.message, ...step } });
}
