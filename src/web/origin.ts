// R53: the request's part of every security event it causes.
import type { FastifyRequest } from "fastify";
import type { RequestOrigin } from "../core/ports.js";

/** `request.ip` honours GATEHOUSE_TRUSTED_PROXIES (Fastify's trustProxy), nothing else. */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { clientAddress: request.ip, userAgent: request.headers["user-agent"] ?? null };
}
