#!/usr/bin/env node
// The `gatehouse` binary (package.json "bin"). The commands load inside the try, so even an
// installation whose native modules do not load ends with one line and exit status 1.
const firstLine = (error: unknown) => (error instanceof Error ? error.message.split("\n")[0] : String(error));

// `gatehouse events | head`: a reader that stops early is not a failure of the command.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") process.stderr.write(`gatehouse: cannot write the output: ${firstLine(error)}\n`);
  process.exit(error.code === "EPIPE" ? 0 : 1);
});

try {
  const { runCLI } = await import("./run.js");
  process.exitCode = await runCLI(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`gatehouse: ${firstLine(error)}\n`);
  process.exitCode = 1;
}
