// gatehouse user groups NAME [GROUP...] (contract: Administration), through the real binary on a
// real database file: sets exactly the groups listed, shown by user show and user list --json.
import { afterAll, describe, expect, it } from "vitest";
import { expectOneLineError, gatehouse, makeDataDir, openServices, PASSWORD, AS_ADMIN, type DataDir } from "./support.js";

describe("gatehouse user groups", () => {
  const dirs: DataDir[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  /** A data folder with the user alice. */
  async function folderWithAlice() {
    const dir = await makeDataDir();
    dirs.push(dir);
    const services = await openServices(dir.path, dir.masterSecrets);
    try {
      await services.accounts.register("alice", PASSWORD, AS_ADMIN);
    } finally {
      await services.close();
    }
    return dir;
  }

  async function storedGroups(dir: DataDir): Promise<string[]> {
    const services = await openServices(dir.path, dir.masterSecrets);
    try {
      const user = await services.store.users.findUserByUsernameKey("alice");
      return services.store.groups.listGroups(user!.id);
    } finally {
      await services.close();
    }
  }

  it("sets exactly the groups listed, sorted and once each; user show and user list --json list them; the change is an event", async () => {
    const dir = await folderWithAlice();
    const set = await gatehouse(["user", "groups", "ALICE", "ops", "admins", "ops"], dir.env);
    expect(set).toMatchObject({ code: 0, stdout: "groups of alice: admins, ops\n", stderr: "" });
    expect(await storedGroups(dir)).toEqual(["admins", "ops"]);

    const replaced = await gatehouse(["user", "groups", "alice", "billing"], dir.env);
    expect(replaced.code).toBe(0);
    const [show, showText, list] = await Promise.all([
      gatehouse(["user", "show", "alice", "--json"], dir.env),
      gatehouse(["user", "show", "alice"], dir.env),
      gatehouse(["user", "list", "--json"], dir.env),
    ]);
    const shown = JSON.parse(show.stdout) as { groups: string[]; lastEvents: { type: string; detail: unknown; userAgent: string }[] };
    expect(shown.groups).toEqual(["billing"]);
    expect(showText.stdout).toMatch(/^groups +billing$/m);
    expect((JSON.parse(list.stdout) as { username: string; groups: string[] }[]).map((u) => [u.username, u.groups])).toEqual([["alice", ["billing"]]]);
    expect(shown.lastEvents.slice(0, 2)).toEqual([
      expect.objectContaining({ type: "admin-groups-set", detail: { groups: "billing" }, userAgent: "gatehouse-cli" }),
      expect.objectContaining({ type: "admin-groups-set", detail: { groups: "admins,ops" } }),
    ]);
  });

  it("with no group listed, the user is in no group", async () => {
    const dir = await folderWithAlice();
    await gatehouse(["user", "groups", "alice", "admins"], dir.env);
    const cleared = await gatehouse(["user", "groups", "alice"], dir.env);
    expect(cleared).toMatchObject({ code: 0, stdout: "alice is now in no group\n" });
    expect(await storedGroups(dir)).toEqual([]);
    expect((await gatehouse(["user", "show", "alice"], dir.env)).stdout).toMatch(/^groups +none$/m);
  });

  it("a bad group name is a usage error (exit 2) and changes nothing", async () => {
    const dir = await folderWithAlice();
    await gatehouse(["user", "groups", "alice", "admins"], dir.env);
    // A comma would split X-Gatehouse-Groups; the others are outside the letters allowed.
    for (const bad of ["a,b", "x".repeat(65), "ünïcode"]) {
      const refused = await gatehouse(["user", "groups", "alice", "ops", bad], dir.env);
      expect(refused.code).toBe(2);
      expect(refused.stderr.split("\n")[0]).toBe(`gatehouse: '${bad}' is not a group name (1-64 letters, digits, '_', '.' or '-', starting with a letter or digit)`);
      expect(refused.stderr).toContain("usage: gatehouse user groups NAME [GROUP...]");
    }
    expect(await storedGroups(dir)).toEqual(["admins"]);
  });

  it("an unknown user is one line on stderr and exit 1", async () => {
    const dir = await folderWithAlice();
    const result = await gatehouse(["user", "groups", "mallory", "admins"], dir.env);
    expect(result.code).toBe(1);
    expect(expectOneLineError(result)).toBe("gatehouse: no user named mallory");
  });
});
