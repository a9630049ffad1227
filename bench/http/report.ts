// Turns the samples of the interleaved rounds into rows (median and min–max over rounds, ratios
// paired by round) and markdown tables with every target and whether it was met.
import { median } from "../harness.js";
import type { Samples } from "./rounds.js";
import type { Measurement, Scenario } from "./scenarios.js";

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface HTTPRow {
  id: string;
  title: string;
  section: Scenario["section"];
  rounds: number;
  rps: Spread;
  /** This case's rps ÷ the baseline's rps in the same round. */
  ratioToBaseline: Spread;
  p50Ms: number;
  p99Ms: Spread;
  requests: number;
  unexpected: number;
  /** Answers by status over all rounds. */
  statuses: Record<string, number>;
  rssMB?: number;
  eventLoopP99Ms?: Spread;
  healthzP99Ms?: Spread;
  notes: string[];
}

export interface TargetResult {
  target: string;
  measured: string;
  met: boolean;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Per round, metric(a) ÷ metric(b): pairing by round cancels slow drift of the machine. */
export function pairedRatio(a: readonly Measurement[], b: readonly Measurement[], metric: (m: Measurement) => number): Spread {
  const n = Math.min(a.length, b.length);
  return spread(Array.from({ length: n }, (_, i) => metric(a[i]!) / metric(b[i]!)));
}

function sumStatuses(measurements: readonly Measurement[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const m of measurements) for (const [code, count] of Object.entries(m.statuses)) total[code] = (total[code] ?? 0) + count;
  return total;
}

export function buildRows(scenarios: readonly Scenario[], samples: Samples, baselineId: string): HTTPRow[] {
  const baseline = samples.get(baselineId)!;
  return scenarios.map((scenario) => {
    const own = samples.get(scenario.id)!;
    const optional = (pick: (m: Measurement) => number | undefined) => {
      const values = own.map(pick).filter((v): v is number => v !== undefined);
      return values.length > 0 ? spread(values) : undefined;
    };
    const rss = optional((m) => m.rssMB);
    const eventLoop = optional((m) => m.eventLoopP99Ms);
    const healthz = optional((m) => m.healthz?.p99Ms);
    return {
      id: scenario.id,
      title: scenario.title,
      section: scenario.section,
      rounds: own.length,
      rps: spread(own.map((m) => m.rps)),
      ratioToBaseline: pairedRatio(own, baseline, (m) => m.rps),
      p50Ms: median(own.map((m) => m.p50Ms)),
      p99Ms: spread(own.map((m) => m.p99Ms)),
      requests: own.reduce((sum, m) => sum + m.requests, 0),
      unexpected: own.reduce((sum, m) => sum + m.unexpected + (m.healthz?.unexpected ?? 0), 0),
      statuses: sumStatuses(own),
      ...(rss && { rssMB: rss.max }),
      ...(eventLoop && { eventLoopP99Ms: eventLoop }),
      ...(healthz && { healthzP99Ms: healthz }),
      notes: [...new Set(own.flatMap((m) => (m.note ? [m.note] : [])))],
    };
  });
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const fixed = (n: number, digits = 2) => n.toFixed(digits);
/** Milliseconds to 0.1 ms, without float noise from medians of medians. */
export const ms = (n: number) => String(Math.round(n * 10) / 10);
const range = (s: Spread, format: (n: number) => string) => `${format(s.min)}–${format(s.max)}`;

export function formatRowsTable(rows: readonly HTTPRow[]): string {
  return [
    "| case | req/s (median) | min–max req/s | × bare (median) | min–max × bare | p50 ms | p99 ms (median) | p99 min–max | server event-loop p99 ms | RSS MB | unexpected |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.title} | ${int(r.rps.median)} | ${range(r.rps, int)} | ${fixed(r.ratioToBaseline.median)} | ${range(r.ratioToBaseline, fixed)} | ` +
        `${ms(r.p50Ms)} | ${ms(r.p99Ms.median)} | ${range(r.p99Ms, ms)} | ${r.eventLoopP99Ms ? fixed(r.eventLoopP99Ms.median, 1) : ""} | ${r.rssMB ?? ""} | ${r.unexpected} of ${int(r.requests)} |`,
    ),
  ].join("\n");
}

export function formatTargetsTable(results: readonly TargetResult[]): string {
  return [
    "| target | measured | |",
    "|---|---|---|",
    ...results.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "met" : "**missed**"} |`),
  ].join("\n");
}
