// Contract, Starting: "A restart keeps every user, enrollment, recovery code and session", the
// generated key file is owner-only, and bad configuration stops the server with one clear line.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as OTPAuth from "otpauth";
import { afterAll, describe, expect, it } from "vitest";
import { FetchClient } from "../support/fetch-client.js";
import { REPO_ROOT, startServer, type ServerProcess } from "../support/server-process.js";

const PASSWORD = "quiet-lantern-orbit-73";

function code(secret: string, stepOffset = 0) {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + stepOffset * 30_000 });
}

describe("a restart of the real server process", () => {
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("keeps the user, the enrollment, the recovery codes and the session", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "gatehouse-restart-"));
    dirs.push(dataDir);
    const first = await startServer({}, { dataDir });
    servers.push(first);
    const browser = new FetchClient(first.url);
    await browser.send("/register");
    expect((await browser.send("/register", { username: "carol", password: PASSWORD })).status).toBe(303);
    const setup = await browser.send("/2fa/setup");
    const secret = (/id="secret-key">([^<]+)</.exec(setup.body)?.[1] ?? "").replace(/\s+/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect((await browser.send("/2fa/setup", { otp: code(secret) })).location).toBe("/2fa/recovery-codes");
    const codes = [...(await browser.send("/2fa/recovery-codes")).body.matchAll(/class="recovery-code">([^<]+)</g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThanOrEqual(8);
    await first.stop();

    // The generated master key and the database are owner-only (R54 with the embedded default).
    expect((await stat(join(dataDir, "secret.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, "gatehouse.sqlite"))).mode & 0o077).toBe(0);

    const second = await startServer({}, { dataDir });
    servers.push(second);
    browser.base = second.url;
    expect((await browser.send("/")).body).toContain("Signed in as carol");

    await browser.send("/logout", {});
    await browser.send("/login");
    expect((await browser.send("/login", { username: "carol", password: PASSWORD })).location).toBe("/2fa");
    await browser.send("/2fa");
    // The enrollment consumed the current step: the next step's code is the fresh one.
    expect((await browser.send("/2fa", { otp: code(secret, 1) })).status).toBe(303);
    expect((await browser.send("/")).body).toContain("Signed in as carol");

    await browser.send("/logout", {});
    await browser.send("/login");
    await browser.send("/login", { username: "carol", password: PASSWORD });
    await browser.send("/2fa");
    expect((await browser.send("/2fa/recovery", { recovery_code: codes[0]! })).status).toBe(303);
    expect((await browser.send("/")).body).toContain("Signed in as carol");
    await second.stop();
  });
});

describe("startup with bad configuration", () => {
  function start(env: Record<string, string>) {
    return spawnSync(process.execPath, ["--import", "tsx", "src/server.ts"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", PORT: "0", GATEHOUSE_DATA_DIR: join(tmpdir(), "gatehouse-never-created"), ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
  }

  it.each([
    [{ GATEHOUSE_SECRET_KEY: "too-short" }, /GATEHOUSE_SECRET_KEY must be at least 32 bytes/],
    [{ GATEHOUSE_ISSUER: "Acme:Corp" }, /GATEHOUSE_ISSUER must not contain ':'/],
    [{ PORT: "70000" }, /PORT/],
    [{ GATEHOUSE_PUBLIC_URL: "ftp://example.com" }, /GATEHOUSE_PUBLIC_URL/],
  ])("refuses %o with one line on stderr and no stack trace", (env, message) => {
    const result = start(env);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(result.stdout).not.toContain("gatehouse listening");
  });
});
