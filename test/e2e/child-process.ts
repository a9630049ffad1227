// A helper program the e2e tests run next to gatehouse (nginx, the Flask app): its output kept
// for failure messages, a stop that escalates to SIGKILL, and no orphan if the runner dies.
import { spawn, type ChildProcess } from "node:child_process";

const STOP_GRACE_MS = 5_000;

export interface LoggedChild {
  child: ChildProcess;
  /** Everything the program wrote to stdout and stderr so far, interleaved. */
  output(): string;
  /** Calls `listener` with each complete line of stdout. */
  onStdoutLine(listener: (line: string) => void): void;
  /** Resolves once the program has exited and its output is read. */
  exited: Promise<void>;
  hasExited(): boolean;
  /** SIGTERM, SIGKILL after 5 s; waits for exit. Idempotent. */
  stop(): Promise<void>;
}

// A test runner that dies mid-run must not leave helpers behind.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function spawnLogged(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): LoggedChild {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...(env ? { env } : {}) });
  running.add(child);
  let output = "";
  let pending = "";
  const lineListeners: ((line: string) => void)[] = [];
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    output += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) for (const listener of lineListeners) listener(line);
  });
  child.stderr?.on("data", (chunk: string) => (output += chunk));
  child.once("error", (error) => (output += `spawn failed: ${error.message}\n`));
  const exited = new Promise<void>((resolve) =>
    // "close" rather than "exit": by then stdout and stderr are fully read.
    child.once("close", () => {
      running.delete(child);
      resolve();
    }),
  );
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.pid !== undefined && !hasExited()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  return {
    child,
    output: () => output,
    onStdoutLine: (listener) => lineListeners.push(listener),
    exited,
    hasExited,
    stop,
  };
}
