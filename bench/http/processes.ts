// Server processes for the HTTP bench: each runs on its own process, started the way the tests
// start gatehouse (`node --import tsx ENTRY`, HOST=127.0.0.1 PORT=0, the address read from the
// `gatehouse listening on` line), with an IPC channel for the instrumentation in instrument.ts.
import { spawn, type ChildProcess } from "node:child_process";
// The tests' repository root and environment filter: a stray DATABASE_URL in the shell changes nothing.
import { inheritedEnv, REPO_ROOT } from "../../test/support/server-process.js";
import type { ProcessStats, StatsRequest } from "./instrument.js";

const LISTENING_LINE = /^gatehouse listening on (http:\/\/\S+?)\s*$/m;
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface BenchProcess {
  name: string;
  url: string;
  pid: number;
  /** Reads RSS and the event-loop delay since the last reset; `reset` starts a new window. */
  stats(reset?: boolean): Promise<ProcessStats>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startBenchProcess(
  name: string,
  entry: "server-entry.ts" | "bare-entry.ts",
  env: Record<string, string>,
): Promise<BenchProcess> {
  // BENCH_CPU_PROF_DIR: each server process writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", `bench/http/${entry}`], {
    cwd: REPO_ROOT,
    env: { ...inheritedEnv(), HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  running.add(child);
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  // Keep only the tail: a chatty server must not grow the bench's memory.
  const keep = (chunk: string) => (output = (output + chunk).slice(-8_000));
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("close", () => (running.delete(child), resolve())));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no listening line in ${STARTUP_TIMEOUT_MS} ms\n${output}`)), STARTUP_TIMEOUT_MS);
    child.stdout!.on("data", (chunk: string) => {
      keep(chunk);
      const match = LISTENING_LINE.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.replace(/\/+$/, ""));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening:\n${output}`));
    });
  });

  let nextId = 0;
  const stats = (reset = false) =>
    new Promise<ProcessStats>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (message: { type: string; id: number; stats: ProcessStats }) => {
        if (message.type !== "stats" || message.id !== id) return;
        child.off("message", onMessage);
        resolve(message.stats);
      };
      child.on("message", onMessage);
      const request: StatsRequest = { type: "stats", reset, id };
      child.send(request, (error) => error && reject(error));
    });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  };
  return { name, url, pid: child.pid!, stats, stop };
}
