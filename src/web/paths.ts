// Where gatehouse's own pages live: at the root, or under one prefix when gatehouse stands in
// front of another app (the gateway), so that every other path belongs to that app.

/** The gateway's prefix for gatehouse's own pages (contract: Gateway section). */
export const GATEWAY_PREFIX = "/.gatehouse";

export interface SitePaths {
  /** "" at the root, GATEWAY_PREFIX in front of an upstream app. */
  prefix: string;
  /** One of gatehouse's own pages: to("/login") is "/.gatehouse/login" in the gateway. */
  to(path: string): string;
  /** The sign-in page, continuing to `next` (a same-origin path) afterwards. */
  login(next: string): string;
}

export function sitePaths(prefix: string): SitePaths {
  return {
    prefix,
    to: (path) => prefix + path,
    login: (next) => `${prefix}/login?next=${encodeURIComponent(next)}`,
  };
}
