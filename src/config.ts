// The only reader of process.env. Every setting is validated at startup with one clear sentence.
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { RegistrationMode } from "./core/invitations.js";
import { AccessRulesError, parseAccessRules, type AccessRules } from "./gateway/access-rules.js";
import { parsePublicPathRules, publicPathProblem } from "./gateway/public-paths.js";
import type { GatewaySettings, ReturnTargets } from "./gateway/settings.js";
import { trustedProxyProblem } from "./gateway/trusted-proxies.js";

const port = z.coerce.number().int().min(0).max(65535);
const positiveSeconds = z.coerce.number().int().min(1);
const EVENTS_DAYS_RANGE = "GATEHOUSE_EVENTS_DAYS must be a whole number of days from 1 to 3650";
const LOCK_SECONDS_RANGE = "GATEHOUSE_LOCK_SECONDS must be a whole number of seconds from 1 to 86400 (one day, the longest lock)";

/** A comma-separated list whose every entry passes `problem` (which names what is wrong). */
function commaList(problem: (entry: string) => string | null) {
  return z
    .string()
    .transform((value) => value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== ""))
    .superRefine((entries, context) => {
      const first = entries.map(problem).find((message) => message !== null);
      if (first) context.addIssue({ code: "custom", message: first });
    });
}

