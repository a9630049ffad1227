// Lint = correctness rules from typescript-eslint plus the dependency arrows of docs/architecture.md:
// the core imports no framework, driver or environment; the store and web never import each other.
import tseslint from "typescript-eslint";

const frameworkAndDrivers = ["fastify", "@fastify/*", "kysely", "better-sqlite3", "pg", "ioredis", "pino", "zod"];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", "bench/results/"] },
  ...tseslint.configs.recommended,
  {
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: frameworkAndDrivers, message: "The core imports no web framework, database driver or logger." },
            { group: ["../*"], message: "The core depends on nothing outside src/core." },
          ],
        },
      ],
      "no-restricted-globals": ["error", { name: "process", message: "Only src/config.ts reads the environment." }],
    },
  },
  {
    files: ["src/store/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["../web/*", "fastify", "@fastify/*"], message: "Stores do not know about the web layer." }] },
      ],
    },
  },
  {
    // The admin CLI works on the services and stores; `serve` reaches the web app only through
    // src/server.ts (one dynamic import), never by importing it here.
    files: ["src/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/web/*", "fastify", "@fastify/*"], message: "The CLI does not import the web layer; serve goes through src/server.ts." }] },
      ],
    },
  },
  {
    // The Redis throttles implement core ports over ioredis; they know no store, web or driver.
    files: ["src/limits/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["../web/*", "../store/*", "fastify", "@fastify/*", "kysely", "better-sqlite3", "pg"], message: "Limits depend on the core and ioredis only." }] },
      ],
    },
  },
  {
    files: ["src/web/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/store/*", "better-sqlite3", "pg", "kysely"], message: "The web layer talks to ports, never to a store or driver." }] },
      ],
    },
  },
);
