// The HTTP bench (issues 4 and 6): the real app on its own process(es), load from this process,
// every case a ratio to a bare Fastify route measured in the same interleaved rounds.
import { createBenchKeys } from "./keys.js";
import { Fleet, seedSignedIn } from "./deployments.js";
import type { BenchProcess } from "./processes.js";
import { get } from "./requests.js";
import { buildRows, type HTTPRow, type TargetResult } from "./report.js";
import { runRounds } from "./rounds.js";
import {
  passwordStormScenario,
  rightCodeScenario,
  signedInScenario,
  simpleScenario,
  wrongCodeScenario,
  type LoadSettings,
  type Scenario,
} from "./scenarios.js";
import type { SeededAccount } from "./seed.js";
import { runSoak, type SoakResult } from "./soak.js";
import { evaluateTargets, growthComparisons, scaleOutComparisons, type Comparison } from "./targets.js";

export interface HTTPBenchOptions {
  quick: boolean;
  soak: boolean;
  log: (line: string) => void;
}

export interface HTTPSettings {
  rounds: number;
  durationSeconds: number;
  connections: number;
  stormConnections: number;
  initialRps: number;
  growthSmallUsers: number;
  growthLargeUsers: number;
  growthResidents: number;
}

export interface HTTPBenchResult {
  settings: HTTPSettings;
  rows: HTTPRow[];
  growth: Comparison[];
  scaleOut: Comparison[];
  targets: TargetResult[];
  soak?: SoakResult;
  /** Cases that could not run, with the reason (the forward-auth check before the gateway exists). */
  unavailable: { id: string; reason: string }[];
  notes: string[];
}

const FORWARD_AUTH_PATH = "/.gatehouse/auth/verify";

/** The forward-auth route exists once the gateway lands; until then the case says so. */
async function forwardAuthAvailable(server: BenchProcess, account: SeededAccount): Promise<string | null> {
  const request = get(FORWARD_AUTH_PATH, account.sessionToken);
  const response = await fetch(server.url + request.path, { headers: request.headers ?? {}, redirect: "manual" });
  if (response.status === 200 && response.headers.get("x-gatehouse-user") === account.username) return null;
  return `not available: GET ${FORWARD_AUTH_PATH} with a signed-in cookie answered ${response.status}${
    response.headers.get("x-gatehouse-user") ? "" : " without X-Gatehouse-User"
  } (the gateway is not in this build)`;
}

