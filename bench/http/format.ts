// The HTTP part of the markdown report on stdout: one table per section, then every target.
import type { HTTPBenchResult } from "./index.js";
import { formatRowsTable, formatTargetsTable, ms, type HTTPRow } from "./report.js";
import type { Comparison } from "./targets.js";

function comparisonsTable(comparisons: readonly Comparison[]): string {
  return [
    "| comparison | metric | ratio (median) | min–max |",
    "|---|---|---:|---:|",
    ...comparisons.map((c) => `| ${c.title} | ${c.metric} | ${c.ratio.median.toFixed(2)} | ${c.ratio.min.toFixed(2)}–${c.ratio.max.toFixed(2)} |`),
  ].join("\n");
}

function stormLines(row: HTTPRow | undefined): string {
  if (!row) return "";
  return [
    `- logins/s: ${Math.round(row.rps.median)} (${Math.round(row.rps.min)}–${Math.round(row.rps.max)}), login p99 ${ms(row.p99Ms.median)} ms`,
    `- server event-loop delay p99: ${row.eventLoopP99Ms?.median.toFixed(1)} ms (max over rounds ${row.eventLoopP99Ms?.max.toFixed(1)})`,
    `- GET /healthz p99 during the storm (one more connection): ${ms(row.healthzP99Ms?.median ?? NaN)} ms (max ${ms(row.healthzP99Ms?.max ?? NaN)})`,
  ].join("\n");
}

export function formatHTTPReport(result: HTTPBenchResult): string {
  const { settings } = result;
  const section = (name: HTTPRow["section"]) => result.rows.filter((r) => r.section === name);
  const parts = [
    `## HTTP (${settings.rounds} interleaved round(s) of ${settings.durationSeconds} s per case, ${settings.connections} connections; × bare = req/s ÷ the bare Fastify route's req/s in the same round)\n`,
    formatRowsTable([...section("baseline"), ...section("http")]),
    ...result.unavailable.map((u) => `\n- ${u.id}: ${u.reason}`),
    `\n### Growth: ${settings.growthSmallUsers.toLocaleString("en-US")} vs ${settings.growthLargeUsers.toLocaleString("en-US")} users (right codes: ${settings.growthRuns} runs per round of ${settings.growthResidents} accounts, one code each; the median run counts)\n`,
    formatRowsTable(section("growth")),
    "",
    comparisonsTable(result.growth),
    "\n### Scale-out: the right-code path on PostgreSQL (and Redis), one and two instances\n",
    formatRowsTable(section("scale-out")),
    "",
    comparisonsTable(result.scaleOut),
    "\n### Argon2 work of a refused attempt: a wrong recovery code against a wrong password (review F6)\n",
    formatRowsTable(section("amplification")),
    "",
    comparisonsTable(result.amplification),
    `\n### Password step under a storm (${settings.stormConnections} concurrent POST /login)\n`,
    formatRowsTable(section("storm")),
    "",
    stormLines(result.rows.find((r) => r.id === "password-storm")),
  ];
  if (result.soak) {
    const s = result.soak;
    parts.push(
      "\n### Soak (mixed traffic at a fixed rate)\n",
      `- ${Math.round(s.seconds)} s after warm-up at ${Math.round(s.requestsPerSecond)} req/s, ${s.requests.toLocaleString("en-US")} requests, ${s.unexpected} unexpected`,
      `- RSS ${s.rssStartMB} → ${s.rssEndMB} MB (${(s.growth * 100).toFixed(1)} %); after each segment: ${s.rssAfterEachSegmentMB.join(", ")} MB`,
      `- sessions created: ${s.sessionsCreated.toLocaleString("en-US")}; at the end ${s.sessionsAtEnd.live.toLocaleString("en-US")} live and ${s.sessionsAtEnd.expired.toLocaleString("en-US")} expired rows`,
    );
  }
  parts.push("\n### Targets\n", formatTargetsTable(result.targets), "", ...result.notes.map((n) => `- ${n}`));
  return parts.join("\n");
}
