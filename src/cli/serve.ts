// `gatehouse serve` (what `npm start` runs) and `gatehouse migrate`: the two commands that may
// create the data folder and the database.
import { mkdirSync } from "node:fs";
import { loadConfig } from "../config.js";
import { describeStore, openStore } from "../store/open.js";
import { throttlePolicy } from "../services.js";
import { CommandFailure, type Command } from "./command.js";
import { storeLocationOf } from "./context.js";
import { describeError } from "./errors.js";
import { writeOut } from "./io.js";

const serve: Command = {
  path: ["serve"],
  positionals: [],
  summary: "Run the web server (what npm start runs).",
  details: "Prints `gatehouse listening on http://HOST:PORT` once it listens; SIGINT or SIGTERM stop it.",
  async run() {
    // Loaded only here: the web layer (Fastify) is no part of the other commands.
    const server = await import("../server.js");
    try {
      await server.serve();
    } catch (error) {
      throw new CommandFailure(server.describeStartupFailure(error));
    }
  },
};

const migrate: Command = {
  path: ["migrate"],
  positionals: [],
  summary: "Create the database or bring it to the latest schema.",
  details: "Creates GATEHOUSE_DATA_DIR (0700) and DATA/gatehouse.sqlite (0600) when missing. The server migrates on start too.",
  async run() {
    const config = loadConfig();
    const location = storeLocationOf(config);
    try {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      // Migrations run in a transaction each (Kysely's migrator): all of one or none.
      const store = await openStore(location, throttlePolicy(config.firstLockSeconds));
      await store.close();
    } catch (error) {
      throw new CommandFailure(`cannot migrate ${describeStore(location)}: ${describeError(error, { withPath: false })}`);
    }
    writeOut(`${describeStore(location)} is at the latest schema`);
  },
};

export const serverCommands: Command[] = [serve, migrate];
