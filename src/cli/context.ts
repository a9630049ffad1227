// What every command that touches the data shares with the server: the configuration
// (loadConfig, the same environment variables), the database file, the key ring and the notifier.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig, type Config } from "../config.js";
import { usernameKey } from "../core/credentials.js";
import type { EventOrigin, UserRecord } from "../core/ports.js";
import { notifierFromConfig } from "../notify/from-config.js";
import { loadMasterSecrets } from "../secret-key.js";
import { createServices, type Services } from "../services.js";
import { describeStore, type StoreLocation } from "../store/open.js";
import { CommandFailure } from "./command.js";
import { describeError } from "./errors.js";

export const DATABASE_FILE_NAME = "gatehouse.sqlite";

/** Every event a command causes is recorded with this origin (R53). */
export const CLI_ORIGIN: EventOrigin = { clientAddress: null, userAgent: "gatehouse-cli" };

export function databaseFileOf(config: Config): string {
  return join(config.dataDir, DATABASE_FILE_NAME);
}

export function storeLocationOf(config: Config): StoreLocation {
  return { databaseFile: databaseFileOf(config), databaseURL: config.databaseURL };
}

/** Only `serve` and `migrate` create the database; any other command on a missing one fails. */
export function requireDatabase(config: Config): StoreLocation {
  const location = storeLocationOf(config);
  if (!location.databaseURL && !existsSync(location.databaseFile)) {
    throw new CommandFailure(`no database at ${location.databaseFile}; run gatehouse migrate or start the server first`);
  }
  return location;
}

export interface OpenOptions {
  /** The key ring to use instead of the configured one (key rotation). */
  masterSecrets?: Uint8Array[];
}

/** Opens the services on the existing database, as the server would. */
export async function openServices(config: Config, options: OpenOptions = {}): Promise<Services> {
  const location = requireDatabase(config);
  const masterSecrets =
    options.masterSecrets ?? loadMasterSecrets(config.secretKey, config.dataDir, config.previousSecretKeys);
  // stdout carries the command's output: logs go to stderr, and only warnings and errors.
  const logger = pino({ level: "warn" }, pino.destination({ fd: 2, sync: true }));
  try {
    return await createServices({
      ...location,
      masterSecrets,
      issuer: config.issuer,
      registration: config.registration,
      firstLockSeconds: config.firstLockSeconds,
      rememberDeviceMs: config.rememberDeviceMs,
      // `user unlock` and `user show` must see the counters where the server keeps them.
      redisURL: config.redisURL,
      redisKeyPrefix: config.redisKeyPrefix,
      logger,
      notifier: notifierFromConfig(config, logger),
    });
  } catch (error) {
    throw new CommandFailure(`cannot open ${describeStore(location)}: ${describeError(error, { withPath: false })}`);
  }
}

/** Runs `work` on freshly opened services and closes them whatever happens. */
export async function withServices<T>(
  config: Config,
  work: (services: Services) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const services = await openServices(config, options);
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/** `withServices` on the server's configuration for the user NAME, who must exist (exit 1 if not). */
export function withUser<T>(name: string, work: (services: Services, user: UserRecord) => Promise<T>): Promise<T> {
  return withServices(loadConfig(), async (services) => work(services, await findUser(services, name)));
}

export async function findUser(services: Services, name: string): Promise<UserRecord> {
  const key = usernameKey(name);
  const user = key === null ? null : await services.store.users.findUserByUsernameKey(key);
  if (!user) throw new CommandFailure(`no user named ${name}`);
  return user;
}