/** A registrable host name for a cookie's Domain attribute (RFC 6265 §5.2.3); no IP address. */
const COOKIE_DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A return host: a host name (lower case, no trailing dot, no IP address), with a port or not. */
const RETURN_HOST = /^(?=.{1,253}(:|$))([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?(:([1-9][0-9]{0,4}))?$/;

function returnHostProblem(entry: string): string | null {
  const port = Number(entry.split(":")[1] ?? "1");
  if (RETURN_HOST.test(entry) && port <= 65535) return null;
  return `GATEHOUSE_RETURN_HOSTS entry ${JSON.stringify(entry)} must be a host name such as app.example.com, with :port only when its URLs carry one`;
}

const EnvSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  GATEHOUSE_DATA_DIR: z.string().min(1).default("./data"),
  GATEHOUSE_SECRET_KEY: z
    .string()
    .refine((value) => Buffer.byteLength(value, "utf8") >= 32, "GATEHOUSE_SECRET_KEY must be at least 32 bytes long")
    .optional(),
  // Key rotation with GATEHOUSE_SECRET_KEY: the keys before it, comma-separated; they only open
  // secrets sealed before the rotation (`gatehouse keys rotate --to-env` explains the steps).
  GATEHOUSE_PREVIOUS_SECRET_KEYS: z
    .string()
    .transform((value) => value.split(",").map((key) => key.trim()).filter((key) => key !== ""))
    .refine(
      (keys) => keys.every((key) => Buffer.byteLength(key, "utf8") >= 32),
      "every key in GATEHOUSE_PREVIOUS_SECRET_KEYS must be at least 32 bytes long",
    )
    .default([]),
  GATEHOUSE_PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: "GATEHOUSE_PUBLIC_URL must be an http:// or https:// URL" })
    .optional(),
  GATEHOUSE_ISSUER: z
    .string()
    .min(1)
    .max(64)
    .refine((value) => !value.includes(":"), "GATEHOUSE_ISSUER must not contain ':' (Key Uri Format)")
    .default("gatehouse"),
  // No default here: it depends on the mode (loadConfig).
  GATEHOUSE_REGISTRATION: z.enum(["open", "invite", "closed"], "GATEHOUSE_REGISTRATION must be open, invite or closed").optional(),
  // The contract caps every lock at one day (R12); a longer first lock would also overflow the
  // lock's end time on PostgreSQL's BIGINT for huge values.
  GATEHOUSE_LOCK_SECONDS: z.coerce.number(LOCK_SECONDS_RANGE).int(LOCK_SECONDS_RANGE).min(1, LOCK_SECONDS_RANGE).max(86_400, LOCK_SECONDS_RANGE).default(30),
  GATEHOUSE_REMEMBER_DAYS: z.coerce.number().int().min(1).max(30, "GATEHOUSE_REMEMBER_DAYS is at most 30").default(30),
  // How long the activity log keeps an event (review F5: it grew without bound).
  GATEHOUSE_EVENTS_DAYS: z.coerce.number(EVENTS_DAYS_RANGE).int(EVENTS_DAYS_RANGE).min(1, EVENTS_DAYS_RANGE).max(3650, EVENTS_DAYS_RANGE).default(90),
  GATEHOUSE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  GATEHOUSE_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: "GATEHOUSE_WEBHOOK_URL must be an http:// or https:// URL" }).optional(),
  GATEHOUSE_WEBHOOK_SECRET: z
    .string()
    .refine((value) => Buffer.byteLength(value, "utf8") >= 32, "GATEHOUSE_WEBHOOK_SECRET must be at least 32 bytes long")
    .optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, message: "DATABASE_URL must be a postgres:// or postgresql:// URL" })
    .optional(),
  // Test hook for the interrupted-rotation test only: `gatehouse keys rotate` prints "paused"
  // after resealing this many secrets and waits for stdin to close (test/cli/keys.test.ts).
  GATEHOUSE_TEST_ROTATE_PAUSE_AFTER: z.coerce.number().int().min(1).optional(),
  // The throttle counters move to Redis when set (src/limits/redis.ts); the database otherwise.
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: "REDIS_URL must be a redis:// or rediss:// URL" }).optional(),
  // Every key gatehouse writes to Redis starts with this; installations sharing one Redis (or
  // test runs) keep apart by it. Equal on every instance of one installation.
  GATEHOUSE_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "GATEHOUSE_REDIS_PREFIX is 1-64 letters, digits, '_', '.', ':' or '-'")
    .default("gatehouse:"),
  // The gateway (docs/http-interface.md, Gateway): the app gatehouse proxies to, and/or verify
  // endpoints for a proxy in front (forward auth).
  GATEHOUSE_UPSTREAM: z
    .url({ protocol: /^https?$/, message: "GATEHOUSE_UPSTREAM must be an http:// or https:// URL" })
    .refine((value) => {
      // Runs after a failed URL check too: an unparseable value is reported by that check.
      if (!URL.canParse(value)) return true;
      const url = new URL(value);
      return url.username === "" && url.password === "" && url.search === "" && url.hash === "";
    }, "GATEHOUSE_UPSTREAM must not carry credentials, a query or a fragment")
    .optional(),
  GATEHOUSE_FORWARD_AUTH: z.enum(["true", "false"], "GATEHOUSE_FORWARD_AUTH must be true or false").default("false"),
  GATEHOUSE_TRUSTED_PROXIES: commaList(trustedProxyProblem).default([]),
  GATEHOUSE_PUBLIC_PATHS: commaList(publicPathProblem).default([]),
  // A JSON file of access rules (src/gateway/access-rules.ts), read once at startup.
  GATEHOUSE_ACCESS_RULES: z.string().min(1, "GATEHOUSE_ACCESS_RULES must name a file").optional(),
  GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: positiveSeconds.max(3600, "GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS is at most 3600").default(30),
  GATEHOUSE_COOKIE_DOMAIN: z
    .string()
    .transform((value) => value.toLowerCase().replace(/^\./, ""))
    .refine((value) => COOKIE_DOMAIN.test(value), "GATEHOUSE_COOKIE_DOMAIN must be a host name such as example.com")
    .optional(),
  // R45: the apps' hosts (forward auth across subdomains) that `next` may lead back to.
  GATEHOUSE_RETURN_HOSTS: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(commaList(returnHostProblem))
    .default([]),
});



