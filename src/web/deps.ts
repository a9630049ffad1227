import type { AccountChanges } from "../core/account-changes.js";
import type { Invitations } from "../core/invitations.js";
import type { GatewaySettings } from "../gateway/settings.js";
import type { Durability, EventStore, GroupStore, HealthCheck, RandomSource, RecoveryCodeStore } from "../core/ports.js";
import type { RememberedDevices } from "../core/remembered-devices.js";
import type { SessionManager } from "../core/sessions.js";
import type { PasswordStep } from "../core/password-step.js";
import type { SignIn } from "../core/sign-in.js";
import type { TwoFactor } from "../core/two-factor.js";

/** Everything the web layer needs, built by the composition root (src/compose.ts) or a test. */
export interface WebDeps {
  /** The sign-in flow's decisions: the routes parse, call this, and apply what it returns. */
  signIn: SignIn;
  /** The app's own first factor: its users' passwords and registration. */
  passwordStep: PasswordStep;
  /** A signed-in user's changes to their account, with what each ends. */
  accountChanges: AccountChanges;
  /** Who may register: the mode, and whether an invitation's token admits its holder. */
  invitations: Pick<Invitations, "registration" | "admit">;
  /** The per-request session lookup, and the account page's list of sessions. */
  sessions: Pick<SessionManager, "resolveWithUser" | "recheckWithUser" | "list">;
  /** The account page's list of remembered browsers. */
  devices: Pick<RememberedDevices, "list">;
  /** How long a remembered browser's cookie lasts (GATEHOUSE_REMEMBER_DAYS). */
  rememberBrowserMs: number;
  /** A user's groups: the gateway's access rules and X-Gatehouse-Groups. */
  groups: Pick<GroupStore, "listGroups">;
  /** The JSON API's list of a user's authenticators. */
  authenticators: Pick<TwoFactor, "listAuthenticators">;
  /** How many recovery codes are left, for the account page. */
  recoveryCodes: Pick<RecoveryCodeStore, "listUnused">;
  /** The activity log, read for the account page. */
  activity: Pick<EventStore, "listEvents">;
  csrfKey: Uint8Array;
  /** GET /healthz: each dependency by name ("database", and "redis" when configured). */
  health: Record<string, HealthCheck>;
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
