// `npm start`: configuration → stores → app → listen → print the address.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { composeApp } from "./compose.js";
import { ConfigError, loadConfig } from "./config.js";
import { createWebhookNotifier } from "./notify/webhook.js";
import { loadMasterSecret } from "./secret-key.js";

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logger = pino({
    level: config.logLevel,
    // Belt and braces (R52): nothing below logs these, and if it ever did they are masked.
    redact: ["req.headers.cookie", "req.headers.authorization", "res.headers['set-cookie']", "*.password", "*.otp", "*.recovery_code", "*._csrf"],
  });
  const { app } = await composeApp({
    databaseFile: join(config.dataDir, "gatehouse.sqlite"),
    masterSecrets: [loadMasterSecret(config.secretKey, config.dataDir)],
    issuer: config.issuer,
    registrationOpen: config.registrationOpen,
    firstLockSeconds: config.firstLockSeconds,
    publicURL: config.publicURL,
    logger,
    ...(config.webhook
      ? {
          notifier: createWebhookNotifier({
            url: config.webhook.url,
            secret: new Uint8Array(Buffer.from(config.webhook.secret, "utf8")),
            logger: logger.child({ component: "webhook" }),
          }),
        }
      : {}),
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

main().catch((error: unknown) => {
  // One clear line, no stack trace: configuration mistakes are the common case here.
  const message = error instanceof ConfigError ? error.message : `gatehouse failed to start: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
