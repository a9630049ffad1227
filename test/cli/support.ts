// Runs the real `gatehouse` binary (`node --import tsx src/cli/main.ts`) as a child process with
// a temporary data folder and piped stdin, and opens the same database in-process to set up or
// check state through the services.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as OTPAuth from "otpauth";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import type { RequestOrigin } from "../../src/core/ports.js";
import { consoleEnrollment } from "../../src/core/two-factor.js";
import { createServices, type Services } from "../../src/services.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Cheap Argon2 for users set up in-process; the binary itself hashes with the production cost. */
export const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export class TestClock {
  constructor(public ms: number) {}
  now = () => this.ms;
  advanceSeconds(seconds: number) {
    this.ms += seconds * 1000;
  }
}

export const PASSWORD = "quiet-lantern-orbit-73";

/** What in-process set-ups stand in for: the admin's CLI, or a browser's requests. */
export const AS_ADMIN = { byAdmin: true, origin: CLI_ORIGIN } as const;
export const WEB_ORIGIN: RequestOrigin = { clientAddress: "127.0.0.1", userAgent: "test-browser" };

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The runner's environment minus gatehouse's own settings, which each test passes explicitly. */
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("GATEHOUSE_") && !["DATABASE_URL", "REDIS_URL"].includes(name)),
  );
}

export function spawnGatehouse(args: string[], env: Record<string, string>, options: Pick<SpawnOptions, "uid" | "gid"> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: REPO_ROOT,
    env: { ...inheritedEnv(), ...env },
    stdio: ["pipe", "pipe", "pipe"],
    ...options,
  });
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `gatehouse ARGS…` to completion; `input` is written to stdin, which is then closed. */
export async function gatehouse(
  args: string[],
  env: Record<string, string>,
  { input = "", ...options }: { input?: string } & Pick<SpawnOptions, "uid" | "gid"> = {},
): Promise<RunResult> {
  const child = spawnGatehouse(args, env, options);
  const result = collect(child);
  child.stdin!.end(input);
  return result;
}

/** A failure as the issue asks for it: exactly one line on stderr, no stack trace. */
export function expectOneLineError(result: RunResult): string {
  const lines = result.stderr.trimEnd().split("\n");
  if (lines.length !== 1 || /\bat .+:\d+:\d+\)?$/m.test(result.stderr) || !lines[0]!.startsWith("gatehouse: ")) {
    throw new Error(`expected one "gatehouse: ..." line on stderr, got:\n${result.stderr}`);
  }
  return lines[0]!;
}

export interface DataDir {
  path: string;
  /** GATEHOUSE_DATA_DIR (and GATEHOUSE_SECRET_KEY when the folder uses one). */
  env: Record<string, string>;
  /** The master key ring to open the services with in-process. */
  masterSecrets: Uint8Array[];
  remove(): Promise<void>;
}

/** A temporary data folder using GATEHOUSE_SECRET_KEY (unless `keyFile`: the generated key file). */
export async function makeDataDir({ keyFile = false } = {}): Promise<DataDir> {
  const path = await mkdtemp(join(tmpdir(), "gatehouse-cli-"));
  const secretKey = randomBytes(32).toString("base64url");
  return {
    path,
    env: keyFile ? { GATEHOUSE_DATA_DIR: path } : { GATEHOUSE_DATA_DIR: path, GATEHOUSE_SECRET_KEY: secretKey },
    masterSecrets: keyFile ? [] : [new Uint8Array(Buffer.from(secretKey, "utf8"))],
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** The services on the folder's database, in this process, with a settable clock. */
export function openServices(dataDir: string, masterSecrets: Uint8Array[], clock = new TestClock(Date.now())): Promise<Services> {
  return createServices({
    databaseFile: join(dataDir, "gatehouse.sqlite"),
    masterSecrets,
    issuer: "gatehouse",
    registration: "open",
    firstLockSeconds: 30,
    argon2: TEST_ARGON2,
    clock,
  });
}

/** RFC 6238 code from an independent implementation (the otpauth package). */
export function totpCode(secretBase32: string, atMs: number): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secretBase32), digits: 6, period: 30 }).generate({ timestamp: atMs });
}

/** Registers NAME and confirms an authenticator at the clock's time; returns the user id and key. */
export async function enrollInProcess(services: Services, clock: TestClock, name: string) {
  const user = await services.accounts.register(name, PASSWORD, AS_ADMIN);
  const view = await services.twoFactor.currentEnrollment(user.id, name, consoleEnrollment(user.id));
  const codes = await services.twoFactor.confirmEnrollment(user.id, totpCode(view.secretBase32, clock.now()), consoleEnrollment(user.id), WEB_ORIGIN);
  if (!codes) throw new Error(`enrollment of ${name} was not confirmed`);
  return { userId: user.id, secretBase32: view.secretBase32 };
}
