// The baseline: a hello-world Fastify route, started and instrumented exactly like the gatehouse
// server (same runtime, same loader, same HOST/PORT handling and startup line).
import "./instrument.js";
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/", async () => ({ hello: "world" }));
await app.listen({ host: process.env.HOST ?? "127.0.0.1", port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;
process.stdout.write(`gatehouse listening on http://${process.env.HOST ?? "127.0.0.1"}:${port}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
