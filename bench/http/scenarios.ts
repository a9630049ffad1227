// The measured cases. Each builds what one round needs (fresh single-use accounts seeded before
// the clock starts), runs the load and returns the measurement; the runner interleaves them.
import { median } from "../harness.js";
import { codeSource, type BenchKeys } from "./keys.js";
import { runLoad, type LoadResult, type LoadSpec, type RequestSource } from "./load.js";
import type { BenchProcess } from "./processes.js";
import { get, postCode, postForm } from "./requests.js";
import { BENCH_PASSWORD, renewPendingSessions, seedAccounts, type SeedDB, type SeededAccount } from "./seed.js";

export type Section = "baseline" | "http" | "growth" | "scale-out" | "storm" | "amplification";

export interface Measurement extends LoadResult {
  /** Anything a reader must know about this sample (a pool that ran out early, say). */
  note?: string;
  /** RSS of the (first) server process after the load. */
  rssMB?: number;
  /** Event-loop delay p99 of the (first) server process during the load. */
  eventLoopP99Ms?: number;
  /** The second client of the password storm. */
  healthz?: LoadResult;
}

export interface Scenario {
  id: string;
  title: string;
  section: Section;
  measure(): Promise<Measurement>;
}

export interface LoadSettings {
  durationSeconds: number;
  connections: number;
}

/** A server (or several instances on one database) and the database the bench seeds into. */
export interface Deployment {
  label: string;
  instances: BenchProcess[];
  db: SeedDB;
  keys: BenchKeys;
}

/**
 * autocannon may build one request past its limit that it never sends; clamping keeps that one
 * well-formed (were it sent, its status would show up as unexpected).
 */
export const pick = <T>(pool: readonly T[], index: number): T => pool[Math.min(index, pool.length - 1)]!;

const megabytes = (bytes: number) => Math.round(bytes / 1024 / 1024);

/**
 * How many single-use accounts a round needs: the highest rate seen so far (the first guess
 * included) × the duration, with headroom. On a noisy machine a case's rate swings several-fold
 * between rounds, so the last rate alone under-seeds the next fast round. Seeding more than
 * needed costs only seeding time; fewer ends the round early (said in the note), never reuses
 * an account.
 */
export class PoolSizer {
  private rps: number;
  constructor(initialRps: number, private readonly settings: LoadSettings) {
    this.rps = initialRps;
  }
  size(perAccount = 1): number {
    return Math.ceil((this.rps * this.settings.durationSeconds * 1.5) / perAccount) + this.settings.connections;
  }
  observe(rps: number): void {
    this.rps = Math.max(this.rps, rps);
  }
}

/** Runs the load; the server's RSS after it and its event-loop delay during it (first instance). */
export async function measureLoad(spec: LoadSpec, settings: LoadSettings, server: BenchProcess): Promise<Measurement> {
  await server.stats(true);
  const result = await runLoad(spec);
  const stats = await server.stats(true);
  const measurement: Measurement = { ...result, rssMB: megabytes(stats.rssBytes), eventLoopP99Ms: stats.eventLoopDelayMs.p99 };
  if (result.seconds < settings.durationSeconds * 0.9 && spec.maxRequests !== undefined) {
    measurement.note = `pool of ${spec.maxRequests} single-use requests ran out after ${result.seconds.toFixed(1)} s`;
  }
  return measurement;
}

/** A fixed request, as many as the duration allows. */
export function simpleScenario(
  meta: Omit<Scenario, "measure">,
  server: BenchProcess,
  request: RequestSource,
  expectedStatus: number,
  settings: LoadSettings,
): Scenario {
  return {
    ...meta,
    measure: () => measureLoad({ ...settings, targets: [server.url], source: request, expectedStatus }, settings, server),
  };
}

/** POST /2fa with wrong codes, each account at most 4 times: the throttle locks at the 5th. */
export function wrongCodeScenario(meta: Omit<Scenario, "measure">, deployment: Deployment, settings: LoadSettings, initialRps: number): Scenario {
  const WRONG_PER_ACCOUNT = 4;
  const sizer = new PoolSizer(initialRps, settings);
  const codes = codeSource(deployment.keys.totpSecret);
  let round = 0;
  return {
    ...meta,
    async measure() {
      const accounts = await seedAccounts(deployment.db, deployment.keys, {
        label: `${meta.id}-${round++}`,
        count: sizer.size(WRONG_PER_ACCOUNT),
        session: "pending",
      });
      const measurement = await measureLoad(
        {
          ...settings,
          targets: deployment.instances.map((i) => i.url),
          maxRequests: accounts.length * WRONG_PER_ACCOUNT,
          source: (index, origin) => postCode(pick(accounts, Math.floor(index / WRONG_PER_ACCOUNT)), origin, codes.wrong()),
          expectedStatus: 401,
        },
        settings,
        deployment.instances[0]!,
      );
      sizer.observe(measurement.rps);
      return measurement;
    },
  };
}

