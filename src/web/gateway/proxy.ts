// The built-in reverse proxy (GATEHOUSE_UPSTREAM): every path outside /.gatehouse goes to the
// upstream app, for a public path or a full sign-in the access rules let through. Bodies stream both ways unparsed, in
// a context of their own (gatehouse's form parser, CSRF check and page headers stay with its
// pages); WebSocket upgrades pass the same check before they are proxied.
import httpProxy from "@fastify/http-proxy";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IncomingHttpHeaders } from "node:http";
import { ErrorCode, GatehouseError, SignInRequiredError } from "../../core/errors.js";
import { stepOf } from "../../core/sign-in.js";
import type { AccessPolicy, Identity } from "../../gateway/access-rules.js";
import { isUnderPrefix, pathOf } from "../../gateway/request-path.js";
import type { TrustedProxies } from "../../gateway/trusted-proxies.js";
import { upstreamRequestHeaders, withoutOwnSetCookies } from "../../gateway/upstream-headers.js";
import { OWN_COOKIE_NAMES } from "../cookies.js";
import { GATEWAY_PREFIX } from "../paths.js";
import { pagePaths, redirect, type RouteContext } from "../routes/context.js";
import { recheckVisitor, resolveVisitor } from "../visitor.js";
import { accessDenied, identityOf, isBrowserNavigation } from "./access.js";
import { SOCKET_RECHECK_MS, watchUpgradedSocket } from "./socket-watch.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who the upstream is told about (X-Gatehouse-User, -Groups); undefined on a public path. */
    upstreamIdentity: Identity | undefined;
  }
}

export interface ProxySettings {
  upstream: URL;
  upstreamTimeoutMs: number;
  decide: AccessPolicy;
  isTrustedProxy: TrustedProxies;
  /** Default SOCKET_RECHECK_MS. */
  socketRecheckMs?: number | undefined;
}

/** What a WebSocket handshake of our own carries; the client's would clash with it. */
const HANDSHAKE_HEADER = /^(sec-websocket-|upgrade$|connection$|content-length$|transfer-encoding$)/;

export async function registerProxy(app: FastifyInstance, route: RouteContext, settings: ProxySettings): Promise<void> {
  const pages = pagePaths(route.paths);
  app.decorateRequest("upstreamIdentity", undefined);

  /** Lets a request through to the upstream, or answers it: 404, 303 to sign in, 401 or 403. */
  async function admit(request: FastifyRequest, reply: FastifyReply) {
    const path = pathOf(request.url);
    // The router sends /.gatehouse/... to gatehouse's pages; other letter cases end here.
    if (isUnderPrefix(path, GATEWAY_PREFIX)) return reply.callNotFound();
    // A public path needs no session: no lookup at all.
    if (settings.decide(path, null) === "public") return;
    request.visitor = await resolveVisitor(request, route.deps, route.cookie);
    const identity = await identityOf(request.visitor.visit, route.deps.groups);
    const decision = settings.decide(path, identity);
    if (decision === "deny") throw accessDenied();
    if (identity !== null && decision === "allow") {
      request.upstreamIdentity = identity;
      // Node's parser marks a request handed to the 'upgrade' event (a field @types/node omits).
      if ((request.raw as { upgrade?: boolean }).upgrade === true) watchSession(request, path);
      return;
    }
    if (!isBrowserNavigation(request)) throw new SignInRequiredError(request.url);
    // A password-only session goes on to its second factor; anyone else to the sign-in page,
    // which comes back here (path and query) afterwards.
    return redirect(reply, pages[stepOf(request.visitor.visit)](request.url));
  }

  /** Cuts a WebSocket opened for a session once that session no longer lets it through (socket-watch.ts). */
  function watchSession(request: FastifyRequest, path: string) {
    const { cookieToken } = request.visitor;
    const stillAdmitted = async () => {
      const identity = await identityOf((await recheckVisitor(cookieToken, route.deps)).visit, route.deps.groups);
      return identity !== null && settings.decide(path, identity) === "allow";
    };
    const onCheckFailed = (error: unknown) =>
      request.log.warn({ err: { message: (error as Error).message } }, "WebSocket closed: its session could not be checked");
    watchUpgradedSocket(request.raw.socket, stillAdmitted, settings.socketRecheckMs ?? SOCKET_RECHECK_MS, onCheckFailed);
  }

  /** The fields of a request (plain or WebSocket) that decide what the upstream is told. */
  type Forwardable = Pick<FastifyRequest, "upstreamIdentity" | "protocol" | "host" | "headers"> & {
    socket: { remoteAddress?: string | undefined };
  };

  function headersFor(request: Forwardable, headers: IncomingHttpHeaders) {
    const facts = {
      identity: request.upstreamIdentity,
      peerAddress: request.socket.remoteAddress ?? "",
      peerTrusted: settings.isTrustedProxy(request.socket.remoteAddress),
      originalHost: request.headers.host,
      protocol: request.protocol,
      host: request.host,
    };
    return upstreamRequestHeaders(headers, facts, OWN_COOKIE_NAMES);
  }

  // The README's WebSocket header hook (absent from the package's types): the same headers as
  // a plain request, minus the client's handshake, which the proxy's own connection replaces.
  const wsClientOptions = {
    headers: {},
    rewriteRequestHeaders: (_headers: IncomingHttpHeaders, request: FastifyRequest) => {
      const headers = headersFor(request, request.headers);
      for (const name of Object.keys(headers)) if (HANDSHAKE_HEADER.test(name)) delete headers[name];
      return headers;
    },
  };

  app.removeAllContentTypeParsers();
  app.addHook("onRequest", admit);
  await app.register(httpProxy, {
    upstream: settings.upstream.href,
    websocket: true,
    // The upstream's redirects pass through as they are.
    internalRewriteLocationHeader: false,
    disableRequestLogging: true,
    // No page headers on the upstream's answers (this plugin passes only `config` to its routes).
    config: { sessionless: true, pageHeadersOnlyOnPages: true },
    // Keep-alive connections to the upstream; a slow answer becomes 504.
    undici: { headersTimeout: settings.upstreamTimeoutMs },
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => headersFor(request, headers),
      rewriteHeaders: (headers) => withoutOwnSetCookies(headers, OWN_COOKIE_NAMES),
      // The upstream's status codes pass through: no retry of its 503s or of failed connections.
      retryDelay: () => null,
      onError: (reply, { error }) => {
        const timedOut = (error as { statusCode?: number }).statusCode === 504;
        // The page says what happened, never where the upstream is (the log has the details).
        reply.send(
          timedOut
            ? new GatehouseError(ErrorCode.UPSTREAM_TIMEOUT, "The application did not answer in time.")
            : new GatehouseError(ErrorCode.UPSTREAM_UNAVAILABLE, "The application is not reachable right now."),
        );
      },
    },
    wsClientOptions,
  });
}
