// The key ring the server loads during and after a rotation (src/secret-key.ts): the current key
// first (it seals, also mid-rotation), then the next and previous keys (they only open).
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { finishKeyFileRotation, loadMasterSecret, loadMasterSecrets, prepareNextKeyFile } from "../../src/secret-key.js";

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

/** Workers loading the TypeScript sources through tsx, each held at `gate` until it opens; see key-file-worker.ts. */
function startKeyWorkers(count: number, gate: SharedArrayBuffer, slowWriteMs: number): Promise<Worker[]> {
  const script = new URL("./key-file-worker.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); })`;
  return Promise.all(
    Array.from({ length: count }, () => {
      const worker = new Worker(bootstrap, { eval: true, workerData: { gate, slowWriteMs } });
      return new Promise<Worker>((resolve, reject) => {
        worker.once("error", reject);
        worker.once("message", () => resolve(worker));
      });
    }),
  );
}

/** One message of the given round from `worker`, matching `wanted`. */
function nextMessage<T>(worker: Worker, wanted: (message: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: Record<string, unknown>) => {
      if (!wanted(message)) return;
      worker.off("message", listener);
      resolve(message as T);
    };
    worker.on("message", listener);
  });
}

// Review F10: a process starting while another one creates secret.key could read it empty or
// half-written and stop ("holds a key shorter than 32 bytes"), or worse, go on with a truncated
// key. The same held for secret.key.next while `gatehouse keys rotate` creates it.
describe("key files created while other processes start (created atomically)", () => {
  const WORKERS = 6;
  const ROUNDS = 5;
  const gate = new SharedArrayBuffer(4);
  const dirs: string[] = [];
  let workers: Worker[] = [];
  let round = 0;
  beforeAll(async () => {
    workers = await startKeyWorkers(WORKERS, gate, 50);
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.terminate()));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** A fresh data folder, prepared by `setUp`. */
  async function dataFolder(setUp: (dir: string) => unknown = () => {}) {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-key-race-"));
    dirs.push(dir);
    await setUp(dir);
    return dir;
  }

  /** Worker i runs ops[i] in `dir`, all released at once; returns each one's keys (or error). */
  async function together(dir: string, ops: ("load" | "prepare-next")[]) {
    round++;
    const current = round;
    const ready = workers.map((worker) => nextMessage(worker, (m) => m.ready === current));
    const results = workers.map((worker) => nextMessage<{ keys?: string[]; error?: string }>(worker, (m) => m.round === current));
    workers.forEach((worker, i) => worker.postMessage({ round: current, dir, op: ops[i] }));
    await Promise.all(ready);
    Atomics.store(new Int32Array(gate), 0, current);
    Atomics.notify(new Int32Array(gate), 0);
    return (await Promise.all(results)).map(({ keys, error }) => keys ?? error);
  }

  const onDisk = async (dir: string, name: string) => (await readFile(join(dir, name), "utf8")).trim();

  it(`${WORKERS} servers starting at once on an empty folder, ${ROUNDS} times: each loads the same complete key, and no temporary file is left`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = await dataFolder();
      const loaded = await together(dir, Array(WORKERS).fill("load"));
      const key = await onDisk(dir, "secret.key");
      expect(Buffer.byteLength(key)).toBeGreaterThanOrEqual(32);
      expect(loaded).toEqual(Array(WORKERS).fill([key]));
      expect(await readdir(dir)).toEqual(["secret.key"]);
    }
  });

  it(`servers starting while a rotation creates secret.key.next, ${ROUNDS} times: each loads [current] or [current, next], never a partial key`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = await dataFolder((d) => writeFile(join(d, "secret.key"), `${"c".repeat(43)}\n`, { mode: 0o600 }));
      const [rotation, ...servers] = await together(dir, ["prepare-next", ...Array(WORKERS - 1).fill("load")]);
      const next = await onDisk(dir, "secret.key.next");
      expect(rotation).toEqual([next]);
      for (const ring of servers) expect([["c".repeat(43)], ["c".repeat(43), next]]).toContainEqual(ring);
      expect((await readdir(dir)).sort()).toEqual(["secret.key", "secret.key.next"]);
    }
  });
});

describe("a temporary key file left by a process that stopped while creating the key", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gatehouse-keys-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("does not stop the next start, which creates a complete key of its own", async () => {
    await writeFile(join(dir, "secret.key.1234-0011223344556677.tmp"), "half-writ", { mode: 0o600 });
    await writeFile(join(dir, "secret.key.tmp"), "", { mode: 0o600 });
    const key = Buffer.from(loadMasterSecret(undefined, dir)).toString("utf8");
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await readFile(join(dir, "secret.key"), "utf8")).trim()).toBe(key);
    expect((await stat(join(dir, "secret.key"))).mode & 0o777).toBe(0o600);
  });

  it("is ignored when the key exists: the existing key is loaded unchanged", async () => {
    const existing = "k".repeat(43);
    await writeFile(join(dir, "secret.key"), `${existing}\n`, { mode: 0o600 });
    await writeFile(join(dir, "secret.key.1234-0011223344556677.tmp"), "other", { mode: 0o600 });
    expect(Buffer.from(loadMasterSecret(undefined, dir)).toString("utf8")).toBe(existing);
  });
});

