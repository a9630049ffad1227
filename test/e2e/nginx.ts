// Runs Debian's nginx as a child process in front of gatehouse, configured by a sample file users
// copy (deploy/nginx/load-balancer.conf, deploy/nginx/auth-request.conf) with its placeholders
// filled in. Everything nginx writes (pid, logs, temp files) stays in a folder of the caller's.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { REPO_ROOT } from "../support/server-process.js";
import { spawnLogged } from "./child-process.js";
import { requireTool } from "./tools.js";

export const NGINX_PATH = "/usr/sbin/nginx";
export const LOAD_BALANCER_CONF = join(REPO_ROOT, "deploy/nginx/load-balancer.conf");
export const AUTH_REQUEST_CONF = join(REPO_ROOT, "deploy/nginx/auth-request.conf");

const STARTUP_TIMEOUT_MS = 15_000;

export interface LoadBalancerValues {
  /** What follows `listen`, e.g. `127.0.0.1:8080`. */
  listen: string;
  /** host:port of each gatehouse instance; the sample has exactly two. */
  instances: readonly [string, string];
  accessLog: string;
}

/** The load-balancer sample with every `{{...}}` placeholder replaced; throws if one is left. */
export function renderLoadBalancerConf(template: string, values: LoadBalancerValues): string {
  return renderNginxTemplate(template, LOAD_BALANCER_CONF, {
    LISTEN: values.listen,
    INSTANCE_1: values.instances[0],
    INSTANCE_2: values.instances[1],
    ACCESS_LOG: values.accessLog,
  });
}

export interface AuthRequestValues {
  /** What follows `listen`, e.g. `127.0.0.1:8080`. */
  listen: string;
  /** host:port of gatehouse (forward-auth mode). */
  gatehouse: string;
  /** host:port of the protected app. */
  app: string;
  accessLog: string;
}

/** The auth_request sample with every `{{...}}` placeholder replaced; throws if one is left. */
export function renderAuthRequestConf(template: string, values: AuthRequestValues): string {
  return renderNginxTemplate(template, AUTH_REQUEST_CONF, {
    LISTEN: values.listen,
    GATEHOUSE: values.gatehouse,
    APP: values.app,
    ACCESS_LOG: values.accessLog,
  });
}

/** `template` (read from `source`) with each `{{NAME}}` in a directive replaced by `byName[NAME]`. */
export function renderNginxTemplate(template: string, source: string, byName: Record<string, string>): string {
  // Only placeholders in directives; the header comment names them and stays as it is.
  const rendered = template
    .split("\n")
    .map((line) =>
      line.trimStart().startsWith("#")
        ? line
        : line.replace(/\{\{([A-Z0-9_]+)\}\}/g, (placeholder, name: string) => byName[name] ?? placeholder),
    )
    .join("\n");
  const left = rendered.split("\n").find((line) => !line.trimStart().startsWith("#") && line.includes("{{"));
  if (left !== undefined) throw new Error(`unknown placeholder left in ${source}: ${left.trim()}`);
  return rendered;
}

export interface UpstreamLogLine {
  request: string;
  status: number;
  /** `$upstream_addr`: the instance that answered (`-` when none did). */
  upstream: string;
}

/** Parses lines of the sample's `gatehouse_upstream` log format. */
export function parseUpstreamLog(text: string): UpstreamLogLine[] {
  const lines: UpstreamLogLine[] = [];
  for (const line of text.split("\n")) {
    const match = /"([^"]*)" (\d{3}) upstream=(.*?) upstream_status=/.exec(line);
    if (match) lines.push({ request: match[1] ?? "", status: Number(match[2]), upstream: match[3] ?? "" });
  }
  return lines;
}

