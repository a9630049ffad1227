// Who may pass the gateway: a full sign-in (both factors). A password-only session is not one.
import type { FastifyRequest } from "fastify";
import type { Visitor } from "../visitor.js";

/** The username of a fully signed-in visitor, else undefined. */
export function fullySignedIn(visitor: Visitor): string | undefined {
  return visitor.session?.level === "full" && visitor.user ? visitor.user.username : undefined;
}

/**
 * A browser loading a page (Fetch Metadata, or a GET/HEAD that wants HTML) is sent to sign in;
 * scripts, API clients and subresources get 401 instead of a login page they cannot use.
 */
export function isBrowserNavigation(request: FastifyRequest): boolean {
  if (request.headers["sec-fetch-mode"] === "navigate") return true;
  const accept = request.headers.accept ?? "";
  return (request.method === "GET" || request.method === "HEAD") && /\btext\/html\b/i.test(accept);
}
