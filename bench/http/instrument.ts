// Bench-only instrumentation of a server process: the event-loop delay
// (perf_hooks.monitorEventLoopDelay) and the resident set size, answered over the IPC channel
// the bench opens to its children. Imported first by both bench entries, so the gatehouse
// server and the bare baseline carry the same (tiny) overhead.
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface ProcessStats {
  rssBytes: number;
  /** Event-loop delay since the last reset, in milliseconds. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export type StatsRequest = { type: "stats"; reset: boolean; id: number };

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

process.on("message", (message: StatsRequest) => {
  if (message?.type !== "stats") return;
  const stats: ProcessStats = {
    rssBytes: process.memoryUsage.rss(),
    eventLoopDelayMs: {
      p50: delay.percentile(50) / 1e6,
      p99: delay.percentile(99) / 1e6,
      max: delay.max / 1e6,
    },
  };
  if (message.reset) delay.reset();
  process.send?.({ type: "stats", id: message.id, stats });
});
// The channel must not keep a server alive that was asked to stop (SIGTERM → serve() exits).
process.channel?.unref();
