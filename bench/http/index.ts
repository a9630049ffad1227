// The HTTP bench (issues 4 and 6): the real app on its own process(es), load from this process,
// every case a ratio to a bare Fastify route measured in the same interleaved rounds.
import { Fleet } from "./deployments.js";
import { createBenchKeys } from "./keys.js";
import { startPlan, type HTTPSettings } from "./plan.js";
import { buildRows, type HTTPRow, type TargetResult } from "./report.js";
import { runRounds } from "./rounds.js";
import { runSoak, type SoakResult } from "./soak.js";
import { amplificationComparisons, evaluateTargets, growthComparisons, scaleOutComparisons, type Comparison } from "./targets.js";

export type { HTTPSettings } from "./plan.js";

export interface HTTPBenchOptions {
  quick: boolean;
  soak: boolean;
  log: (line: string) => void;
  /** Only these case ids (the baseline always runs); every case when absent. */
  only?: string[];
  /** Overrides of the round count and seconds per case (exploring one case at length). */
  rounds?: number;
  seconds?: number;
}

export interface HTTPBenchResult {
  settings: HTTPSettings;
  rows: HTTPRow[];
  growth: Comparison[];
  scaleOut: Comparison[];
  /** Review F6: a wrong recovery code against a wrong password. */
  amplification: Comparison[];
  targets: TargetResult[];
  soak?: SoakResult;
  /** Cases that could not run, with the reason (the forward-auth check before the gateway exists). */
  unavailable: { id: string; reason: string }[];
  notes: string[];
}

const NOTES = [
  "Seeded directly in the database: every user shares one Argon2id hash (production parameters) and one TOTP secret, sealed per user as the core seals it; recovery codes only in the Argon2 rows.",
  "Throttling and the replay guard stay on: wrong codes are spread so that no account gets more than 4 (the 5th would lock it); every right code is a fresh account's, except in the growth rows, where the resident accounts get a new pending session and their used step reset before each round (one right code per account per round).",
  "Argon2 per refused attempt: a wrong password comes from a new X-Forwarded-For address each time (the per-address limits stay out of the way); each wrong recovery code goes to a seeded account with 10 unused codes, at most 4 per account.",
  "Server processes log at warn (no request logs). Several instances: load split evenly, req/s summed, p50/p99 the worse instance's.",
];

export async function runHTTPBench(options: HTTPBenchOptions): Promise<HTTPBenchResult> {
  const { quick, log } = options;
  const settings: HTTPSettings = {
    rounds: options.rounds ?? (quick ? 1 : 4),
    durationSeconds: options.seconds ?? (quick ? 1 : 10),
    connections: 50,
    stormConnections: 32,
    initialRps: quick ? 300 : 1_000,
    growthSmallUsers: 1_000,
    growthLargeUsers: quick ? 20_000 : 1_000_000,
    growthResidents: quick ? 200 : 1_000,
    growthRuns: quick ? 1 : 5,
  };
  const keys = createBenchKeys();
  const fleet = new Fleet(keys, log);
  try {
    log("starting servers and seeding");
    const plan = await startPlan(fleet, keys, settings, log, options.only);
    const { only } = options;
    const scenarios = only ? plan.scenarios.filter((s) => s.id === "bare" || only.includes(s.id)) : plan.scenarios;
    const samples = await runRounds(scenarios, settings.rounds, log);
    const rows = buildRows(scenarios, samples, "bare");
    const growth = growthComparisons(samples);
    const scaleOut = scaleOutComparisons(samples);
    const amplification = amplificationComparisons(samples);
    const soak = options.soak ? await runSoak(plan.main, plan.signedIn, { quick, connections: settings.connections }, log) : undefined;
    return {
      settings,
      rows,
      growth,
      scaleOut,
      amplification,
      targets: evaluateTargets(rows, growth, soak, amplification),
      ...(soak && { soak }),
      unavailable: plan.unavailable,
      notes: NOTES,
    };
  } finally {
    await fleet.close();
  }
}
