// What the HTTP bench runs against what: the servers (started in parallel, seeded before they
// start) and the list of cases, in the report's order.
import { wrongPasswordScenario, wrongRecoveryCodeScenario } from "./amplification.js";
import type { BenchKeys } from "./keys.js";
import { Fleet, seedSignedIn } from "./deployments.js";
import type { BenchProcess } from "./processes.js";
import { get } from "./requests.js";
import {
  passwordStormScenario,
  rightCodeScenario,
  signedInScenario,
  simpleScenario,
  wrongCodeScenario,
  type Deployment,
  type LoadSettings,
  type Scenario,
} from "./scenarios.js";
import { seedAccounts, type SeededAccount } from "./seed.js";

export interface HTTPSettings {
  rounds: number;
  durationSeconds: number;
  connections: number;
  stormConnections: number;
  /** First guess of the single-use paths' rate; later rounds size their pools from the last one. */
  initialRps: number;
  growthSmallUsers: number;
  growthLargeUsers: number;
  /** Right codes per growth run: the small population answers each account once. */
  growthResidents: number;
  /** Runs of those right codes per growth round; the round's sample is their median. */
  growthRuns: number;
}

export interface Plan {
  scenarios: Scenario[];
  /** Cases that cannot run here, with the reason. */
  unavailable: { id: string; reason: string }[];
  /** The SQLite server and its signed-in accounts (the soak runs there). */
  main: Deployment;
  signedIn: SeededAccount[];
}

export const FORWARD_AUTH_PATH = "/.gatehouse/auth/verify";
/** Signed-in accounts per server: every connection its own session. */
const SIGNED_IN_ACCOUNTS = 100;

/** The forward-auth route exists once the gateway lands; until then the case says so. */
async function forwardAuthProblem(server: BenchProcess, account: SeededAccount): Promise<string | null> {
  const request = get(FORWARD_AUTH_PATH, account.sessionToken);
  const response = await fetch(server.url + request.path, { headers: request.headers ?? {}, redirect: "manual" });
  if (response.status === 200 && response.headers.get("x-gatehouse-user") === account.username) return null;
  return `not available: GET ${FORWARD_AUTH_PATH} with a signed-in cookie answered ${response.status}${
    response.headers.get("x-gatehouse-user") ? "" : " without X-Gatehouse-User"
  } (the gateway is not in this build)`;
}

