// gatehouse user invite [NAME] [--days N] and gatehouse user invites [--revoke ID], through the
// real binary (contract: Who may register): the URL alone on stdout, relative, under the
// gateway's prefix or absolute; the list never shows a token; and the printed URL opens the
// registration form on a running server.
import { afterAll, describe, expect, it } from "vitest";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import { startServer } from "../support/server-process.js";
import { expectOneLineError, gatehouse, makeDataDir, openServices, PASSWORD, TestClock, WEB_ORIGIN, type DataDir } from "./support.js";

const DAY_MS = 86_400_000;
const TOKEN = "[A-Za-z0-9_-]{43}";
const GATEWAY = { GATEHOUSE_UPSTREAM: "http://127.0.0.1:9" };

// One at a time: each test spawns several binaries, and the machine running them may be busy.
describe("gatehouse user invite and invites", { timeout: 240_000 }, () => {
  const dirs: DataDir[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  /** A data folder with a database (created through the services, as `gatehouse migrate` would). */
  async function folder(clock = new TestClock(Date.now())) {
    const dir = await makeDataDir();
    dirs.push(dir);
    await (await openServices(dir.path, dir.masterSecrets, clock)).close();
    return { dir, inProcess: (at = clock) => openServices(dir.path, dir.masterSecrets, at) };
  }

  it("prints the URL alone on stdout: relative, under /.gatehouse on a gateway, absolute with GATEHOUSE_PUBLIC_URL", async () => {
    const { dir } = await folder();
    const [plain, gateway, absolute] = await Promise.all([
      gatehouse(["user", "invite"], dir.env),
      gatehouse(["user", "invite", "dave"], { ...dir.env, ...GATEWAY }),
      gatehouse(["user", "invite", "--days", "30"], { ...dir.env, ...GATEWAY, GATEHOUSE_PUBLIC_URL: "https://login.example.com" }),
    ]);
    for (const result of [plain, gateway, absolute]) expect(result.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^/register\\?invite=${TOKEN}\\n$`));
    expect(gateway.stdout).toMatch(new RegExp(`^/\\.gatehouse/register\\?invite=${TOKEN}\\n$`));
    expect(absolute.stdout).toMatch(new RegExp(`^https://login\\.example\\.com/\\.gatehouse/register\\?invite=${TOKEN}\\n$`));
    expect(gateway.stderr).toMatch(/^invitation \S+ for dave, expires /);
    // Three invitations, three different tokens.
    expect(new Set([plain, gateway, absolute].map((r) => r.stdout.split("invite=")[1])).size).toBe(3);
  });

  it("--days must be a whole number from 1 to 365 (exit 2); an existing user's name is refused (exit 1)", async () => {
    const { dir, inProcess } = await folder();
    const services = await inProcess();
    await services.accounts.register("alice", PASSWORD, { byAdmin: true, origin: CLI_ORIGIN });
    await services.close();
    const results = await Promise.all([
      ...["0", "366", "1.5", "soon"].map((days) => gatehouse(["user", "invite", "--days", days], dir.env)),
      gatehouse(["user", "invite", "ALICE"], dir.env),
      gatehouse(["user", "invite", "bad:name"], dir.env),
    ]);
    const badName = results.pop()!;
    const taken = results.pop()!;
    for (const usage of results) {
      expect(usage.code).toBe(2);
      expect(usage.stdout).toBe("");
      expect(usage.stderr).toContain("--days must be a whole number from 1 to 365");
    }
    expect(taken.code).toBe(1);
    expect(expectOneLineError(taken)).toBe("gatehouse: a user named ALICE already exists");
    expect(badName.code).toBe(1);
    const listed = await gatehouse(["user", "invites"], dir.env);
    expect(listed.stdout).toBe("no invitations\n");
  });

  it("invites lists id, name or any, times and state (open, used, expired, revoked), never a token; --revoke ends an open one", async () => {
    const past = new TestClock(Date.now() - 8 * DAY_MS);
    const { dir, inProcess } = await folder();
    const services = await inProcess();
    const before = await inProcess(past);
    const expired = await before.invitations.issue("old", 7, CLI_ORIGIN);
    await before.close();
    const used = await services.invitations.issue(null, 7, CLI_ORIGIN);
    await services.accounts.register("erin", PASSWORD, { origin: WEB_ORIGIN, invitation: used.token });
    await services.close();
    const invited = await gatehouse(["user", "invite", "dave", "--days", "3"], dir.env);
    const token = invited.stdout.trim().split("invite=")[1]!;

    const listed = await gatehouse(["user", "invites", "--json"], dir.env);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as { id: string; username: string | null; createdAt: string; expiresAt: string; state: string }[];
    expect(rows.map((r) => [r.username, r.state])).toEqual([
      ["dave", "open"],
      [null, "used"],
      ["old", "expired"],
    ]);
    const dave = rows[0]!;
    expect(Date.parse(dave.expiresAt) - Date.parse(dave.createdAt)).toBe(3 * DAY_MS);
    for (const secret of [token, expired.token, used.token]) expect(listed.stdout).not.toContain(secret);

    const table = await gatehouse(["user", "invites"], dir.env);
    expect(table.stdout).toMatch(/^ID +USERNAME +CREATED +EXPIRES +STATE$/m);
    expect(table.stdout).toMatch(new RegExp(`^${used.invitation.id} +any .* used$`, "m"));

    const revoked = await gatehouse(["user", "invites", "--revoke", dave.id], dir.env);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked invitation ${dave.id}\n` });
    const [again, usedOne, unknown] = await Promise.all([
      gatehouse(["user", "invites", "--revoke", dave.id], dir.env),
      gatehouse(["user", "invites", "--revoke", used.invitation.id], dir.env),
      gatehouse(["user", "invites", "--revoke", "no-such-id"], dir.env),
    ]);
    for (const result of [again, usedOne, unknown]) expect(result.code).toBe(1);
    expect(expectOneLineError(again)).toBe(`gatehouse: no open invitation with id ${dave.id}`);
    expect(JSON.parse((await gatehouse(["user", "invites", "--json"], dir.env)).stdout)[0].state).toBe("revoked");

    const after = await inProcess();
    const events = await after.store.events.listEvents({ limit: 50 });
    await after.close();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["admin-invitation-created", "admin-invitation-revoked", "invitation-used"]));
    expect(events.find((e) => e.type === "admin-invitation-revoked")?.detail).toEqual({ invitationId: dave.id });
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("the printed URL opens the registration form on a running gateway; without it /register is 404", async () => {
    const { dir } = await folder();
    const server = await startServer({ ...dir.env, ...GATEWAY }, { dataDir: dir.path, startupTimeoutMs: 120_000 });
    try {
      const invited = await gatehouse(["user", "invite", "dave"], { ...dir.env, ...GATEWAY });
      const url = invited.stdout.trim();
      const form = await fetch(`${server.url}${url}`);
      expect(form.status).toBe(200);
      const body = await form.text();
      expect(body).toContain(`<input type="hidden" name="invite" value="${url.split("invite=")[1]}">`);
      expect(body).toMatch(/name="username" value="dave"[^>]* readonly/);
      expect((await fetch(`${server.url}/.gatehouse/register`)).status).toBe(404);
      expect(server.output()).not.toContain("GATEHOUSE_REGISTRATION=open");
    } finally {
      await server.stop();
    }
  });

  it("a gateway started with GATEHOUSE_REGISTRATION=open says so in a warning at startup", async () => {
    const { dir } = await folder();
    const server = await startServer({ ...dir.env, ...GATEWAY, GATEHOUSE_REGISTRATION: "open" }, { dataDir: dir.path, startupTimeoutMs: 120_000 });
    try {
      const warning = server.output().split("\n").find((line) => line.includes("GATEHOUSE_REGISTRATION=open on a gateway"));
      expect(JSON.parse(warning ?? "{}")).toMatchObject({ level: 40 });
    } finally {
      await server.stop();
    }
  });
});
