// Runs in a worker thread standing in for a gatehouse process starting up: for each round it
// reports ready, waits at the shared gate until every worker is ready, then loads the master key
// from the round's data folder, all at the same moment. Started by key-files.test.ts.
//
// Every write of this thread is made slow (`slowWriteMs`), as on a loaded machine or a slow disk:
// a process that creates the key file and has not written it yet is then seen by the others
// every time, instead of once in many thousand starts.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import { loadMasterSecret } from "../../src/secret-key.js";

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

port.on("message", ({ round, dir }: { round: number; dir: string }) => {
  port.postMessage({ ready: round });
  // Blocks this thread until the test opens the gate for this round (gate[0] = round).
  while (Atomics.load(gate, 0) < round) Atomics.wait(gate, 0, Atomics.load(gate, 0), 10_000);
  try {
    port.postMessage({ round, key: Buffer.from(loadMasterSecret(undefined, dir)).toString("utf8") });
  } catch (error) {
    port.postMessage({ round, error: (error as Error).message });
  }
});
port.postMessage({ started: true });
