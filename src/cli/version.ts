// `gatehouse --version`: the version of the installed package, read from its package.json at run
// time. The path is relative to this module, the same two levels up from src/cli (tsx) and
// dist/cli (the built binary), so it needs no build step and cannot go stale.
import { readFileSync } from "node:fs";

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error("package.json holds no version");
  return manifest.version;
}
