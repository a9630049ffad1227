// npm run bench [-- --quick] [-- --soak]: every benchmark, each as ratios to a baseline measured
// in the same run. --quick is the short version CI runs to keep the harness working (no speed
// assertions); --soak adds five minutes of mixed traffic (not in CI).
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { environmentInfo, formatMarkdownTable, writeJSON } from "./harness.js";
import { formatHTTPReport } from "./http/format.js";
import { runHTTPBench } from "./http/index.js";
import { runTOTPBench } from "./totp.js";

const quick = process.argv.includes("--quick");
const soak = process.argv.includes("--soak");
/** `--only=ID,ID`, `--rounds=N`, `--seconds=N`: explore cases (docs/performance.md). */
const flag = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = flag("only")?.split(",");
const rounds = flag("rounds") === undefined ? undefined : Number(flag("rounds"));
const seconds = flag("seconds") === undefined ? undefined : Number(flag("seconds"));
const RESULTS_PATH = resolve(fileURLToPath(new URL(".", import.meta.url)), "results/latest.json");
const startedAt = Date.now();
// Progress goes to stderr, so stdout is exactly the markdown report.
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0)} s] ${line}\n`);

console.log(`# gatehouse bench${quick ? " (quick)" : ""}\n`);
console.log("## TOTP verify (ops/s of CPU time; ratio to the raw node:crypto loop)\n");
const totp = await runTOTPBench({ quick });
console.log(formatMarkdownTable(totp.rows));

const http = await runHTTPBench({
  quick,
  soak,
  log,
  ...(only && { only }),
  ...(rounds !== undefined && { rounds }),
  ...(seconds !== undefined && { seconds }),
});
console.log(`\n${formatHTTPReport(http)}`);

writeJSON(RESULTS_PATH, {
  date: new Date().toISOString(),
  quick,
  soak,
  seconds: Math.round((Date.now() - startedAt) / 1000),
  environment: environmentInfo(),
  totp: totp.record,
  http,
});
console.log(`\nResults: bench/results/latest.json (${Math.round((Date.now() - startedAt) / 1000)} s)`);
// The servers' handles are closed; anything left (a pg pool's timer) must not hold the run.
process.exit(0);