export interface Config {
  host: string;
  port: number;
  dataDir: string;
  secretKey: string | undefined;
  /** Older master keys that still open secrets (rotation with GATEHOUSE_SECRET_KEY). */
  previousSecretKeys: string[];
  publicURL: URL | undefined;
  issuer: string;
  /** Who may create an account at /register (contract: Who may register). */
  registration: RegistrationMode;
  firstLockSeconds: number;
  rememberDeviceMs: number;
  /** GATEHOUSE_EVENTS_DAYS: activity-log events older than this are swept. */
  eventsKeptMs: number;
  logLevel: z.infer<typeof EnvSchema>["GATEHOUSE_LOG_LEVEL"];
  webhook: { url: URL; secret: string } | undefined;
  /** PostgreSQL when set; otherwise the embedded SQLite file in dataDir. */
  databaseURL: string | undefined;
  /** The throttle counters live in this Redis when set; in the database otherwise. */
  redisURL: string | undefined;
  /** The first part of every Redis key (GATEHOUSE_REDIS_PREFIX). */
  redisKeyPrefix: string;
  /** Set when GATEHOUSE_UPSTREAM or GATEHOUSE_FORWARD_AUTH=true: the gateway. */
  gateway: GatewaySettings | undefined;
  /** IPs and CIDR ranges whose X-Forwarded-* headers are believed (none by default). */
  trustedProxies: string[];
  /** The cookies' Domain attribute (shared by the apps under it); host-only cookies when unset. */
  cookieDomain: string | undefined;
  /** Test hooks; unset in production. */
  testHooks: { rotatePauseAfter: number | undefined };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Settings that work but are probably a mistake: the server logs each at startup. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.gateway && config.registration === "open") {
    warnings.push(
      "GATEHOUSE_REGISTRATION=open on a gateway: anyone who reaches it can create an account and use the app behind it; " +
        "invite (the gateway's default) or closed keeps strangers out",
    );
  }
  return warnings;
}

/**
 * GATEHOUSE_RETURN_HOSTS: only for forward auth, with GATEHOUSE_PUBLIC_URL (the sign-in host,
 * whose scheme the return URLs must share), and under GATEHOUSE_COOKIE_DOMAIN (a host outside it
 * would never see the session, and its visitors would sign in forever).
 */
function returnTargets(
  hosts: string[],
  context: { forwardAuth: boolean; publicURL: URL | undefined; domain: string | undefined },
): ReturnTargets | undefined {
  if (hosts.length === 0) return undefined;
  const { forwardAuth, publicURL, domain } = context;
  if (!forwardAuth) throw new ConfigError("GATEHOUSE_RETURN_HOSTS needs GATEHOUSE_FORWARD_AUTH=true: the hosts are apps behind a forward-auth proxy.");
  if (!publicURL) throw new ConfigError("GATEHOUSE_RETURN_HOSTS needs GATEHOUSE_PUBLIC_URL, the host users sign in on.");
  const outside = hosts.find((host) => {
    const name = host.split(":")[0] ?? "";
    return domain === undefined || (name !== domain && !name.endsWith(`.${domain}`));
  });
  if (outside !== undefined) {
    throw new ConfigError(`GATEHOUSE_RETURN_HOSTS entry ${outside} must be under GATEHOUSE_COOKIE_DOMAIN, or it never receives the session cookie.`);
  }
  const scheme = publicURL.protocol === "http:" ? "http:" : "https:";
  return { returnHosts: { scheme, hosts: new Set(hosts) }, signInOrigin: publicURL.origin };
}

