// Runs the real server (`node --import tsx src/server.ts`) as a child process, the way
// `npm start` does, for tests and scripts that need a live HTTP address (browser e2e,
// the README screenshot). In-process HTTP tests should use `app.inject` instead.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The startup line fixed by docs/http-interface.md ("Starting"). */
const LISTENING_LINE = /^gatehouse listening on (http:\/\/\S+?)\s*$/;
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export interface ServerProcess {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The temporary GATEHOUSE_DATA_DIR; removed by stop(). */
  dataDir: string;
  /** SIGTERM, then SIGKILL after 5 s; waits for exit and removes dataDir unless the caller gave it. Idempotent. */
  stop(): Promise<void>;
  /** Everything the server wrote to stdout and stderr so far, interleaved. */
  output(): string;
  /** SIGKILL, no grace (a crash): resolves once the process is gone. stop() still cleans up. */
  kill(): Promise<void>;
}

export interface StartServerOptions {
  startupTimeoutMs?: number;
  /** Use this data folder and keep it on stop (restart tests); default: a fresh temp folder, removed on stop. */
  dataDir?: string;
}

// A test runner that dies mid-run must not leave servers behind.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * The runner's environment minus gatehouse's own settings, so that a DATABASE_URL or
 * GATEHOUSE_* exported in a CI shell does not silently change the server under test;
 * callers pass those explicitly in `env`.
 */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith("GATEHOUSE_") && !["DATABASE_URL", "REDIS_URL", "HOST", "PORT"].includes(name),
    ),
  );
}

export async function startServer(
  env: Record<string, string> = {},
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "gatehouse-data-")));
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: REPO_ROOT,
    env: { ...inheritedEnv(), HOST: "127.0.0.1", PORT: "0", GATEHOUSE_DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);

  let combined = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    combined += chunk;
    stderr += chunk;
  });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // "close" rather than "exit": by then stdout and stderr are fully read.
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const alive = child.pid !== undefined && child.exitCode === null && child.signalCode === null;
      if (alive) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const describeFailure = (reason: string): Error =>
    new Error(
      `gatehouse server did not start: ${reason}\n` +
        `command: node --import tsx src/server.ts (cwd ${REPO_ROOT})\n` +
        `--- stderr ---\n${stderr.trim() || "(empty)"}\n` +
        `--- stdout+stderr ---\n${combined.trim() || "(empty)"}`,
    );

  const timeoutMs = options.startupTimeoutMs ?? STARTUP_TIMEOUT_MS;
  let listening = false;
  let pending = "";
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      reject(describeFailure(reason));
    };
    const timer = setTimeout(
      () => fail(`no line matching ${String(LISTENING_LINE)} on stdout within ${timeoutMs} ms`),
      timeoutMs,
    );
    child.stdout.on("data", (chunk: string) => {
      combined += chunk;
      if (listening) return;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const address = LISTENING_LINE.exec(line)?.[1];
        if (address !== undefined) {
          listening = true;
          clearTimeout(timer);
          resolve(address.replace(/\/+$/, ""));
          return;
        }
      }
    });
    child.once("error", (error) => fail(`spawn failed: ${error.message}`));
    void exited.then(({ code, signal }) => {
      if (!listening) fail(`the process exited first (code ${code}, signal ${signal})`);
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };

  return { url, dataDir, stop, output: () => combined, kill };
}
