// Contract, Administration: `gatehouse user reset-2fa|disable|enable|password|sign-out` and
// `gatehouse --version`, through the real binary against a real server process on the same data
// folder: what each command ends is checked from a browser's side, over HTTP.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchClient } from "../support/fetch-client.js";
import { startServer, type ServerProcess } from "../support/server-process.js";
import {
  enrollInProcess,
  expectOneLineError,
  gatehouse,
  makeDataDir,
  openServices,
  PASSWORD,
  REPO_ROOT,
  TestClock,
  totpCode,
  type DataDir,
} from "./support.js";

const NEW_PASSWORD = "copper-lantern-meadow-77";
const USERS = ["alice", "bob", "carol", "dave", "erin"] as const;

describe("gatehouse user administration against a running server", () => {
  let dir: DataDir;
  let server: ServerProcess;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    dir = await makeDataDir();
    const services = await openServices(dir.path, dir.masterSecrets, new TestClock(Date.now()));
    try {
      for (const name of USERS) secrets.set(name, (await enrollInProcess(services, new TestClock(Date.now()), name)).secretBase32);
    } finally {
      await services.close();
    }
    server = await startServer(dir.env, { dataDir: dir.path });
  });
  afterAll(async () => {
    await server?.stop();
    await dir?.remove();
  });

  async function passwordStep(name: string, password = PASSWORD) {
    const browser = new FetchClient(server.url);
    await browser.send("/login");
    return { browser, answer: await browser.send("/login", { username: name, password }) };
  }

  /** Password and code: a full session. The enrollment used the current step, so the next one's code. */
  async function signedIn(name: string): Promise<FetchClient> {
    const { browser, answer } = await passwordStep(name);
    expect(answer.location).toBe("/2fa");
    await browser.send("/2fa");
    expect((await browser.send("/2fa", { otp: totpCode(secrets.get(name)!, Date.now() + 30_000) })).status).toBe(303);
    expect((await browser.send("/")).body).toContain(`Signed in as ${name}`);
    return browser;
  }

  async function expectSignedOut(browser: FetchClient) {
    const home = await browser.send("/");
    expect(home.status).toBe(303);
    expect(home.location).toMatch(/^\/login/);
  }

  /** The admin actions on NAME, as `gatehouse events NAME --json` lists them. */
  async function adminEvents(name: string) {
    const listed = await gatehouse(["events", name, "--json"], dir.env);
    const events = JSON.parse(listed.stdout) as { type: string; userAgent: string | null }[];
    // Newest first; without the set-up's own admin-user-added.
    return events.filter((e) => e.type.startsWith("admin-") && e.type !== "admin-user-added");
  }

  it("user disable ends the session at once; the right password answers 403 with a page saying so, a wrong one 401", async () => {
    const browser = await signedIn("alice");
    const disabled = await gatehouse(["user", "disable", "alice"], dir.env);
    expect(disabled).toMatchObject({ code: 0, stdout: "disabled alice; 1 session ended, remembered browsers forgotten\n", stderr: "" });
    await expectSignedOut(browser);

    const right = await passwordStep("alice");
    expect(right.answer.status).toBe(403);
    expect(right.answer.body).toContain("This account is disabled.");
    expect((await passwordStep("alice", "wrong-password-123")).answer.status).toBe(401);
    expect((await passwordStep("mallory")).answer.status).toBe(401);

    const [show, list] = await Promise.all([gatehouse(["user", "show", "alice", "--json"], dir.env), gatehouse(["user", "list", "--json"], dir.env)]);
    expect(JSON.parse(show.stdout)).toMatchObject({ disabled: true, activeSessions: 0 });
    expect(JSON.parse(show.stdout).disabledAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const listed = JSON.parse(list.stdout) as { username: string; disabled: boolean }[];
    expect(listed.filter((u) => u.disabled).map((u) => u.username)).toEqual(["alice"]);
    expect((await gatehouse(["user", "show", "alice"], dir.env)).stdout).toMatch(/^access +disabled since \d{4}-/m);
    expect((await gatehouse(["user", "list"], dir.env)).stdout).toMatch(/^alice \(disabled\) +on /m);
  });

  it("user enable lets the password in again with a new sign-in; the ended session stays ended", async () => {
    const browser = await signedIn("bob");
    const oldSession = browser.on(server.url);
    expect((await gatehouse(["user", "disable", "bob"], dir.env)).code).toBe(0);
    const again = await gatehouse(["user", "disable", "bob"], dir.env);
    expect(again).toMatchObject({ code: 0, stdout: "bob was already disabled; no sessions ended, remembered browsers forgotten\n" });
    const enabled = await gatehouse(["user", "enable", "bob"], dir.env);
    expect(enabled).toMatchObject({ code: 0, stdout: "enabled bob; they sign in anew\n", stderr: "" });
    expect((await gatehouse(["user", "enable", "bob"], dir.env)).stdout).toBe("bob is not disabled; nothing changed\n");

    await expectSignedOut(oldSession);
    expect((await passwordStep("bob")).answer.location).toBe("/2fa");
    expect(JSON.parse((await gatehouse(["user", "show", "bob", "--json"], dir.env)).stdout)).toMatchObject({ disabled: false, disabledAt: null });
    const events = await adminEvents("bob");
    expect(events.map((e) => e.type)).toEqual(["admin-user-enabled", "admin-user-disabled"]);
    expect(events.every((e) => e.userAgent === "gatehouse-cli")).toBe(true);
  });

  it("user password reads the new password from stdin: the old one answers 401, the new one signs in, the session ended", async () => {
    const browser = await signedIn("carol");
    const weak = await gatehouse(["user", "password", "carol"], dir.env, { input: "password\n" });
    expect(weak.code).toBe(1);
    expect(expectOneLineError(weak)).toContain("commonly used passwords");
    const empty = await gatehouse(["user", "password", "carol"], dir.env);
    expect(expectOneLineError(empty)).toContain("no password given");
    expect((await browser.send("/")).body).toContain("Signed in as carol"); // nothing changed so far

    const set = await gatehouse(["user", "password", "carol"], dir.env, { input: `${NEW_PASSWORD}\n` });
    expect(set).toMatchObject({ code: 0, stdout: "set a new password for carol; 1 session ended, remembered browsers forgotten\n", stderr: "" });
    await expectSignedOut(browser);
    expect((await passwordStep("carol")).answer.status).toBe(401);
    expect((await passwordStep("carol", NEW_PASSWORD)).answer.location).toBe("/2fa");
    expect((await adminEvents("carol")).map((e) => e.type)).toEqual(["admin-password-set"]);
  });

  it("user sign-out ends every session of the user, and says what ended", async () => {
    const full = await signedIn("dave");
    const pending = (await passwordStep("dave")).browser;
    const out = await gatehouse(["user", "sign-out", "dave"], dir.env);
    expect(out).toMatchObject({ code: 0, stdout: "signed dave out: 2 sessions ended; remembered browsers kept\n", stderr: "" });
    await expectSignedOut(full);
    expect((await pending.send("/2fa")).location).toMatch(/^\/login/);
    expect((await adminEvents("dave")).map((e) => e.type)).toEqual(["admin-signed-out"]);
  });

  it("user reset-2fa ends the sessions and says everything it did; the next sign-in enrolls", async () => {
    const browser = await signedIn("erin");
    const reset = await gatehouse(["user", "reset-2fa", "erin"], dir.env);
    expect(reset).toMatchObject({ code: 0, stderr: "" });
    expect(reset.stdout).toBe(
      "two-factor sign-in is off for erin; recovery codes and remembered browsers deleted, 1 session ended, " +
        "second-factor lock lifted; the next sign-in enrolls a new authenticator\n",
    );
    await expectSignedOut(browser);
    expect((await passwordStep("erin")).answer.location).toBe("/2fa/setup");
    expect((await adminEvents("erin")).map((e) => e.type)).toEqual(["admin-reset-2fa"]);
  });

  it("an unknown user exits 1 with one line, a usage error exits 2, and no password is read for an unknown user", async () => {
    const unknown = await Promise.all(
      ["disable", "enable", "password", "sign-out", "reset-2fa"].map((command) => gatehouse(["user", command, "mallory"], dir.env, { input: `${NEW_PASSWORD}\n` })),
    );
    // Without input: a command that read the password first would fail with "no password given".
    unknown.push(await gatehouse(["user", "password", "mallory"], dir.env));
    for (const result of unknown) {
      expect(result.code).toBe(1);
      expect(expectOneLineError(result)).toBe("gatehouse: no user named mallory");
      expect(result.stdout).toBe("");
    }
    const usage = await Promise.all([
      gatehouse(["user", "disable"], dir.env),
      gatehouse(["user", "password", "carol", NEW_PASSWORD], dir.env),
      gatehouse(["user", "sign-out", "dave", "--all"], dir.env),
    ]);
    for (const result of usage) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/\nusage: gatehouse user /);
    }
  });

  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect(await gatehouse(["--version"], {})).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});
