// gatehouse user add|list|show|remove|reset-2fa|unlock and gatehouse events, through the real
// binary on a real database file. Each test has its own data folder, set up and checked
// in-process through the services, so the tests run concurrently.
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Services } from "../../src/services.js";
import {
  AS_ADMIN,
  enrollInProcess,
  expectOneLineError,
  gatehouse,
  makeDataDir,
  openServices,
  PASSWORD,
  TestClock,
  WEB_ORIGIN,
  type DataDir,
} from "./support.js";

const DAY_MS = 86_400_000;

describe.concurrent("gatehouse user commands", () => {
  const dirs: DataDir[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  /** A data folder whose database `setUp` fills in-process before the binary runs. */
  async function folderWith(setUp: (services: Services, clock: TestClock) => Promise<void> = async () => {}) {
    const dir = await makeDataDir();
    dirs.push(dir);
    const clock = new TestClock(Date.now());
    const services = await openServices(dir.path, dir.masterSecrets, clock);
    try {
      await setUp(services, clock);
    } finally {
      await services.close();
    }
    return { dir, clock, inProcess: () => openServices(dir.path, dir.masterSecrets, clock) };
  }

  it("user add reads the password from stdin (never argv), the password signs in, and the addition is an event", async () => {
    const { dir, inProcess } = await folderWith();
    const added = await gatehouse(["user", "add", "alice"], dir.env, { input: `${PASSWORD}\n` });
    expect(added).toMatchObject({ code: 0, stdout: "added user alice\n", stderr: "" });

    const [taken, common, empty, shown] = await Promise.all([
      gatehouse(["user", "add", "ALICE"], dir.env, { input: `${PASSWORD}\n` }),
      gatehouse(["user", "add", "bob"], dir.env, { input: "password\n" }),
      gatehouse(["user", "add", "bob"], dir.env),
      gatehouse(["user", "show", "alice", "--json"], dir.env),
    ]);
    for (const result of [taken, common, empty]) expect(result.code).toBe(1);
    expect(expectOneLineError(taken)).toBe("gatehouse: a user named ALICE already exists (names are compared without case)");
    expect(expectOneLineError(common)).toContain("commonly used passwords");
    expect(expectOneLineError(empty)).toContain("no password given");
    expect(JSON.parse(shown.stdout).lastEvents).toEqual([
      expect.objectContaining({ type: "admin-user-added", userAgent: "gatehouse-cli", clientAddress: null }),
    ]);

    const services = await inProcess();
    try {
      expect((await services.accounts.verifyPassword("alice", PASSWORD, WEB_ORIGIN)).username).toBe("alice");
      expect(await services.store.users.findUserByUsernameKey("bob")).toBeNull();
    } finally {
      await services.close();
    }
  });

  it("user list and user show print aligned text, and JSON with --json, without secrets", async () => {
    const { dir } = await folderWith(async (services, clock) => {
      await services.accounts.register("bob", PASSWORD, AS_ADMIN);
      await enrollInProcess(services, clock, "alice");
    });
    const [text, json, show, showText] = await Promise.all([
      gatehouse(["user", "list"], dir.env),
      gatehouse(["user", "list", "--json"], dir.env),
      gatehouse(["user", "show", "Alice", "--json"], dir.env),
      gatehouse(["user", "show", "alice"], dir.env),
    ]);
    expect(text.stdout.split("\n")[0]).toMatch(/^USERNAME +2FA +CODES LEFT +CREATED$/);
    expect(text.stdout).toMatch(/^alice +on +10 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/m);
    expect(text.stdout).toMatch(/^bob +off +- +\d{4}-/m);
    const users = JSON.parse(json.stdout) as { username: string; twoFactor: string; recoveryCodesLeft: number }[];
    expect(users.map((u) => [u.username, u.twoFactor, u.recoveryCodesLeft])).toEqual([["alice", "on", 10], ["bob", "off", 0]]);
    expect(JSON.parse(show.stdout)).toMatchObject({ username: "alice", twoFactor: "on", recoveryCodesLeft: 10, activeSessions: 0, rememberedBrowsers: [] });
    expect(showText.stdout).toMatch(/^two-factor +on since \d{4}-/m);
    expect(showText.stdout).toMatch(/^recovery codes +10 left$/m);
    for (const output of [text, json, show, showText]) expect(output.stdout).not.toMatch(/argon2|v1\.[0-9a-f]{8}\./);
  });

  it("an unknown user is one line on stderr and exit 1, for every kind of command that names one", async () => {
    const { dir } = await folderWith();
    const results = await Promise.all(
      [["user", "show"], ["user", "reset-2fa"], ["enroll"], ["events"]].map((words) => gatehouse([...words, "mallory"], dir.env)),
    );
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(expectOneLineError(result)).toBe("gatehouse: no user named mallory");
      expect(result.stdout).toBe("");
    }
  });

  it("user reset-2fa turns two-factor sign-in off: user show reports it and the next sign-in enrolls", async () => {
    const { dir, inProcess } = await folderWith(async (services, clock) => {
      await enrollInProcess(services, clock, "carol");
    });
    const reset = await gatehouse(["user", "reset-2fa", "carol"], dir.env);
    expect(reset).toMatchObject({ code: 0, stderr: "" });
    const shown = await gatehouse(["user", "show", "carol"], dir.env);
    expect(shown.stdout).toMatch(/^two-factor +off \(the next sign-in enrolls an authenticator\)$/m);
    expect(shown.stdout).toMatch(/admin-reset-2fa +gatehouse-cli/);

    const services = await inProcess();
    try {
      const carol = (await services.store.users.findUserByUsernameKey("carol"))!;
      expect(await services.twoFactor.isEnrolled(carol.id)).toBe(false);
      expect(await services.store.recoveryCodes.listUnused(carol.id)).toEqual([]);
    } finally {
      await services.close();
    }
  });

  it("user unlock clears the hard lock after 100 failures, which enroll reports as a locked account", async () => {
    const { dir, inProcess } = await folderWith(async (services) => {
      const alice = await services.accounts.register("alice", PASSWORD, AS_ADMIN);
      // 100 failures, each after the previous lock (at most a day) ran out.
      let at = Date.now() + 365 * DAY_MS;
      for (let i = 0; i < 100; i++, at += 2 * DAY_MS) {
        expect((await services.store.secondFactorThrottle.charge(alice.id, at)).allowed).toBe(true);
      }
      expect(await services.store.secondFactorThrottle.charge(alice.id, at)).toMatchObject({ allowed: false, hardLocked: true });
    });

    const locked = await gatehouse(["enroll", "alice"], dir.env, { input: "123456\n" });
    expect(locked.code).toBe(1);
    expect(expectOneLineError(locked)).toMatch(/^gatehouse: alice's second factor is locked .*gatehouse user unlock alice/);
    const before = JSON.parse((await gatehouse(["user", "show", "alice", "--json"], dir.env)).stdout);
    expect(before).toMatchObject({ secondFactorLock: "hard-locked", consecutiveFailures: 100 });

    const unlocked = await gatehouse(["user", "unlock", "alice"], dir.env);
    expect(unlocked).toMatchObject({ code: 0, stdout: "unlocked the second factor of alice\n", stderr: "" });
    const after = JSON.parse((await gatehouse(["user", "show", "alice", "--json"], dir.env)).stdout);
    expect(after).toMatchObject({ secondFactorLock: "not locked", consecutiveFailures: 0 });
    const services = await inProcess();
    try {
      expect(await services.store.secondFactorThrottle.charge((await services.store.users.findUserByUsernameKey("alice"))!.id, Date.now())).toEqual({ allowed: true });
    } finally {
      await services.close();
    }
  });

  it("user remove deletes the user; events list every admin action with its origin, removed users by name", async () => {
    const { dir } = await folderWith(async (services) => {
      await services.accounts.register("alice", PASSWORD, { origin: WEB_ORIGIN });
      await services.accounts.register("bob", PASSWORD, { origin: WEB_ORIGIN });
    });
    const [removed, unlocked] = await Promise.all([
      gatehouse(["user", "remove", "bob"], dir.env),
      gatehouse(["user", "unlock", "alice"], dir.env),
    ]);
    expect(removed).toMatchObject({ code: 0, stdout: "removed user bob\n" });
    expect(unlocked.code).toBe(0);

    const [json, text, alice, list] = await Promise.all([
      gatehouse(["events", "--since", "1h", "--json"], dir.env),
      gatehouse(["events", "--since", "1h"], dir.env),
      gatehouse(["events", "alice", "--json"], dir.env),
      gatehouse(["user", "list", "--json"], dir.env),
    ]);
    const events = JSON.parse(json.stdout) as { type: string; username: string | null; userAgent: string | null }[];
    const admin = events.filter((e) => e.type.startsWith("admin-"));
    expect(admin.map((e) => [e.type, e.username]).sort()).toEqual([["admin-unlocked", "alice"], ["admin-user-removed", "bob"]]);
    expect(admin.every((e) => e.userAgent === "gatehouse-cli")).toBe(true);
    expect(events.filter((e) => e.type === "registered")).toHaveLength(2); // the in-process setup, no CLI origin
    expect(text.stdout.split("\n")[0]).toMatch(/^TIME +EVENT +USER +FROM +DETAIL$/);
    expect(text.stdout).toMatch(/admin-user-removed +bob +gatehouse-cli +username=bob/);
    expect(new Set((JSON.parse(alice.stdout) as { username: string }[]).map((e) => e.username))).toEqual(new Set(["alice"]));
    expect((JSON.parse(list.stdout) as { username: string }[]).map((u) => u.username)).toEqual(["alice"]);
  });

  it("a read-only database fails with one line and changes nothing", async () => {
    const { dir, inProcess } = await folderWith();
    const file = join(dir.path, "gatehouse.sqlite");
    // root ignores file modes, so the binary runs as nobody, for whom the root-owned file is read-only.
    const asRoot = process.getuid?.() === 0;
    await chmod(dir.path, 0o755);
    await chmod(file, asRoot ? 0o644 : 0o444);
    try {
      const result = await gatehouse(["user", "add", "dave"], dir.env, { input: `${PASSWORD}\n`, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
      expect(result.code).toBe(1);
      expect(expectOneLineError(result)).toBe(`gatehouse: cannot open the database at ${file}: permission denied`);
    } finally {
      await chmod(file, 0o600);
      await chmod(dir.path, 0o700);
    }
    const services = await inProcess();
    try {
      expect(await services.store.users.listUsers()).toEqual([]);
    } finally {
      await services.close();
    }
  });
});