/**
 * One sample out of several short runs: their median latencies, summed counts. A run of 1,000
 * right codes lasts about a second, and the first answers on autocannon's new connections
 * weigh on it (docs/performance.md), so one run alone is too noisy a sample.
 */
function medianRun(runs: readonly Measurement[]): Measurement {
  const sum = (metric: (m: Measurement) => number) => runs.reduce((total, m) => total + metric(m), 0);
  const statuses: Record<string, number> = {};
  for (const run of runs) for (const [code, count] of Object.entries(run.statuses)) statuses[code] = (statuses[code] ?? 0) + count;
  const last = runs[runs.length - 1]!;
  return {
    ...last,
    requests: sum((m) => m.requests),
    seconds: sum((m) => m.seconds),
    rps: sum((m) => m.requests) / sum((m) => m.seconds),
    p50Ms: median(runs.map((m) => m.p50Ms)),
    p99Ms: median(runs.map((m) => m.p99Ms)),
    eventLoopP99Ms: median(runs.map((m) => m.eventLoopP99Ms ?? 0)),
    unexpected: sum((m) => m.unexpected),
    statuses,
  };
}

/**
 * POST /2fa with right codes, each a fresh account's (the replay guard refuses a step twice).
 * `residents`: a fixed population instead (growth at 1,000 users), renewed before each of
 * `runs` runs per round.
 */
export function rightCodeScenario(
  meta: Omit<Scenario, "measure">,
  deployment: Deployment,
  settings: LoadSettings,
  pool: { initialRps: number } | { residents: SeededAccount[]; runs: number },
): Scenario {
  const sizer = "initialRps" in pool ? new PoolSizer(pool.initialRps, settings) : undefined;
  const codes = codeSource(deployment.keys.totpSecret);
  let round = 0;
  const run = (accounts: readonly SeededAccount[]) =>
    measureLoad(
      {
        ...settings,
        targets: deployment.instances.map((i) => i.url),
        maxRequests: accounts.length,
        source: (index, origin) => postCode(pick(accounts, index), origin, codes.right()),
        expectedStatus: 303,
      },
      settings,
      deployment.instances[0]!,
    );
  return {
    ...meta,
    async measure() {
      if (sizer) {
        const accounts = await seedAccounts(deployment.db, deployment.keys, { label: `${meta.id}-${round++}`, count: sizer.size(), session: "pending" });
        const measurement = await run(accounts);
        sizer.observe(measurement.rps);
        return measurement;
      }
      const { residents, runs } = pool as { residents: SeededAccount[]; runs: number };
      const samples: Measurement[] = [];
      for (let i = 0; i < runs; i++) samples.push(await run(await renewPendingSessions(deployment.db, deployment.keys, residents)));
      return medianRun(samples);
    },
  };
}

/** GET `path` with the cookies of signed-in sessions, spread over `accounts`. */
export function signedInScenario(
  meta: Omit<Scenario, "measure">,
  server: BenchProcess,
  path: string,
  accounts: readonly SeededAccount[],
  settings: LoadSettings,
): Scenario {
  return simpleScenario(meta, server, (index) => get(path, accounts[index % accounts.length]!.sessionToken), 200, settings);
}

/**
 * The password step under a storm: `stormConnections` concurrent POST /login (Argon2id at the
 * production parameters) while one more client measures GET /healthz; the server reports its
 * event-loop delay over the same window.
 */
export function passwordStormScenario(
  meta: Omit<Scenario, "measure">,
  deployment: Deployment,
  users: readonly SeededAccount[],
  settings: LoadSettings & { stormConnections: number },
): Scenario {
  const server = deployment.instances[0]!;
  // An anonymous visitor's cookie token is never stored; it only seeds the CSRF token.
  const anonymousToken = "a".repeat(43);
  const csrfToken = deployment.keys.csrf.tokenFor(anonymousToken);
  return {
    ...meta,
    async measure() {
      await server.stats(true);
      const [storm, healthz] = await Promise.all([
        runLoad({
          targets: [server.url],
          connections: settings.stormConnections,
          durationSeconds: settings.durationSeconds,
          // Round-robin over more users than connections: none has two attempts in flight
          // (the per-username throttle charges before it checks).
          source: (index, origin) =>
            postForm("/login", origin, anonymousToken, csrfToken, { username: users[index % users.length]!.username, password: BENCH_PASSWORD }),
          expectedStatus: 303,
        }),
        runLoad({ targets: [server.url], connections: 1, durationSeconds: settings.durationSeconds, source: () => get("/healthz"), expectedStatus: 200 }),
      ]);
      const stats = await server.stats(true);
      return { ...storm, healthz, eventLoopP99Ms: stats.eventLoopDelayMs.p99, rssMB: megabytes(stats.rssBytes) };
    },
  };
}
