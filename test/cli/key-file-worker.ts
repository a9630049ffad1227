// Runs in a worker thread standing in for a gatehouse process: for each round it reports ready,
// waits at the shared gate until every worker is ready, then, all at the same moment, loads the
// key ring as a starting server does ("load") or creates the next key as `gatehouse keys rotate`
// does ("prepare-next"), in the round's data folder. Started by key-files.test.ts.
//
// Every write of this thread is made slow (`slowWriteMs`), as on a loaded machine or a slow disk:
// a process that creates the key file and has not written it yet is then seen by the others
// every time, instead of once in many thousand starts.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import { loadMasterSecrets, prepareNextKeyFile } from "../../src/secret-key.js";

const { gate: shared, slowWriteMs } = workerData as { gate: SharedArrayBuffer; slowWriteMs: number };
const port = parentPort!;
const gate = new Int32Array(shared);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const writeSync = fs.writeSync;
fs.writeSync = ((...args: Parameters<typeof writeSync>) => {
  Atomics.wait(sleeper, 0, 0, slowWriteMs);
  return writeSync(...args);
}) as typeof writeSync;
syncBuiltinESMExports(); // the named import in src/secret-key.ts now sees the slow one too

const text = (key: Uint8Array) => Buffer.from(key).toString("utf8");

port.on("message", ({ round, dir, op }: { round: number; dir: string; op: "load" | "prepare-next" }) => {
  port.postMessage({ ready: round });
  // Blocks this thread until the test opens the gate for this round (gate[0] = round).
  while (Atomics.load(gate, 0) < round) Atomics.wait(gate, 0, Atomics.load(gate, 0), 10_000);
  try {
    const keys = op === "load" ? loadMasterSecrets(undefined, dir) : [prepareNextKeyFile(dir).key];
    port.postMessage({ round, keys: keys.map(text) });
  } catch (error) {
    port.postMessage({ round, error: (error as Error).message });
  }
});
port.postMessage({ started: true });
