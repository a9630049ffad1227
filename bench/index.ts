// npm run bench [-- --quick]: every benchmark, each as ratios to a baseline measured in the same
// run. --quick is the short version CI runs to keep the harness working (no speed assertions).
import { formatMarkdownTable } from "./harness.js";
import { runTOTPBench } from "./totp.js";

const quick = process.argv.includes("--quick");

console.log(`# gatehouse bench${quick ? " (quick)" : ""}\n`);
console.log("## TOTP verify (ops/s of CPU time; ratio to the raw node:crypto loop)\n");
console.log(formatMarkdownTable(await runTOTPBench({ quick })));
console.log("\nResults: bench/results/latest.json");