/** GATEHOUSE_ACCESS_RULES: a file that cannot be read or used stops startup with one line. */
function readAccessRules(file: string): AccessRules {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`GATEHOUSE_ACCESS_RULES: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    return parseAccessRules(text);
  } catch (error) {
    if (error instanceof AccessRulesError) throw new ConfigError(`GATEHOUSE_ACCESS_RULES: ${file}: ${error.message}`);
    throw error;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") ?? "environment";
    throw new ConfigError(`Invalid configuration: ${where}: ${issue?.message ?? "invalid value"}`);
  }
  const e = parsed.data;
  if (e.GATEHOUSE_WEBHOOK_URL && !e.GATEHOUSE_WEBHOOK_SECRET) {
    throw new ConfigError("GATEHOUSE_WEBHOOK_URL needs GATEHOUSE_WEBHOOK_SECRET (at least 32 bytes) to sign deliveries.");
  }
  const publicURL = e.GATEHOUSE_PUBLIC_URL ? new URL(e.GATEHOUSE_PUBLIC_URL) : undefined;
  const domain = e.GATEHOUSE_COOKIE_DOMAIN;
  if (domain && publicURL && publicURL.hostname !== domain && !publicURL.hostname.endsWith(`.${domain}`)) {
    throw new ConfigError(`GATEHOUSE_COOKIE_DOMAIN (${domain}) must be the host of GATEHOUSE_PUBLIC_URL or a parent of it, or browsers drop the cookies.`);
  }
  const gatewayOn = e.GATEHOUSE_UPSTREAM !== undefined || e.GATEHOUSE_FORWARD_AUTH === "true";
  if (e.GATEHOUSE_ACCESS_RULES !== undefined && !gatewayOn) {
    throw new ConfigError("GATEHOUSE_ACCESS_RULES needs GATEHOUSE_UPSTREAM or GATEHOUSE_FORWARD_AUTH=true: the rules are about the app behind the gateway.");
  }
  const returnTo = returnTargets(e.GATEHOUSE_RETURN_HOSTS, { forwardAuth: e.GATEHOUSE_FORWARD_AUTH === "true", publicURL, domain });
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: e.GATEHOUSE_DATA_DIR,
    secretKey: e.GATEHOUSE_SECRET_KEY,
    previousSecretKeys: e.GATEHOUSE_PREVIOUS_SECRET_KEYS,
    publicURL,
    issuer: e.GATEHOUSE_ISSUER,
    // F2: in front of an app, open registration lets any stranger in as a name of their choice.
    registration: e.GATEHOUSE_REGISTRATION ?? (gatewayOn ? "invite" : "open"),
    firstLockSeconds: e.GATEHOUSE_LOCK_SECONDS,
    rememberDeviceMs: e.GATEHOUSE_REMEMBER_DAYS * 24 * 60 * 60_000,
    eventsKeptMs: e.GATEHOUSE_EVENTS_DAYS * 24 * 60 * 60_000,
    databaseURL: e.DATABASE_URL,
    redisURL: e.REDIS_URL,
    redisKeyPrefix: e.GATEHOUSE_REDIS_PREFIX,
    logLevel: e.GATEHOUSE_LOG_LEVEL,
    webhook:
      e.GATEHOUSE_WEBHOOK_URL && e.GATEHOUSE_WEBHOOK_SECRET
        ? { url: new URL(e.GATEHOUSE_WEBHOOK_URL), secret: e.GATEHOUSE_WEBHOOK_SECRET }
        : undefined,
    gateway: gatewayOn
      ? {
          upstream: e.GATEHOUSE_UPSTREAM ? new URL(e.GATEHOUSE_UPSTREAM) : undefined,
          publicPaths: parsePublicPathRules(e.GATEHOUSE_PUBLIC_PATHS),
          accessRules: e.GATEHOUSE_ACCESS_RULES === undefined ? undefined : readAccessRules(e.GATEHOUSE_ACCESS_RULES),
          upstreamTimeoutMs: e.GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS * 1000,
          returnTo,
        }
      : undefined,
    trustedProxies: e.GATEHOUSE_TRUSTED_PROXIES,
    cookieDomain: domain,
    testHooks: { rotatePauseAfter: e.GATEHOUSE_TEST_ROTATE_PAUSE_AFTER },
  };
}
