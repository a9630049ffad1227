// Load from the bench process (the "second process") with autocannon's programmatic API. A
// request source builds every request (fresh accounts, cookies, CSRF tokens); several targets
// (instances) share the connections and one source, run in parallel and are combined.
import autocannon from "autocannon";

export interface BenchRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Builds request number `index` for `origin`; every call is one request sent. */
export type RequestSource = (index: number, origin: string) => BenchRequest;

export interface LoadSpec {
  targets: readonly string[];
  connections: number;
  durationSeconds: number;
  /** Stop after this many requests (a pool of single-use accounts), or at the duration. */
  maxRequests?: number;
  /** Fixed overall rate (soak); unlimited when absent. */
  overallRate?: number;
  source: RequestSource;
  /** Every answer should carry this status (one of these); any other is counted as unexpected. */
  expectedStatus: number | readonly number[];
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with another status than expected, connection errors and timeouts. */
  unexpected: number;
  statuses: Record<string, number>;
}

/** Latencies to 0.1 ms, nearest rank: autocannon's own percentiles are whole milliseconds. */
function percentileMs(sorted: Float64Array, percent: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.ceil((percent / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, rank)]! * 10) / 10;
}

interface OneResult {
  result: autocannon.Result;
  /** Every answer's latency in ms, sorted. */
  latencies: Float64Array;
}

function runOne(url: string, connections: number, spec: LoadSpec, next: () => number): Promise<OneResult> {
  const origin = new URL(url).origin;
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: spec.durationSeconds,
        ...(spec.maxRequests !== undefined && { maxOverallRequests: Math.max(spec.maxRequests, connections) }),
        ...(spec.overallRate !== undefined && { overallRate: spec.overallRate }),
        requests: [
          {
            setupRequest: (request) => {
              const built = spec.source(next(), origin);
              return { ...request, ...built, headers: { ...built.headers } };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, latencies: Float64Array.from(latencies).sort() })),
    );
    instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      latencies.push(responseTimeMs);
    });
  });
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let counter = 0;
  const next = () => counter++;
  const share = Math.floor(spec.connections / spec.targets.length);
  const runs = await Promise.all(
    spec.targets.map((url, i) => {
      const own = spec.maxRequests === undefined ? spec : { ...spec, maxRequests: Math.floor(spec.maxRequests / spec.targets.length) };
      return runOne(url, i === 0 ? spec.connections - share * (spec.targets.length - 1) : share, own, next);
    }),
  );
  const results = runs.map((run) => run.result);
  const expected = new Set([spec.expectedStatus].flat());
  const statuses: Record<string, number> = {};
  let requests = 0;
  let unexpected = 0;
  for (const result of results) {
    for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) {
      statuses[code] = (statuses[code] ?? 0) + count;
      requests += count;
      if (!expected.has(Number(code))) unexpected += count;
    }
    unexpected += result.errors + result.timeouts;
  }
  const seconds = Math.max(...results.map((r) => r.duration));
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50Ms: Math.max(...runs.map((run) => percentileMs(run.latencies, 50))),
    // Several instances: the worse instance's p99 (a client of either one sees it).
    p99Ms: Math.max(...runs.map((run) => percentileMs(run.latencies, 99))),
    unexpected,
    statuses,
  };
}
