import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Skipped tests must not pass silently in CI (brief: a missing browser is a failure there).
    allowOnly: false,
  },
});
