// The web app over the shared services: the pieces `npm start` and the HTTP tests run.
import type { FastifyInstance } from "fastify";
import { DEFAULT_LOGIN_LIMITS } from "./core/accounts.js";
import { keyIdsOf } from "./core/keys.js";
import { accountsWithCodesOutside, codesOutsideRingWarning } from "./core/recovery-code-keys.js";
import { createServices, type ServiceOptions, type Services } from "./services.js";
import type { Store } from "./store/kysely-store.js";
import { buildApp } from "./web/app.js";
import type { WebOptions } from "./web/deps.js";

export { throttlePolicy } from "./services.js";

export interface ComposeOptions extends ServiceOptions, WebOptions {
  /** GATEHOUSE_EVENTS_DAYS: the sweep deletes older activity-log events (90 days when absent). */
  eventsKeptMs?: number;
}

const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Recovery codes made under a key that has left the ring (an operator dropped it from
 * GATEHOUSE_PREVIOUS_SECRET_KEYS, or rotated past it) no longer work: one line at startup says
 * how many accounts, so the loss is not silent. One query; no ids or tags in the log.
 */
async function warnOfCodesOutsideRing({ store, logger }: Services, masterSecrets: Uint8Array[]): Promise<void> {
  const accounts = await accountsWithCodesOutside(store.recoveryCodes, keyIdsOf(masterSecrets));
  if (accounts > 0) logger.warn(codesOutsideRingWarning(accounts));
}

export async function composeApp(
  options: ComposeOptions,
): Promise<{ app: FastifyInstance; store: Store; services: Services }> {
  // The web app awaits store.durability before every answer, so SQLite may commit in groups.
  const services = await createServices({ ...options, groupCommit: true });
  const { store, clock, logger, timeouts } = services;
  await warnOfCodesOutsideRing(services, options.masterSecrets);
  const web: WebOptions = {
    publicURL: options.publicURL,
    gateway: options.gateway,
    trustedProxies: options.trustedProxies,
    cookieDomain: options.cookieDomain,
  };
  const app = await buildApp({ ...web, logger }, {
    signIn: services.signIn,
    passwordStep: services.passwordStep,
    accountChanges: services.accountChanges,
    invitations: services.invitations,
    sessions: services.sessions,
    devices: services.devices,
    rememberBrowserMs: services.devices.lifetimeMs,
    groups: store.groups,
    authenticators: services.twoFactor,
    recoveryCodes: store.recoveryCodes,
    activity: store.events,
    csrfKey: services.csrfKey,
    health: services.health,
    random: services.random,
    durability: store.durability,
  });
  // Expired rows are refused by every query anyway; sweeping only keeps the tables small.
  const sweep = () =>
    store.sweep(clock.now(), timeouts.idleMs, DEFAULT_LOGIN_LIMITS.windowMs, options.eventsKeptMs).catch((error: unknown) => {
      logger.warn({ err: { message: (error as Error).message } }, "sweeping expired rows failed");
    });
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();
  app.addHook("onClose", async () => {
    clearInterval(sweeper);
    await services.close();
  });
  return { app, store, services };
}
