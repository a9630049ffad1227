// The notifier the configuration asks for, shared by the server and the admin CLI so that both
// tell users about the same events in the same way: the signed webhook when one is configured,
// otherwise the services' default (the log).
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Notifier } from "./notifier.js";
import { createWebhookNotifier } from "./webhook.js";

export function notifierFromConfig(config: Pick<Config, "webhook">, logger: Logger): Notifier | undefined {
  if (!config.webhook) return undefined;
  return createWebhookNotifier({
    url: config.webhook.url,
    secret: new Uint8Array(Buffer.from(config.webhook.secret, "utf8")),
    logger: logger.child({ component: "webhook" }),
  });
}
