import type { PublicPathRule } from "./public-paths.js";

/** Gateway mode: gatehouse's pages under /.gatehouse, every other path the upstream app's. */
export interface GatewaySettings {
  /** The built-in reverse proxy's target (GATEHOUSE_UPSTREAM); undefined for forward auth only. */
  upstream: URL | undefined;
  /** GATEHOUSE_PUBLIC_PATHS: upstream paths that need no sign-in. */
  publicPaths: PublicPathRule[];
  /** GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS, in milliseconds: slower answers get 504. */
  upstreamTimeoutMs: number;
}
