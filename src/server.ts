// `npm start` and `gatehouse serve`: configuration → stores → app → listen → print the address.
import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { composeApp } from "./compose.js";
import { configWarnings, ConfigError, loadConfig } from "./config.js";
import { notifierFromConfig } from "./notify/from-config.js";
import { loadMasterSecrets } from "./secret-key.js";

/** Starts the server and resolves once it listens; SIGINT and SIGTERM close it and exit. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logger = pino({
    level: config.logLevel,
    // Belt and braces (R52): nothing below logs these, and if it ever did they are masked.
    redact: ["req.headers.cookie", "req.headers.authorization", "res.headers['set-cookie']", "*.password", "*.otp", "*.recovery_code", "*._csrf"],
  });
  for (const warning of configWarnings(config)) logger.warn(warning);
  const { app } = await composeApp({
    databaseFile: join(config.dataDir, "gatehouse.sqlite"),
    databaseURL: config.databaseURL,
    redisURL: config.redisURL,
    redisKeyPrefix: config.redisKeyPrefix,
    // Seals with the current key; also opens with a rotation's next and previous keys.
    masterSecrets: loadMasterSecrets(config.secretKey, config.dataDir, config.previousSecretKeys),
    issuer: config.issuer,
    registration: config.registration,
    firstLockSeconds: config.firstLockSeconds,
    rememberDeviceMs: config.rememberDeviceMs,
    eventsKeptMs: config.eventsKeptMs,
    publicURL: config.publicURL,
    gateway: config.gateway,
    trustedProxies: config.trustedProxies,
    cookieDomain: config.cookieDomain,
    logger,
    notifier: notifierFromConfig(config, logger),
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  process.stdout.write(`gatehouse listening on http://${host}:${port}\n`);
}

/** One clear line, no stack trace: configuration mistakes are the common case here. */
export function describeStartupFailure(error: unknown): string {
  return error instanceof ConfigError ? error.message : `gatehouse failed to start: ${(error as Error).message}`;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// `node dist/server.js` (npm start) runs it; `gatehouse serve` imports it.
if (isEntryPoint()) {
  serve().catch((error: unknown) => {
    process.stderr.write(`${describeStartupFailure(error)}\n`);
    process.exit(1);
  });
}
