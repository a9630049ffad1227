// The issues' targets, checked against the rows, and the paired comparisons they need (growth:
// a million users against a thousand; scale-out: PostgreSQL, Redis and two instances against
// the SQLite path), each a median over rounds of a per-round ratio.
import { ms, pairedRatio, type HTTPRow, type Spread, type TargetResult } from "./report.js";
import type { Samples } from "./rounds.js";
import type { SoakResult } from "./soak.js";

export interface Comparison {
  id: string;
  title: string;
  /** What the ratio divides: "p50 latency", "p99 latency", "RSS", "req/s". */
  metric: string;
  ratio: Spread;
}

const GROWTH_PAIRS = [
  ["right-code", "POST /2fa, right code", "growth-right-1m", "growth-right-1k"],
  ["signed-in", "GET / signed in", "growth-signed-in-1m", "growth-signed-in-1k"],
] as const;

export function growthComparisons(samples: Samples): Comparison[] {
  // Only the pairs whose both cases ran (all of them, unless --only left some out).
  const ran = GROWTH_PAIRS.filter(([, , large, small]) => samples.has(large) && samples.has(small));
  return ran.flatMap(([id, title, large, small]) => {
    const [a, b] = [samples.get(large)!, samples.get(small)!];
    return [
      { id: `${id}-p50`, title, metric: "p50 latency", ratio: pairedRatio(a, b, (m) => m.p50Ms) },
      { id: `${id}-p99`, title, metric: "p99 latency", ratio: pairedRatio(a, b, (m) => m.p99Ms) },
      { id: `${id}-rss`, title, metric: "RSS", ratio: pairedRatio(a, b, (m) => m.rssMB ?? NaN) },
    ];
  });
}

const SCALE_OUT_PAIRS = [
  ["pg-1", "right-code", "PostgreSQL, 1 instance ÷ SQLite"],
  ["pg-redis-1", "right-code", "PostgreSQL + Redis, 1 instance ÷ SQLite"],
  ["pg-2", "pg-1", "PostgreSQL, 2 instances ÷ 1 instance"],
  ["pg-redis-2", "pg-redis-1", "PostgreSQL + Redis, 2 instances ÷ 1 instance"],
] as const;

export function scaleOutComparisons(samples: Samples): Comparison[] {
  const ran = SCALE_OUT_PAIRS.filter(([a, b]) => samples.has(a) && samples.has(b));
  return ran.flatMap(([a, b, title]) => [
    { id: `${a}/${b}-rps`, title, metric: "req/s", ratio: pairedRatio(samples.get(a)!, samples.get(b)!, (m) => m.rps) },
    { id: `${a}/${b}-p99`, title, metric: "p99 latency", ratio: pairedRatio(samples.get(a)!, samples.get(b)!, (m) => m.p99Ms) },
  ]);
}

const AMPLIFICATION_PAIRS = [
  ["wrong-recovery-code", "wrong-password", "wrong recovery code ÷ wrong password"],
  ["wrong-recovery-code-legacy", "wrong-password", "wrong recovery code, 10 Argon2id codes ÷ wrong password"],
] as const;

/**
 * Review F6: what a refused recovery code costs against a refused password (one Argon2id verify).
 * Only rounds in which both cases finished requests count (10 verifies may outlast a quick round).
 */
export function amplificationComparisons(samples: Samples): Comparison[] {
  const ran = AMPLIFICATION_PAIRS.filter(([a, b]) => samples.has(a) && samples.has(b));
  return ran.flatMap(([a, b, title]) => {
    const [all, baseline] = [samples.get(a)!, samples.get(b)!];
    const finished = all.flatMap((m, i) => (m.requests > 0 && (baseline[i]?.requests ?? 0) > 0 ? [i] : []));
    if (finished.length === 0) return [];
    const [own, base] = [finished.map((i) => all[i]!), finished.map((i) => baseline[i]!)];
    return [
      { id: `${a}/${b}-p50`, title, metric: "p50 latency", ratio: pairedRatio(own, base, (m) => m.p50Ms) },
      { id: `${a}/${b}-rps`, title, metric: "req/s", ratio: pairedRatio(own, base, (m) => m.rps) },
    ];
  });
}

const ratio = (n: number) => `${n.toFixed(2)}×`;

export function evaluateTargets(
  rows: readonly HTTPRow[],
  growth: readonly Comparison[],
  soak: SoakResult | undefined,
  amplification: readonly Comparison[] = [],
): TargetResult[] {
  const row = (id: string) => rows.find((r) => r.id === id);
  const results: TargetResult[] = [];
  const atLeast = (id: string, what: string, minimum: number) => {
    const r = row(id);
    if (r) results.push({ target: `${what} ≥ ${minimum}× bare`, measured: `${ratio(r.ratioToBaseline.median)} (${ratio(r.ratioToBaseline.min)}–${ratio(r.ratioToBaseline.max)})`, met: r.ratioToBaseline.median >= minimum });
  };
  atLeast("wrong-code", "POST /2fa wrong code", 0.3);
  atLeast("right-code", "POST /2fa right code", 0.3);
  atLeast("signed-in", "GET / signed in", 0.5);
  for (const r of rows.filter((r) => r.section === "http")) {
    results.push({ target: `${r.title}: p99 < 15 ms at 50 connections`, measured: `${ms(r.p99Ms.median)} ms (${ms(r.p99Ms.min)}–${ms(r.p99Ms.max)})`, met: r.p99Ms.median < 15 });
  }
  const storm = row("password-storm");
  if (storm?.eventLoopP99Ms && storm.healthzP99Ms) {
    results.push({ target: "password storm: server event-loop delay p99 < 20 ms", measured: `${storm.eventLoopP99Ms.median.toFixed(1)} ms (max ${storm.eventLoopP99Ms.max.toFixed(1)})`, met: storm.eventLoopP99Ms.median < 20 });
    results.push({ target: "password storm: GET /healthz p99 < 25 ms", measured: `${ms(storm.healthzP99Ms.median)} ms (max ${ms(storm.healthzP99Ms.max)})`, met: storm.healthzP99Ms.median < 25 });
  }
  for (const c of growth.filter((c) => c.metric !== "p99 latency")) {
    // "Flat" memory read as within 20 % (the page cache and allocator move a little).
    const limit = c.metric === "RSS" ? 1.2 : 1.3;
    results.push({ target: `growth, ${c.title}: ${c.metric} 1M ÷ 1k users ≤ ${limit}`, measured: `${ratio(c.ratio.median)} (${ratio(c.ratio.min)}–${ratio(c.ratio.max)})`, met: c.ratio.median <= limit });
  }
  const recovery = amplification.find((c) => c.id === "wrong-recovery-code/wrong-password-rps");
  if (recovery) {
    results.push({ target: "a wrong recovery code: req/s ≥ a wrong password's (F6: at most one Argon2 verify)", measured: `${ratio(recovery.ratio.median)} (${ratio(recovery.ratio.min)}–${ratio(recovery.ratio.max)})`, met: recovery.ratio.median >= 1 });
  }
  if (soak) {
    results.push({ target: "soak: RSS growth after warm-up ≤ 10 %", measured: `${soak.rssStartMB} → ${soak.rssEndMB} MB (${(soak.growth * 100).toFixed(1)} %)`, met: soak.growth <= 0.1 });
  }
  const unexpected = rows.reduce((sum, r) => sum + r.unexpected, 0);
  results.push({ target: "every answer has the expected status (not a speed target)", measured: `${unexpected} unexpected`, met: unexpected === 0 });
  return results;
}
