import type { ReturnHosts } from "../core/redirect.js";
import type { AccessRules } from "./access-rules.js";
import type { PublicPathRule } from "./public-paths.js";

/**
 * The gateway's prefix for gatehouse's own pages (contract: Gateway section); here, not in the
 * web layer, because the CLI builds invitation URLs with it too.
 */
export const GATEWAY_PREFIX = "/.gatehouse";

/** Forward auth across subdomains: the apps' hosts `next` may lead back to, and where to sign in. */
export interface ReturnTargets {
  /** GATEHOUSE_RETURN_HOSTS, with GATEHOUSE_PUBLIC_URL's scheme. */
  returnHosts: ReturnHosts;
  /** GATEHOUSE_PUBLIC_URL's origin: sign-in forms accept POSTs from there only. */
  signInOrigin: string;
}

/** Gateway mode: gatehouse's pages under /.gatehouse, every other path the upstream app's. */
export interface GatewaySettings {
  /** The built-in reverse proxy's target (GATEHOUSE_UPSTREAM); undefined for forward auth only. */
  upstream: URL | undefined;
  /** GATEHOUSE_PUBLIC_PATHS: upstream paths that need no sign-in. */
  publicPaths: PublicPathRule[];
  /** GATEHOUSE_ACCESS_RULES, parsed; undefined: every other path takes any full sign-in. */
  accessRules?: AccessRules | undefined;
  /** GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS, in milliseconds: slower answers get 504. */
  upstreamTimeoutMs: number;
  /** Set with GATEHOUSE_RETURN_HOSTS; otherwise `next` is a path on gatehouse's own host. */
  returnTo?: ReturnTargets | undefined;
  /** How often an open WebSocket's session is checked again (default 30 s; tests shorten it). */
  socketRecheckMs?: number | undefined;
}
