// Memory under soak (--soak): mixed traffic at a fixed rate for five minutes, RSS of the server
// after the warm-up and at the end. Pending sessions last 5 minutes, so each segment gets its
// own fresh accounts, seeded just before it.
import { codeSource } from "./keys.js";
import { runLoad, type LoadResult } from "./load.js";
import { get, postCode } from "./requests.js";
import type { Deployment } from "./scenarios.js";
import { countSessions, seedAccounts, type SeededAccount } from "./seed.js";

export interface SoakResult {
  seconds: number;
  requestsPerSecond: number;
  requests: number;
  unexpected: number;
  rssStartMB: number;
  rssEndMB: number;
  /** (end − start) ÷ start, after the warm-up. */
  growth: number;
  rssAfterEachSegmentMB: number[];
  /** Pending sessions seeded for the codes, and full sessions the right codes created. */
  sessionsCreated: number;
  sessionsAtEnd: { live: number; expired: number };
}

/** Four kinds in turn: the login page, a wrong code, a right code, a signed-in page. */
const KINDS = 4;

export async function runSoak(
  deployment: Deployment,
  signedIn: readonly SeededAccount[],
  options: { quick: boolean; connections: number },
  log: (line: string) => void,
): Promise<SoakResult> {
  const server = deployment.instances[0]!;
  const rate = options.quick ? 100 : 200;
  const warmupSeconds = options.quick ? 3 : 30;
  const segmentSeconds = options.quick ? 3 : 60;
  const segments = options.quick ? 2 : 5;
  const codes = codeSource(deployment.keys.totpSecret);
  let seeded = 0;
  let segment = 0;

  async function runSegment(seconds: number): Promise<LoadResult> {
    const perKind = Math.ceil((rate / KINDS) * seconds * 1.2) + options.connections;
    const seed = (kind: string, count: number) =>
      seedAccounts(deployment.db, deployment.keys, { label: `soak-${kind}-${segment}`, count, session: "pending" });
    const right = await seed("right", perKind);
    const wrong = await seed("wrong", Math.ceil(perKind / 4));
    seeded += right.length + wrong.length;
    segment++;
    return runLoad({
      targets: [server.url],
      connections: options.connections,
      durationSeconds: seconds,
      overallRate: rate,
      expectedStatus: [200, 303, 401],
      source: (index, origin) => {
        const n = Math.floor(index / KINDS);
        switch (index % KINDS) {
          case 0:
            return get("/login");
          case 1:
            return postCode(wrong[Math.min(Math.floor(n / 4), wrong.length - 1)]!, origin, codes.wrong());
          case 2:
            return postCode(right[Math.min(n, right.length - 1)]!, origin, codes.right());
          default:
            return get("/", signedIn[n % signedIn.length]!.sessionToken);
        }
      },
    });
  }

  log(`soak: warm-up ${warmupSeconds} s at ${rate} req/s`);
  await runSegment(warmupSeconds);
  const rssStart = (await server.stats()).rssBytes;
  const rssAfter: number[] = [];
  const results: LoadResult[] = [];
  for (let i = 0; i < segments; i++) {
    results.push(await runSegment(segmentSeconds));
    rssAfter.push((await server.stats()).rssBytes);
    log(`soak: ${(i + 1) * segmentSeconds} s, RSS ${Math.round(rssAfter.at(-1)! / 1048576)} MB`);
  }
  const mb = (bytes: number) => Math.round(bytes / 1048576);
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
  const rssEnd = rssAfter.at(-1)!;
  return {
    seconds,
    requestsPerSecond: requests / seconds,
    requests,
    unexpected: results.reduce((sum, r) => sum + r.unexpected, 0),
    rssStartMB: mb(rssStart),
    rssEndMB: mb(rssEnd),
    growth: (rssEnd - rssStart) / rssStart,
    rssAfterEachSegmentMB: rssAfter.map(mb),
    sessionsCreated: seeded + results.reduce((sum, r) => sum + (r.statuses["303"] ?? 0), 0),
    sessionsAtEnd: await countSessions(deployment.db),
  };
}
