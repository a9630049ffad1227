// The key ring the server loads during and after a rotation (src/secret-key.ts): the current key
// first (it seals, also mid-rotation), then the next and previous keys (they only open).
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { finishKeyFileRotation, loadMasterSecrets, prepareNextKeyFile } from "../../src/secret-key.js";

const text = (key: Uint8Array) => Buffer.from(key).toString("utf8");

describe("the key ring from the data folder", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-keys-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is [current, next] while a rotation is unfinished and [current, previous] after it, without duplicates", async () => {
    const [current] = loadMasterSecrets(undefined, dir);
    const { key: next, resumed } = prepareNextKeyFile(dir);
    expect(resumed).toBe(false);
    expect(prepareNextKeyFile(dir)).toEqual({ key: next, resumed: true }); // a rerun resumes with the same key
    expect(loadMasterSecrets(undefined, dir).map(text)).toEqual([text(current!), text(next)]);

    // A crash between the two renames: previous is a copy of current, loaded once.
    await writeFile(join(dir, "secret.key.previous"), await readFile(join(dir, "secret.key")), { mode: 0o600 });
    expect(loadMasterSecrets(undefined, dir).map(text)).toEqual([text(current!), text(next)]);

    finishKeyFileRotation(dir);
    expect(loadMasterSecrets(undefined, dir).map(text)).toEqual([text(next), text(current!)]);
    expect(existsSync(join(dir, "secret.key.next"))).toBe(false);
  });

  it("refuses a next key file that other users can read", async () => {
    loadMasterSecrets(undefined, dir);
    prepareNextKeyFile(dir);
    await chmod(join(dir, "secret.key.next"), 0o644);
    expect(() => loadMasterSecrets(undefined, dir)).toThrow(/secret\.key\.next is readable by other users; run: chmod 600/);
  });

  it("with GATEHOUSE_SECRET_KEY, ignores the key files and opens with GATEHOUSE_PREVIOUS_SECRET_KEYS", async () => {
    await writeFile(join(dir, "secret.key.previous"), `${"p".repeat(43)}\n`, { mode: 0o600 });
    const ring = loadMasterSecrets("n".repeat(32), dir, ["o".repeat(32), "n".repeat(32)]);
    expect(ring.map(text)).toEqual(["n".repeat(32), "o".repeat(32)]);
    expect(existsSync(join(dir, "secret.key"))).toBe(false);
  });
});
