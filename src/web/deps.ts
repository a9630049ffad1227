import type { Accounts } from "../core/accounts.js";
import type { Invitations } from "../core/invitations.js";
import type { GatewaySettings } from "../gateway/settings.js";
import type { Clock, Durability, EventStore, GroupStore, HealthCheck, RandomSource, RecoveryCodeStore, UserStore } from "../core/ports.js";
import type { RememberedDevices } from "../core/remembered-devices.js";
import type { Sealer } from "../core/seal.js";
import type { SessionManager } from "../core/sessions.js";
import type { TwoFactor } from "../core/two-factor.js";

/** Everything the web layer needs, built by the composition root (src/server.ts) or a test. */
export interface WebDeps {
  accounts: Accounts;
  /** Who may register: the mode, and whether an invitation's token admits its holder. */
  invitations: Pick<Invitations, "registration" | "admit">;
  twoFactor: TwoFactor;
  sessions: SessionManager;
  devices: RememberedDevices;
  users: UserStore;
  /** A user's groups: the gateway's access rules and X-Gatehouse-Groups. */
  groups: Pick<GroupStore, "listGroups">;
  recoveryCodes: RecoveryCodeStore;
  /** The activity log, read for the account page. */
  activity: Pick<EventStore, "listEvents">;
  sealer: Sealer;
  csrfKey: Uint8Array;
  /** GET /healthz: each dependency by name ("database", and "redis" when configured). */
  health: Record<string, HealthCheck>;
  clock: Clock;
  random: RandomSource;
  /** When the store's writes are durable: every answer waits for its own (src/web/durable-answers.ts). */
  durability: Durability;
}

export interface WebOptions {
  /** GATEHOUSE_PUBLIC_URL: decides the cookie prefix and the expected Origin. */
  publicURL: URL | undefined;
  /** Set: gatehouse guards another app (its pages move under /.gatehouse). */
  gateway?: GatewaySettings | undefined;
  /** GATEHOUSE_TRUSTED_PROXIES: whose X-Forwarded-* headers are believed; nobody's by default. */
  trustedProxies?: string[] | undefined;
  /** GATEHOUSE_COOKIE_DOMAIN: the cookies' Domain attribute; host-only cookies when unset. */
  cookieDomain?: string | undefined;
}
