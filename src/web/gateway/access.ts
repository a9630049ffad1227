// Who may pass the gateway: a full sign-in (both factors), as the access rules see it
// (src/gateway/access-rules.ts). A password-only session is not one.
import type { FastifyRequest } from "fastify";
import { ErrorCode, GatehouseError } from "../../core/errors.js";
import type { GroupStore } from "../../core/ports.js";
import { stepOf, type Visit } from "../../core/sign-in.js";
import type { Identity } from "../../gateway/access-rules.js";

/**
 * The fully signed-in visitor with their groups, else null. The groups are a second, small
 * query (by primary key), made only for a full sign-in: everyone else costs one lookup, as before.
 */
export async function identityOf(visit: Visit, groups: Pick<GroupStore, "listGroups">): Promise<Identity | null> {
  if (!visit || stepOf(visit) !== "done") return null;
  return { username: visit.user.username, groups: await groups.listGroups(visit.user.id) };
}

/** A full sign-in the access rules do not let through: 403 with a page (forward auth too). */
export function accessDenied(): GatehouseError {
  return new GatehouseError(ErrorCode.ACCESS_DENIED, "Your account may not open this page. Ask an administrator if you need it.");
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
