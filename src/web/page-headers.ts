// The security headers of gatehouse's pages (CSP, HSTS, frame and referrer policies...), built
// by helmet from the options below once at startup, then set on every answer. helmet builds a
// middleware, Content-Security-Policy string included, each time it is called, and @fastify/helmet
// called it on every request (about a tenth of a signed-in GET's CPU); no value here depends on
// the request, so running helmet's middleware once against a recording response gives the exact
// headers, in helmet's order and spelling.
import type { FastifyInstance, FastifyReply } from "fastify";
import helmet, { type HelmetOptions } from "helmet";
import type { ServerResponse } from "node:http";

declare module "fastify" {
  interface FastifyReply {
    /** Sets the page headers on this answer: for a page of ours on a route that skips them. */
    setPageHeaders(): void;
  }
  interface FastifyContextConfig {
    /**
     * The gateway's proxy and verify routes answer mostly with something else than our pages
     * (the upstream's answer, an empty 200): they get no page headers, except on a page of ours
     * (an error page, src/web/errors.ts).
     */
    pageHeadersOnlyOnPages?: boolean;
  }
}

/** One step of helmet's middleware on the response: set a header, or remove one (value null). */
type HeaderStep = readonly [name: string, value: string | null];

export interface PageHeaderOptions {
  /** Where forms may post besides our own origin (the gateway's return hosts). */
  formActionOrigins: readonly string[];
  /** Over https, HSTS too (a year). */
  https: boolean;
}

/** Static values only: a CSP directive computed per request (a nonce) cannot be precomputed. */
function helmetOptions({ formActionOrigins, https }: PageHeaderOptions): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'", ...formActionOrigins],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    // Chromium sends `Origin: null` on form POSTs under no-referrer; same-origin keeps the real one.
    referrerPolicy: { policy: "same-origin" },
    frameguard: { action: "deny" },
    strictTransportSecurity: https ? { maxAge: 31_536_000 } : false,
  };
}

/** Runs helmet's middleware once on a response that records what it sets and removes. */
function helmetHeaderSteps(options: PageHeaderOptions): readonly HeaderStep[] {
  const steps: HeaderStep[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => void steps.push([name, String(value)]),
    removeHeader: (name: string) => void steps.push([name, null]),
  };
  // The request is never read: every directive above is a fixed string.
  helmet(helmetOptions(options))(undefined as never, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return steps;
}

/** The headers a page gets, as name and value, for answers written without Fastify. */
export function pageHeaderList(options: PageHeaderOptions): [name: string, value: string][] {
  return helmetHeaderSteps(options).flatMap(([name, value]) => (value === null ? [] : [[name, value] as [string, string]]));
}

/**
 * Every answer gets the page headers in onRequest, where @fastify/helmet set them (so an error
 * raised by a later hook still has them), except on routes with `pageHeadersOnlyOnPages`.
 */
export function registerPageHeaders(app: FastifyInstance, options: PageHeaderOptions): void {
  const steps = helmetHeaderSteps(options);
  function apply(res: ServerResponse) {
    for (const [name, value] of steps) {
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    }
  }
  app.decorateReply("setPageHeaders", function (this: FastifyReply) {
    apply(this.raw);
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (!request.routeOptions.config.pageHeadersOnlyOnPages) apply(reply.raw);
    done();
  });
}
