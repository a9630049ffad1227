// TOTP verification benchmark: gatehouse's verifyTOTP vs a raw node:crypto loop (the floor any
// implementation on node:crypto can reach) vs the otpauth and otplib packages.
//   npx tsx bench/totp.ts [--quick]
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import * as OTPAuth from "otpauth";
import { verifySync as otplibVerifySync } from "otplib";
import { generateTOTP, verifyTOTP } from "../src/core/totp.js";
import {
  type BenchCase,
  type BenchRow,
  environmentInfo,
  formatMarkdownTable,
  runInterleaved,
  writeJSON,
} from "./harness.js";

export type { BenchRow } from "./harness.js";

const RESULTS_PATH = resolve(dirname(), "results/latest.json");

function dirname(): string {
  return fileURLToPath(new URL(".", import.meta.url));
}

function installedVersion(name: string): string {
  const path = resolve(dirname(), "../node_modules", name, "package.json");
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

export interface TOTPBenchResult {
  rows: BenchRow[];
  /** Options, environment and library versions, for the results file. */
  record: Record<string, unknown>;
}

export async function runTOTPBench(opts: { quick: boolean }): Promise<TOTPBenchResult> {
  // A fixed 20-byte secret (R4 length) and a time in the middle of a step.
  const key = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff);
  const timeSeconds = 1_700_000_010;
  const right = generateTOTP(key, timeSeconds);
  // A code that matches none of T-1, T, T+1, so every implementation computes all three HMACs.
  let wrong = "000000";
  for (let n = 1; verifyTOTP(key, wrong, timeSeconds) !== null; n++) wrong = String(n).padStart(6, "0");

  const step = Math.floor(timeSeconds / 30);
  const counter = Buffer.alloc(8);
  const baseline = (): number => {
    // What the brief calls the floor: 3 × (HMAC-SHA1 + dynamic truncation), nothing else.
    let acc = 0;
    for (let s = step - 1; s <= step + 1; s++) {
      counter.writeUInt32BE(Math.floor(s / 0x1_0000_0000), 0);
      counter.writeUInt32BE(s % 0x1_0000_0000, 4);
      const h = createHmac("sha1", key).update(counter).digest();
      const o = h[19]! & 0x0f;
      acc ^= (((h[o]! & 0x7f) << 24) | (h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!) % 1_000_000;
    }
    return acc;
  };

  const otpauthTOTP = new OTPAuth.TOTP({
    secret: new OTPAuth.Secret({ buffer: key.slice().buffer }),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
  const timestampMs = timeSeconds * 1000;
  // otplib v13 functional API; epochTolerance 30 s with a 30 s period = steps T-1..T+1.
  const otplibOptions = { secret: key, epoch: timeSeconds, epochTolerance: 30 } as const;

  // Sanity: every contender must agree before we time anything.
  if (verifyTOTP(key, right, timeSeconds) !== step) throw new Error("gatehouse rejects the right code");
  if (otpauthTOTP.validate({ token: right, timestamp: timestampMs, window: 1 }) !== 0) {
    throw new Error("otpauth rejects the right code");
  }
  if (!otplibVerifySync({ ...otplibOptions, token: right }).valid) throw new Error("otplib rejects the right code");
  if (otpauthTOTP.validate({ token: wrong, timestamp: timestampMs, window: 1 }) !== null) {
    throw new Error("otpauth accepts the wrong code");
  }
  if (otplibVerifySync({ ...otplibOptions, token: wrong }).valid) throw new Error("otplib accepts the wrong code");

  const cases: BenchCase[] = [
    { name: "raw node:crypto, 3 × HMAC-SHA1 + truncate (baseline)", fn: baseline, baseline: true },
    { name: "gatehouse verifyTOTP, wrong code (±1 window)", fn: () => verifyTOTP(key, wrong, timeSeconds) },
    { name: "gatehouse verifyTOTP, right code (±1 window)", fn: () => verifyTOTP(key, right, timeSeconds) },
    {
      name: "otpauth TOTP#validate, wrong code (window 1)",
      fn: () => otpauthTOTP.validate({ token: wrong, timestamp: timestampMs, window: 1 }),
    },
    {
      name: "otplib verifySync, wrong code (epochTolerance 30)",
      fn: () => otplibVerifySync({ ...otplibOptions, token: wrong }).valid,
    },
  ];

  // Many short rounds: each case's sample sits within ~0.3 s of the baseline's sample of the same
  // round, so the paired ratio survives a noisy shared machine.
  const options = opts.quick
    ? { rounds: 20, roundMs: 25, warmupMs: 50 }
    : { rounds: 100, roundMs: 60, warmupMs: 500 };
  const rows = runInterleaved(cases, options);

  const record = {
    options,
    libraries: {
      otpauth: installedVersion("otpauth"),
      otplib: `${installedVersion("otplib")} (default NobleCryptoPlugin)`,
    },
    rows,
  };
  return { rows, record };
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const quick = process.argv.includes("--quick");
  const { rows, record } = await runTOTPBench({ quick });
  writeJSON(RESULTS_PATH, { bench: "totp", date: new Date().toISOString(), quick, environment: environmentInfo(), ...record });
  console.log(formatMarkdownTable(rows));
  console.log(`\nwritten to ${RESULTS_PATH}`);
}
