// Where gatehouse's own pages live: at the root, or under one prefix when gatehouse stands in
// front of another app (the gateway), so that every other path belongs to that app. And where
// `next` may lead afterwards (R45).
import { isAbsoluteNext, NO_RETURN_HOSTS, safeNextTarget } from "../core/redirect.js";
import { GATEWAY_PREFIX, type ReturnTargets } from "../gateway/settings.js";

export { GATEWAY_PREFIX };

export interface SitePaths {
  /** "" at the root, GATEWAY_PREFIX in front of an upstream app. */
  prefix: string;
  /** One of gatehouse's own pages: to("/login") is "/.gatehouse/login" in the gateway. */
  to(path: string): string;
  /**
   * The sign-in page, continuing to `next` afterwards: relative for a path; on the sign-in host
   * (GATEHOUSE_PUBLIC_URL) for a URL on a return host, whose own host only proxies.
   */
  login(next: string): string;
  /** `raw` as a safe `next` (a path, or a URL on a return host), else "/" (R45). */
  next(raw: unknown): string;
}

export function sitePaths(prefix: string, returnTo?: ReturnTargets): SitePaths {
  const returnHosts = returnTo?.returnHosts ?? NO_RETURN_HOSTS;
  return {
    prefix,
    to: (path) => prefix + path,
    login: (next) => {
      const origin = returnTo && isAbsoluteNext(next) ? returnTo.signInOrigin : "";
      return `${origin}${prefix}/login?next=${encodeURIComponent(next)}`;
    },
    next: (raw) => safeNextTarget(raw, returnHosts),
  };
}

/**
 * The return hosts' origins. CSP's form-action also governs where a form's redirects may lead,
 * so the last step of a sign-in (a POST answered with 303 to the app) needs them besides 'self'.
 */
export function returnOrigins(returnTo: ReturnTargets | undefined): string[] {
  if (!returnTo) return [];
  const { scheme, hosts } = returnTo.returnHosts;
  return [...hosts].map((host) => `${scheme}//${host}`);
}
