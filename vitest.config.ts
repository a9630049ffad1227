import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: the CLI and end-to-end tests spawn real processes, and CI machines are shared.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Skipped tests must not pass silently in CI (brief: a missing browser is a failure there).
    allowOnly: false,
  },
});