export interface NginxProcess {
  /** e.g. `http://127.0.0.1:40123`, no trailing slash. */
  url: string;
  accessLog(): Promise<string>;
  /** nginx's stderr and its error log, for failure messages. */
  diagnostics(): Promise<string>;
  /** SIGTERM (fast shutdown), SIGKILL after 5 s; waits for exit. Idempotent. */
  stop(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function readOrEmpty(path: string): Promise<string> {
  return readFile(path, "utf8").catch(() => "");
}

/**
 * Starts nginx as a round-robin load balancer on a free 127.0.0.1 port over two gatehouse
 * instances (their base URLs), with its prefix in `dir`; resolves once `/healthz` answers 200
 * through it.
 */
export async function startNginxLoadBalancer(instanceURLs: readonly [string, string], dir: string): Promise<NginxProcess> {
  return startNginx(dir, "/healthz", async (listen, accessLog) =>
    renderLoadBalancerConf(await readFile(LOAD_BALANCER_CONF, "utf8"), {
      listen,
      instances: [new URL(instanceURLs[0]).host, new URL(instanceURLs[1]).host],
      accessLog,
    }),
  );
}

/**
 * Starts nginx with deploy/nginx/auth-request.conf on a free 127.0.0.1 port in front of
 * gatehouse (forward-auth mode) and the app (base URLs), with its prefix in `dir`; resolves once
 * `/.gatehouse/healthz` answers 200 through it.
 */
export async function startNginxAuthRequest(gatehouseURL: string, appURL: string, dir: string): Promise<NginxProcess> {
  return startNginx(dir, "/.gatehouse/healthz", async (listen, accessLog) =>
    renderAuthRequestConf(await readFile(AUTH_REQUEST_CONF, "utf8"), {
      listen,
      gatehouse: new URL(gatehouseURL).host,
      app: new URL(appURL).host,
      accessLog,
    }),
  );
}

/**
 * Starts nginx on a free 127.0.0.1 port with the site `renderSite(listen, accessLogPath)` and its
 * prefix in `dir`; resolves once `readyPath` answers 200 through it.
 */
export async function startNginx(
  dir: string,
  readyPath: string,
  renderSite: (listen: string, accessLogPath: string) => Promise<string>,
): Promise<NginxProcess> {
  const nginx = requireTool(NGINX_PATH);
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const accessLogPath = join(dir, "access.log");
  const errorLogPath = join(dir, "error.log");
  await mkdir(join(dir, "temp"), { recursive: true });

  await writeFile(join(dir, "site.conf"), await renderSite(`127.0.0.1:${port}`, accessLogPath));
  // The main file Debian's /etc/nginx/nginx.conf would be, with every path in `dir`. Workers
  // run as the test's user: under root, `user root;` keeps them able to write the temp
  // folders here (the default, nobody, could not); otherwise nginx ignores the directive.
  const runningAsRoot = process.getuid?.() === 0;
  await writeFile(
    join(dir, "nginx.conf"),
    [
      ...(runningAsRoot ? ["user root;"] : []),
      "worker_processes 1;",
      `pid ${join(dir, "nginx.pid")};`,
      `error_log ${errorLogPath} warn;`,
      "events { worker_connections 256; }",
      "http {",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
        (kind) => `    ${kind}_temp_path ${join(dir, "temp", kind)};`,
      ),
      `    include ${join(dir, "site.conf")};`,
      "}",
      "",
    ].join("\n"),
  );

  // -e: the error log from the first moment, before the configuration names one (the
  // compiled-in default is /var/log/nginx/error.log).
  const child = spawnLogged(nginx, ["-p", `${dir}/`, "-c", join(dir, "nginx.conf"), "-e", errorLogPath, "-g", "daemon off;"]);
  const diagnostics = async (): Promise<string> =>
    `--- nginx stdout+stderr ---\n${child.output().trim() || "(empty)"}\n` +
    `--- nginx error log (${errorLogPath}) ---\n${(await readOrEmpty(errorLogPath)).trim().slice(-3_000) || "(empty)"}`;

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = "no answer yet";
  for (;;) {
    if (child.hasExited()) {
      await child.exited;
      throw new Error(
        `nginx exited at startup (code ${child.child.exitCode}, signal ${child.child.signalCode})\n${await diagnostics()}`,
      );
    }
    try {
      const res = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
      lastProblem = `GET ${readyPath} through nginx answered ${res.status}`;
    } catch (error) {
      lastProblem = `GET ${readyPath} through nginx failed: ${String(error)}`;
    }
    if (Date.now() > deadline) {
      const details = await diagnostics();
      await child.stop();
      throw new Error(`nginx did not become ready within ${STARTUP_TIMEOUT_MS} ms (${lastProblem})\n${details}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return { url, accessLog: () => readOrEmpty(accessLogPath), diagnostics, stop: child.stop };
}
