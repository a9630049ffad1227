// Nothing a request wrote is shown before it is durable. The embedded store commits the writes
// of one event-loop turn together (src/store/group-commit.ts), so a statement returns before its
// COMMIT; every answer waits here for the writes made since its request arrived, and a lost
// write turns the answer into a 503 page instead of a "done" for something that was not kept.
import type { FastifyInstance } from "fastify";
import type { Durability } from "../core/ports.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Resolves once every write made since this request arrived is durable (set on arrival). */
    writesSettled: (() => Promise<void>) | null;
  }
}

export function answerWhenDurable(app: FastifyInstance, durability: Durability): void {
  app.decorateRequest("writesSettled", null);
  app.addHook("onRequest", (request, _reply, done) => {
    request.writesSettled = durability.watch();
    done();
  });
  // Callback style, as the pages' hooks (src/web/pages.ts): it runs on every answer.
  app.addHook("onSend", (request, reply, payload, done) => {
    const settled = request.writesSettled;
    // Once only: the 503 page that replaces a lost answer waits for nothing more.
    request.writesSettled = null;
    if (settled === null) return done(null, payload);
    settled().then(
      () => done(null, payload),
      (error: Error) => {
        // The lost batch changed nothing: the browser keeps the cookie it had and stays where it is.
        reply.removeHeader("set-cookie");
        reply.removeHeader("location");
        done(error);
      },
    );
  });
}
