// The gatehouse server as `npm start` runs it (src/server.ts serve(): config from the
// environment, listen, print the address), plus the bench instrumentation.
import "./instrument.js";
import { describeStartupFailure, serve } from "../../src/server.js";

serve().catch((error: unknown) => {
  process.stderr.write(`${describeStartupFailure(error)}\n`);
  process.exit(1);
});
