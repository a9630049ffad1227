// Micro-benchmark harness shared by the bench/*.ts scripts. Cases run in interleaved rounds
// (order shuffled each round) so that machine noise — other processes, CPU frequency changes —
// hits every case alike; we report medians and the min–max spread instead of a single mean.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { cpus } from "node:os";

export interface BenchCase {
  name: string;
  /** One operation. Its return value is folded into a sink so it cannot be optimized away. */
  fn: () => unknown;
  /** Exactly one case per run is the baseline the ratios are computed against. */
  baseline?: boolean;
}

export interface BenchRow {
  name: string;
  /** Median over rounds of operations per second of CPU time. */
  medianOpsPerSecond: number;
  minOpsPerSecond: number;
  maxOpsPerSecond: number;
  /**
   * Median over rounds of (this case ops/s ÷ baseline ops/s in the same round). Pairing by round
   * cancels slow drift of the machine better than dividing two medians.
   */
  ratioToBaseline: number;
  /** Same median against the wall clock (inflated by other processes on a busy machine). */
  medianWallOpsPerSecond: number;
  rounds: number;
}

export interface HarnessOptions {
  rounds: number;
  /** CPU time per case per round. */
  roundMs: number;
  /** Untimed warm-up per case before the first round (lets the JIT settle). */
  warmupMs: number;
}

let sink: unknown;

/** Small seeded PRNG for the run order, so two runs of a bench interleave the same way. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates in place. */
export function shuffle<T>(items: T[], nextRandom: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(nextRandom() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Sample {
  /** Operations per second of process CPU time (user + system). */
  cpu: number;
  /** Operations per second of wall-clock time. */
  wall: number;
}

/**
 * Runs `fn` in batches for about `ms` milliseconds of CPU time. Throughput is measured against
 * the process's CPU time (process.cpuUsage, microsecond accounting on Linux) as well as wall
 * time: on a shared machine the wall clock also counts the time other processes held the CPU,
 * which says nothing about the code under test.
 */
function measure(fn: () => unknown, ms: number): Sample {
  const budgetMicros = ms * 1000;
  let batch = 1;
  let ops = 0;
  let cpuMicros = 0;
  let wallNanos = 0;
  // Stop at the CPU budget, or at 3× that in wall time so a starved process still finishes.
  while (cpuMicros < budgetMicros && wallNanos < budgetMicros * 3000) {
    const wallStart = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < batch; i++) sink = fn();
    const cpu = process.cpuUsage(cpuStart);
    const took = Number(process.hrtime.bigint() - wallStart);
    ops += batch;
    cpuMicros += cpu.user + cpu.system;
    wallNanos += took;
    // Grow the batch until one batch takes ~1 ms, so reading the clocks costs nothing measurable.
    if (took < 1e6 && batch < 1 << 20) batch *= 2;
  }
  return { cpu: ops / (Math.max(cpuMicros, 1) / 1e6), wall: ops / (wallNanos / 1e9) };
}

export function runInterleaved(cases: readonly BenchCase[], options: HarnessOptions): BenchRow[] {
  const baselineIndex = cases.findIndex((c) => c.baseline === true);
  if (baselineIndex === -1 || cases.filter((c) => c.baseline === true).length !== 1) {
    throw new TypeError("exactly one bench case must be marked as the baseline");
  }
  for (const c of cases) measure(c.fn, options.warmupMs);

  const samples: Sample[][] = cases.map(() => []);
  const order = cases.map((_, i) => i);
  const nextRandom = mulberry32(0x9e3779b9);
  for (let round = 0; round < options.rounds; round++) {
    // A fresh order each round: a fixed rotation would always run the same case right after the
    // same neighbour, which then pays that neighbour's garbage collection every time.
    shuffle(order, nextRandom);
    for (const index of order) samples[index]!.push(measure(cases[index]!.fn, options.roundMs));
  }
  if (sink === Symbol.for("never")) console.log(sink);

  const baseline = samples[baselineIndex]!.map((s) => s.cpu);
  return cases.map((c, i) => {
    const own = samples[i]!.map((s) => s.cpu);
    return {
      name: c.name,
      medianOpsPerSecond: median(own),
      minOpsPerSecond: Math.min(...own),
      maxOpsPerSecond: Math.max(...own),
      ratioToBaseline: median(own.map((ops, round) => ops / baseline[round]!)),
      medianWallOpsPerSecond: median(samples[i]!.map((s) => s.wall)),
      rounds: own.length,
    };
  });
}

function formatOps(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function formatMarkdownTable(rows: readonly BenchRow[]): string {
  const lines = [
    "| case | median ops/s (CPU time) | min–max ops/s | × baseline |",
    "|---|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${formatOps(r.medianOpsPerSecond)} | ${formatOps(r.minOpsPerSecond)}–${formatOps(r.maxOpsPerSecond)} | ${r.ratioToBaseline.toFixed(2)} |`,
    ),
  ];
  return lines.join("\n");
}

export function environmentInfo(): Record<string, string | number> {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cpuCount: cpus().length,
  };
}

export function writeJSON(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
