// GET /.gatehouse/auth/verify: forward auth for a proxy in front (nginx auth_request, Traefik
// forwardAuth). The hottest path: one session lookup, nothing else (no argon2, no writes
// beyond the session's own idle-window touch); a full sign-in adds one read of its groups.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ErrorCode, GatehouseError, SignInRequiredError } from "../../core/errors.js";
import { safeNextPath } from "../../core/redirect.js";
import { CONFLICTING, namedOriginalURI } from "../../gateway/original-uri.js";
import type { AccessPolicy } from "../../gateway/access-rules.js";
import { isNormalPath, pathOf } from "../../gateway/request-path.js";
import type { TrustedProxies } from "../../gateway/trusted-proxies.js";
import { identityHeaders } from "../../gateway/upstream-headers.js";
import type { CookiePolicy } from "../cookies.js";
import type { WebDeps } from "../deps.js";
import { GATEWAY_PREFIX, type SitePaths } from "../paths.js";
import { resolveVisitor } from "../visitor.js";
import { accessDenied, identityOf } from "./access.js";

/**
 * On a 401, the sign-in page for this request (its link, percent-encoded by us): nginx cannot
 * percent-encode `$request_uri` itself, so its sample redirects to this header's value instead.
 * Never an identity header (R51): it names a page, not a user.
 */
export const LOGIN_HEADER = "x-gatehouse-login";

const CONFLICT_MESSAGE = "This request names two different addresses, so it was refused.";

/**
 * The original request's URI, only from a trusted proxy and only when it is a same-origin path
 * in normal form; otherwise unknown (a client could name any path to look public). CONFLICTING,
 * whoever sent them, when the request names two (src/gateway/original-uri.ts).
 */
function originalURI(request: FastifyRequest, isTrustedProxy: TrustedProxies): string | undefined | typeof CONFLICTING {
  const named = namedOriginalURI(request.raw.rawHeaders);
  if (named === CONFLICTING) return named;
  if (named === undefined || !isTrustedProxy(request.socket.remoteAddress)) return undefined;
  return isNormalPath(pathOf(named)) && safeNextPath(named) === named ? named : undefined;
}

/**
 * Where the visitor returns after signing in: the original URI as an absolute URL when the
 * trusted proxy's X-Forwarded-Proto/-Host name a return host (an app on another subdomain than
 * gatehouse's), else the path itself. `original` came from a trusted proxy, and so does the host.
 */
function returnTarget(request: FastifyRequest, original: string, paths: SitePaths): string {
  const onAppHost = paths.next(`${request.protocol}://${request.host}${original}`);
  return onAppHost === "/" ? original : onAppHost;
}

export function verifyRoute(
  app: FastifyInstance,
  deps: WebDeps,
  cookie: CookiePolicy,
  paths: SitePaths,
  access: { decide: AccessPolicy; isTrustedProxy: TrustedProxies },
): void {
  app.route({
    // auth_request subrequests keep the original method; the answer never depends on it.
    method: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: `${GATEWAY_PREFIX}/auth/verify`,
    // Nothing but the session lookup: no page headers for an empty answer (a 401 page gets them).
    config: { sessionless: true, pageHeadersOnlyOnPages: true },
    handler: async (request, reply) => {
      // An answer about one visitor's cookie: no cache may keep it.
      reply.header("cache-control", "no-store");
      const named = originalURI(request, access.isTrustedProxy);
      const original = named === CONFLICTING ? undefined : named;
      // Without a trusted proxy's URI the path is unknown: never public, and only who every rule admits passes.
      const path = original === undefined ? undefined : pathOf(original);
      if (access.decide(path, null) === "public") return reply.code(200).send();
      const identity = await identityOf((await resolveVisitor(request, deps, cookie)).visit, deps.groups);
      // Not even a signed-in user passes: the path the proxy serves may be one no rule was asked about.
      if (identity !== null && named === CONFLICTING) throw new GatehouseError(ErrorCode.CONFLICTING_ORIGINAL_URI, CONFLICT_MESSAGE);
      const decision = access.decide(path, identity);
      if (decision === "deny") throw accessDenied();
      if (identity !== null && decision === "allow") return reply.code(200).headers(identityHeaders(identity)).send();
      // The 401 page's link and this header are one and the same sign-in URL.
      const next = original === undefined ? "/" : returnTarget(request, original, paths);
      reply.header(LOGIN_HEADER, paths.login(next));
      throw new SignInRequiredError(next);
    },
  });
}
