// GET /.gatehouse/auth/verify: forward auth for a proxy in front (nginx auth_request, Traefik
// forwardAuth). The hottest path: one session lookup, nothing else (no argon2, no writes
// beyond the session's own idle-window touch).
import type { FastifyInstance, FastifyRequest } from "fastify";
import { SignInRequiredError } from "../../core/errors.js";
import { safeNextPath } from "../../core/redirect.js";
import type { PublicPaths } from "../../gateway/public-paths.js";
import { isNormalPath, pathOf } from "../../gateway/request-path.js";
import type { TrustedProxies } from "../../gateway/trusted-proxies.js";
import { USER_HEADER } from "../../gateway/upstream-headers.js";
import type { CookiePolicy } from "../cookies.js";
import type { WebDeps } from "../deps.js";
import { GATEWAY_PREFIX, type SitePaths } from "../paths.js";
import { resolveVisitor } from "../visitor.js";
import { fullySignedIn } from "./access.js";

/**
 * On a 401, the sign-in page for this request (its link, percent-encoded by us): nginx cannot
 * percent-encode `$request_uri` itself, so its sample redirects to this header's value instead.
 * Never an identity header (R51): it names a page, not a user.
 */
export const LOGIN_HEADER = "x-gatehouse-login";

/** Proxies name the request they are asking about in one of these (Traefik, nginx convention). */
const ORIGINAL_URI_HEADERS = ["x-forwarded-uri", "x-original-uri"] as const;

/**
 * The original request's URI, only from a trusted proxy and only when it is a same-origin path
 * in normal form; otherwise unknown (a client could name any path to look public).
 */
function originalURI(request: FastifyRequest, isTrustedProxy: TrustedProxies): string | undefined {
  if (!isTrustedProxy(request.socket.remoteAddress)) return undefined;
  for (const name of ORIGINAL_URI_HEADERS) {
    const value = request.headers[name];
    if (typeof value !== "string") continue;
    return isNormalPath(pathOf(value)) && safeNextPath(value) === value ? value : undefined;
  }
  return undefined;
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
  access: { isPublic: PublicPaths; isTrustedProxy: TrustedProxies },
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
      const original = originalURI(request, access.isTrustedProxy);
      if (original !== undefined && access.isPublic(pathOf(original))) return reply.code(200).send();
      const username = fullySignedIn(await resolveVisitor(request, deps, cookie));
      if (username !== undefined) return reply.code(200).header(USER_HEADER, username).send();
      // The 401 page's link and this header are one and the same sign-in URL.
      const next = original === undefined ? "/" : returnTarget(request, original, paths);
      reply.header(LOGIN_HEADER, paths.login(next));
      throw new SignInRequiredError(next);
    },
  });
}
