// The protected app of the gateway tests: test/fixtures/flask_app.py under Debian's Python
// (python3-flask). The `python3` on PATH may be another interpreter without Flask, so the
// path is fixed, like Chromium's.
import { join } from "node:path";
import { REPO_ROOT } from "../support/server-process.js";
import { spawnLogged } from "./child-process.js";
import { requireTool } from "./tools.js";

export const DEBIAN_PYTHON = "/usr/bin/python3";
export const FLASK_APP = join(REPO_ROOT, "test/fixtures/flask_app.py");

const READY_LINE = /^flask fixture listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/;
const STARTUP_TIMEOUT_MS = 15_000;

export interface FlaskApp {
  /** e.g. `http://127.0.0.1:40123`, no trailing slash. */
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** What /whoami.json reports about the request that reached the app. */
export interface UpstreamView {
  method: string;
  path: string;
  query: string;
  user: string | null;
  host: string | null;
  forwardedFor: string | null;
  forwardedProto: string | null;
  forwardedHost: string | null;
  cookieNames: string[];
  cookieHeader: string | null;
  /** Every header name the app received, lowercased, with "-" (WSGI reads "_" the same). */
  headerNames: string[];
  body: string;
}

/** Starts the Flask fixture on a free 127.0.0.1 port; resolves once it printed its address. */
export async function startFlaskApp(): Promise<FlaskApp> {
  const python = requireTool(DEBIAN_PYTHON);
  // PYTHONDONTWRITEBYTECODE: no __pycache__ left in test/fixtures.
  const app = spawnLogged(python, ["-u", FLASK_APP, "--port", "0"], { ...process.env, PYTHONDONTWRITEBYTECODE: "1" });
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      reject(
        new Error(
          `the Flask fixture did not start: ${reason}\n` +
            `command: ${python} ${FLASK_APP} --port 0 (Debian's python3-flask is needed: apt-get install -y python3-flask)\n` +
            `--- output ---\n${app.output().trim() || "(empty)"}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`no ready line within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    app.onStdoutLine((line) => {
      const address = READY_LINE.exec(line)?.[1];
      if (address !== undefined) {
        clearTimeout(timer);
        resolve(address);
      }
    });
    void app.exited.then(() => fail("the process exited first"));
  }).catch(async (error: unknown) => {
    await app.stop();
    throw error;
  });
  return { url, output: app.output, stop: app.stop };
}