export async function runHTTPBench(options: HTTPBenchOptions): Promise<HTTPBenchResult> {
  const { quick, log } = options;
  const settings: HTTPSettings = {
    rounds: quick ? 1 : 4,
    durationSeconds: quick ? 1 : 10,
    connections: 50,
    stormConnections: 32,
    /** First guess of the single-use paths' rate; later rounds size their pools from the last one. */
    initialRps: quick ? 300 : 1_500,
    growthSmallUsers: 1_000,
    growthLargeUsers: quick ? 20_000 : 1_000_000,
    /** Right codes per growth round: the small population answers each account once. */
    growthResidents: quick ? 200 : 1_000,
  };
  const load: LoadSettings = { durationSeconds: settings.durationSeconds, connections: settings.connections };
  const keys = createBenchKeys();
  const fleet = new Fleet(keys, log);
  try {
    log("starting servers and seeding");
    const bare = await fleet.startBare();
    const main = await fleet.startSQLite("sqlite", (db) => seedSignedIn(db, keys, "signed-in", 100));
    const signedIn = main.seeded;
    const [small, large] = [
      await fleet.startSQLite("growth-small", (db) => seedSignedIn(db, keys, "small", settings.growthSmallUsers, settings.growthResidents)),
      await timed(log, `seeding ${settings.growthLargeUsers.toLocaleString("en-US")} users in one transaction`, () =>
        fleet.startSQLite("growth-large", (db) => seedSignedIn(db, keys, "large", settings.growthLargeUsers, settings.growthResidents)),
      ),
    ];
    const postgres = await fleet.openPostgres();
    const [pg, pgRedis] = await Promise.all([
      fleet.startPostgresInstances("pg", postgres.database.url, postgres.db, 2, false),
      fleet.startPostgresInstances("pg-redis", postgres.database.url, postgres.db, 2, true),
    ]);
    const one = (d: typeof pg) => ({ ...d, instances: d.instances.slice(0, 1) });

    const server = main.deployment.instances[0]!;
    const unavailable: HTTPBenchResult["unavailable"] = [];
    const scenarios: Scenario[] = [
      simpleScenario({ id: "bare", title: "bare Fastify hello-world (baseline)", section: "baseline" }, bare, () => get("/"), 200, load),
      simpleScenario({ id: "login-page", title: "GET /login", section: "http" }, server, () => get("/login"), 200, load),
      wrongCodeScenario({ id: "wrong-code", title: "POST /2fa, wrong code", section: "http" }, main.deployment, load, settings.initialRps),
      rightCodeScenario({ id: "right-code", title: "POST /2fa, right code (SQLite)", section: "http" }, main.deployment, load, settings),
      signedInScenario({ id: "signed-in", title: "GET / signed in", section: "http" }, server, "/", signedIn, load),
    ];
    // Forward auth moves gatehouse's own pages under /.gatehouse, so it gets a server of its own.
    const gateway = await fleet.startSQLite("forward-auth", (db) => seedSignedIn(db, keys, "gateway", 100), { GATEHOUSE_FORWARD_AUTH: "true" });
    const gatewayServer = gateway.deployment.instances[0]!;
    const forwardAuth = await forwardAuthAvailable(gatewayServer, gateway.seeded[0]!);
    if (forwardAuth === null) {
      scenarios.push(
        signedInScenario({ id: "forward-auth", title: `GET ${FORWARD_AUTH_PATH} (forward auth)`, section: "http" }, gatewayServer, FORWARD_AUTH_PATH, gateway.seeded, load),
      );
    } else {
      unavailable.push({ id: "forward-auth", reason: forwardAuth });
    }
    for (const [id, deployment, seeded] of [
      ["1k", small.deployment, small.seeded],
      ["1m", large.deployment, large.seeded],
    ] as const) {
      const users = id === "1k" ? settings.growthSmallUsers : settings.growthLargeUsers;
      const label = `${users.toLocaleString("en-US")} users`;
      scenarios.push(
        rightCodeScenario({ id: `growth-right-${id}`, title: `POST /2fa, right code, ${label}`, section: "growth" }, deployment, load, { residents: seeded }),
        signedInScenario({ id: `growth-signed-in-${id}`, title: `GET / signed in, ${label}`, section: "growth" }, deployment.instances[0]!, "/", seeded, load),
      );
    }
    scenarios.push(
      rightCodeScenario({ id: "pg-1", title: "POST /2fa, right code, PostgreSQL, 1 instance", section: "scale-out" }, one(pg), load, settings),
      rightCodeScenario({ id: "pg-2", title: "POST /2fa, right code, PostgreSQL, 2 instances", section: "scale-out" }, pg, load, settings),
      rightCodeScenario({ id: "pg-redis-1", title: "POST /2fa, right code, PostgreSQL + Redis, 1 instance", section: "scale-out" }, one(pgRedis), load, settings),
      rightCodeScenario({ id: "pg-redis-2", title: "POST /2fa, right code, PostgreSQL + Redis, 2 instances", section: "scale-out" }, pgRedis, load, settings),
      passwordStormScenario({ id: "password-storm", title: "POST /login storm (Argon2id, production parameters)", section: "storm" }, main.deployment, signedIn, {
        ...load,
        stormConnections: settings.stormConnections,
      }),
    );

    const samples = await runRounds(scenarios, settings.rounds, log);
    const rows = buildRows(scenarios, samples, "bare");
    const growth = growthComparisons(samples);
    const scaleOut = scaleOutComparisons(samples);
    const soak = options.soak ? await runSoak(main.deployment, signedIn, { quick, connections: settings.connections }, log) : undefined;
    return {
      settings,
      rows,
      growth,
      scaleOut,
      targets: evaluateTargets(rows, growth, soak),
      ...(soak && { soak }),
      unavailable,
      notes: [
        "Seeded directly in the database: every user shares one Argon2id hash (production parameters) and one TOTP secret, sealed per user as the core seals it; no recovery codes.",
        "Throttling and the replay guard stay on: wrong codes are spread so that no account gets more than 4 (the 5th would lock it); every right code is a fresh account's, except in the growth rows, where the 1,000 resident accounts get a new pending session and their used step reset before each round (one right code per account per round).",
        "Server processes log at warn (no request logs). Several instances: load split evenly, req/s summed, p50/p99 the worse instance's.",
      ],
    };
  } finally {
    await fleet.close();
  }
}

async function timed<T>(log: (line: string) => void, what: string, run: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const result = await run();
  log(`${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}
