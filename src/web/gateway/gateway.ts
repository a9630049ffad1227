// Gateway mode (GATEHOUSE_UPSTREAM and/or GATEHOUSE_FORWARD_AUTH): gatehouse's pages move under
// /.gatehouse (src/web/pages.ts), the verify endpoint serves a proxy in front, and with an
// upstream the built-in proxy owns every other path. Without an upstream every other path is 404.
import type { FastifyInstance } from "fastify";
import { createAccessPolicy } from "../../gateway/access-rules.js";
import type { GatewaySettings } from "../../gateway/settings.js";
import type { TrustedProxies } from "../../gateway/trusted-proxies.js";
import { GATEWAY_PREFIX } from "../paths.js";
import type { RouteContext } from "../routes/context.js";
import { registerProxy } from "./proxy.js";
import { verifyRoute } from "./verify.js";

export async function registerGateway(
  app: FastifyInstance,
  route: RouteContext,
  settings: GatewaySettings & { isTrustedProxy: TrustedProxies },
): Promise<void> {
  const decide = createAccessPolicy(settings.publicPaths, settings.accessRules);
  const { isTrustedProxy, upstream } = settings;

  // Outside gatehouse's pages no body is ever read here: verify and 404 leave it unread (and
  // the hook below closes the connection instead).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null));
  // An answer given before the request body was read (401, 303, 400) ends the connection rather
  // than reading an unauthenticated upload to its end (the upstream's early answers do the same).
  app.addHook("onSend", async (request, reply, payload) => {
    if (!request.raw.complete) reply.header("connection", "close");
    return payload;
  });
  verifyRoute(app, route.deps, route.cookie, route.paths, { decide, isTrustedProxy });
  // Every other path under the prefix is ours too, and not found: it never reaches the upstream.
  app.all(`${GATEWAY_PREFIX}/*`, (_request, reply) => reply.callNotFound());

  if (upstream) {
    await app.register((proxy) => registerProxy(proxy, route, { upstream, upstreamTimeoutMs: settings.upstreamTimeoutMs, decide, isTrustedProxy, socketRecheckMs: settings.socketRecheckMs }));
  }
}