async function timed<T>(log: (line: string) => void, what: string, run: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const result = await run();
  log(`${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

export async function startPlan(
  fleet: Fleet,
  keys: BenchKeys,
  settings: HTTPSettings,
  log: (line: string) => void,
  only?: readonly string[],
): Promise<Plan> {
  const signedInSeed = (label: string, count: number, keep?: number) => (db: Parameters<typeof seedSignedIn>[0]) =>
    seedSignedIn(db, keys, label, count, keep);
  // Connected first: the seeding below keeps this process busy, and a connection attempt then times out.
  const postgres = await fleet.openPostgres();
  const startPostgres = () =>
    Promise.all([
      fleet.startPostgresInstances("pg", postgres.database.url, postgres.db, 2, false),
      fleet.startPostgresInstances("pg-redis", postgres.database.url, postgres.db, 2, true),
    ]);
  const [bare, main, gateway, small, amplification, [pg, pgRedis]] = await Promise.all([
    fleet.startBare(),
    fleet.startSQLite("sqlite", signedInSeed("signed-in", SIGNED_IN_ACCOUNTS)),
    // Forward auth moves gatehouse's own pages under /.gatehouse, so it gets a server of its own.
    fleet.startSQLite("forward-auth", signedInSeed("gateway", SIGNED_IN_ACCOUNTS), { GATEHOUSE_FORWARD_AUTH: "true" }),
    fleet.startSQLite("growth-small", signedInSeed("small", settings.growthSmallUsers, settings.growthResidents)),
    // Behind a "proxy" (the bench client) so that each wrong password can come from its own address.
    fleet.startSQLite("amplification", (db) => seedAccounts(db, keys, { label: "amplification", count: 1, session: "none" }), {
      GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1",
    }),
    startPostgres(),
  ]);
  // Alone, after the others listen: seeding a million rows keeps this process busy, and a
  // server's listening line would wait unread behind it until its startup timer fires. Skipped
  // when no case needs it (--only), since it is most of the startup time.
  const needsLarge = !only || only.some((id) => id.startsWith("growth-") && id.endsWith("-1m"));
  const large = needsLarge
    ? await timed(log, `seeding ${settings.growthLargeUsers.toLocaleString("en-US")} users in one transaction, then starting`, () =>
        fleet.startSQLite("growth-large", signedInSeed("large", settings.growthLargeUsers, settings.growthResidents)),
      )
    : undefined;
  const load: LoadSettings = { durationSeconds: settings.durationSeconds, connections: settings.connections };
  const server = main.deployment.instances[0]!;
  const one = (d: Deployment) => ({ ...d, instances: d.instances.slice(0, 1) });
  // Argon2 cases are bound by the one hashing slot: a few connections keep it busy, and with 50
  // a request of 10 verifies would wait behind the queue past a short round's end.
  const argon2Load: LoadSettings = { ...load, connections: 8 };

  const scenarios: Scenario[] = [
    simpleScenario({ id: "bare", title: "bare Fastify hello-world (baseline)", section: "baseline" }, bare, () => get("/"), 200, load),
    simpleScenario({ id: "login-page", title: "GET /login", section: "http" }, server, () => get("/login"), 200, load),
    wrongCodeScenario({ id: "wrong-code", title: "POST /2fa, wrong code", section: "http" }, main.deployment, load, settings.initialRps),
    rightCodeScenario({ id: "right-code", title: "POST /2fa, right code (SQLite)", section: "http" }, main.deployment, load, settings),
    signedInScenario({ id: "signed-in", title: "GET / signed in", section: "http" }, server, "/", main.seeded, load),
  ];
  const unavailable: Plan["unavailable"] = [];
  const gatewayServer = gateway.deployment.instances[0]!;
  const problem = await forwardAuthProblem(gatewayServer, gateway.seeded[0]!);
  if (problem === null) {
    scenarios.push(
      signedInScenario({ id: "forward-auth", title: `GET ${FORWARD_AUTH_PATH} (forward auth)`, section: "http" }, gatewayServer, FORWARD_AUTH_PATH, gateway.seeded, load),
    );
  } else {
    unavailable.push({ id: "forward-auth", reason: problem });
  }
  for (const [id, users, { deployment, seeded }] of [
    ["1k", settings.growthSmallUsers, small] as const,
    ...(large ? [["1m", settings.growthLargeUsers, large] as const] : []),
  ]) {
    const label = `${users.toLocaleString("en-US")} users`;
    scenarios.push(
      rightCodeScenario({ id: `growth-right-${id}`, title: `POST /2fa, right code, ${label}`, section: "growth" }, deployment, load, {
        residents: seeded,
        runs: settings.growthRuns,
      }),
      signedInScenario({ id: `growth-signed-in-${id}`, title: `GET / signed in, ${label}`, section: "growth" }, deployment.instances[0]!, "/", seeded, load),
    );
  }
  scenarios.push(
    rightCodeScenario({ id: "pg-1", title: "POST /2fa, right code, PostgreSQL, 1 instance", section: "scale-out" }, one(pg), load, settings),
    rightCodeScenario({ id: "pg-2", title: "POST /2fa, right code, PostgreSQL, 2 instances", section: "scale-out" }, pg, load, settings),
    rightCodeScenario({ id: "pg-redis-1", title: "POST /2fa, right code, PostgreSQL + Redis, 1 instance", section: "scale-out" }, one(pgRedis), load, settings),
    rightCodeScenario({ id: "pg-redis-2", title: "POST /2fa, right code, PostgreSQL + Redis, 2 instances", section: "scale-out" }, pgRedis, load, settings),
    wrongPasswordScenario({ id: "wrong-password", title: "POST /login, wrong password (one Argon2id verify)", section: "amplification" }, amplification.deployment, amplification.seeded[0]!, argon2Load),
    wrongRecoveryCodeScenario({ id: "wrong-recovery-code", title: "POST /2fa/recovery, wrong code (keyed hashes)", section: "amplification" }, amplification.deployment, argon2Load, {
      initialRps: settings.initialRps,
      legacy: false,
    }),
    wrongRecoveryCodeScenario(
      { id: "wrong-recovery-code-legacy", title: "POST /2fa/recovery, wrong code (10 Argon2id codes, as stored before)", section: "amplification" },
      amplification.deployment,
      argon2Load,
      { initialRps: 10, legacy: true },
    ),
    passwordStormScenario({ id: "password-storm", title: "POST /login storm (Argon2id, production parameters)", section: "storm" }, main.deployment, main.seeded, {
      ...load,
      stormConnections: settings.stormConnections,
    }),
  );
  return { scenarios, unavailable, main: main.deployment, signedIn: main.seeded };
}
