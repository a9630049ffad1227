// The binary's contract with scripts: --help on every level, exit status 2 and the usage on
// stderr for bad arguments, exit status 1 and one line for failures, never a stack trace.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectOneLineError, gatehouse, makeDataDir, type DataDir } from "./support.js";

describe.concurrent("gatehouse usage", () => {
  const dirs: DataDir[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  it("prints the command list for --help, for a group and for a command, and exits 0", async () => {
    const [top, group, command] = await Promise.all([
      gatehouse(["--help"], {}),
      gatehouse(["user", "--help"], {}),
      gatehouse(["help", "events"], {}),
    ]);
    expect(top.code).toBe(0);
    for (const name of ["serve", "migrate", "user add NAME", "user reset-2fa NAME", "enroll NAME", "keys rotate", "events [NAME]"]) {
      expect(top.stdout).toContain(`gatehouse ${name}`);
    }
    expect(group.code).toBe(0);
    expect(group.stdout).toContain("gatehouse user unlock NAME");
    expect(group.stdout).not.toContain("gatehouse keys rotate");
    expect(command.code).toBe(0);
    expect(command.stdout).toMatch(/^usage: gatehouse events \[NAME\] \[--since DURATION\] \[--limit N\] \[--json\]/);
    expect(command.stdout).toContain("--since DURATION  only events of the last DURATION");
    expect(top.stderr + group.stderr + command.stderr).toBe("");
  });

  it("exits 2 with the usage on stderr for a missing argument, an unknown option or command, and a bad duration", async () => {
    const results = await Promise.all([
      gatehouse(["user", "add"], {}),
      gatehouse(["user", "list", "--verbose"], {}),
      gatehouse(["user", "frobnicate"], {}),
      gatehouse([], {}),
      gatehouse(["events", "--since", "yesterday"], {}),
    ]);
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^gatehouse: .+\nusage: gatehouse /);
      expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    }
    expect(results[0]!.stderr).toContain("missing NAME");
    expect(results[1]!.stderr).toContain("unknown option '--verbose'");
    expect(results[2]!.stderr).toContain("unknown command 'user frobnicate'");
    expect(results[4]!.stderr).toContain("--since wants a duration like 1h or 7d, not 'yesterday'");
  });

  it("never echoes a password typed as an extra argument, and exits 2", async () => {
    const result = await gatehouse(["user", "password", "alice", "hunter2-typed-by-mistake"], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("too many arguments");
    expect(result.stdout + result.stderr).not.toContain("hunter2-typed-by-mistake");
  });

  it("refuses to work on a missing database with one line and exit 1, and creates nothing", async () => {
    const dir = await makeDataDir();
    dirs.push(dir);
    const results = await Promise.all([
      gatehouse(["user", "list"], dir.env),
      gatehouse(["user", "add", "alice"], dir.env, { input: "quiet-lantern-orbit-73\n" }),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(expectOneLineError(result)).toBe(
        `gatehouse: no database at ${join(dir.path, "gatehouse.sqlite")}; run gatehouse migrate or start the server first`,
      );
    }
    expect(existsSync(join(dir.path, "gatehouse.sqlite"))).toBe(false);
  });

  it("stops on bad configuration with the server's one-line message and exit 1", async () => {
    const dir = await makeDataDir();
    dirs.push(dir);
    const result = await gatehouse(["user", "list"], { ...dir.env, GATEHOUSE_SECRET_KEY: "too short" });
    expect(result.code).toBe(1);
    expect(expectOneLineError(result)).toContain("GATEHOUSE_SECRET_KEY must be at least 32 bytes long");
  });

  it("migrate creates the database once and is a no-op after that", async () => {
    const dir = await makeDataDir();
    dirs.push(dir);
    const env = { ...dir.env, GATEHOUSE_DATA_DIR: join(dir.path, "new-folder") };
    const first = await gatehouse(["migrate"], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("is at the latest schema");
    expect(existsSync(join(dir.path, "new-folder", "gatehouse.sqlite"))).toBe(true);
    expect((await gatehouse(["migrate"], env)).code).toBe(0);
    const list = await gatehouse(["user", "list", "--json"], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
