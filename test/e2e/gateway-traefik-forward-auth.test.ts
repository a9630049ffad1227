// Traefik's forwardAuth against a real gatehouse process. Traefik is not packaged in Debian, so
// the test sends gatehouse exactly the request Traefik's middleware makes (pkg/middlewares/auth/
// forward.go: a GET of `address` carrying every header of the client's request, the Cookie
// included, plus X-Forwarded-Method/Proto/Host/Uri/For) from the trusted proxy address, and reads
// the address, the header names and the routes out of the shipped deploy/traefik/gatehouse.yml
// itself, so the sample is tested as written. docs/gateway.md must quote both samples verbatim.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchClient } from "../support/fetch-client.js";
import { REPO_ROOT, startServer, type ServerProcess } from "../support/server-process.js";
import { DEBIAN_PYTHON } from "./flask.js";
import { getFrom, PREFIX } from "./gateway-journey.js";
import { AUTH_REQUEST_CONF } from "./nginx.js";
import { computeTOTPWithOathtool, currentTimeStep, requireTool } from "./tools.js";

const TRAEFIK_CONF = join(REPO_ROOT, "deploy/traefik/gatehouse.yml");
const GATEWAY_DOC = join(REPO_ROOT, "docs/gateway.md");
const APP_HOST = "app.example.com";
/** GATEHOUSE_COOKIE_DOMAIN of the server below: one sign-in for every app under it. */
const COOKIE_DOMAIN = "example.com";

interface ForwardAuth {
  address: string;
  trustForwardHeader?: boolean;
  authResponseHeaders?: string[];
}
interface Router {
  rule: string;
  service: string;
  middlewares?: string[];
}
interface TraefikDynamic {
  http: {
    middlewares: Record<string, { forwardAuth?: ForwardAuth; headers?: { customRequestHeaders?: Record<string, string> } }>;
    routers: Record<string, Router>;
    services: Record<string, { loadBalancer: { servers: { url: string }[]; passHostHeader?: boolean } }>;
  };
}

/** A Set-Cookie line's Domain (without a leading dot) and its flags, lower-cased. */
function cookieAttributes(setCookie: string): { domain: string | undefined; flags: string[] } {
  const parts = setCookie.split(";").slice(1).map((part) => part.trim().toLowerCase());
  const domains = parts.filter((part) => part.startsWith("domain=")).map((part) => part.slice(7).replace(/^\./, ""));
  expect(domains.length, `at most one Domain in ${setCookie}`).toBeLessThanOrEqual(1);
  return { domain: domains[0], flags: parts.filter((part) => !part.includes("=")) };
}

/** The YAML as Traefik's file provider would read it, parsed by PyYAML (python3-yaml). */
async function loadTraefikConf(): Promise<TraefikDynamic> {
  const python = requireTool(DEBIAN_PYTHON);
  const { stdout } = await promisify(execFile)(python, [
    "-c",
    "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
    TRAEFIK_CONF,
  ]).catch((error: unknown) => {
    throw new Error(
      `${DEBIAN_PYTHON} could not parse ${TRAEFIK_CONF} (PyYAML is Debian's python3-yaml: apt-get install -y python3-yaml): ${String(error)}`,
    );
  });
  return JSON.parse(stdout) as TraefikDynamic;
}

describe("deploy/traefik/gatehouse.yml, as Traefik reads it", () => {
  let conf: TraefikDynamic;
  beforeAll(async () => {
    conf = await loadTraefikConf();
  });

  function forwardAuthOf(router: Router): ForwardAuth {
    const auths = (router.middlewares ?? []).flatMap((name) => conf.http.middlewares[name]?.forwardAuth ?? []);
    expect(auths, `one forwardAuth among the app router's middlewares ${JSON.stringify(router.middlewares)}`).toHaveLength(1);
    return auths[0] as ForwardAuth;
  }

  it("guards the app with a forwardAuth on gatehouse's verify endpoint, copying X-Gatehouse-User and X-Gatehouse-Groups", () => {
    const appRouters = Object.values(conf.http.routers).filter((router) => (router.middlewares ?? []).length > 0);
    expect(appRouters).toHaveLength(1);
    const auth = forwardAuthOf(appRouters[0] as Router);
    expect(new URL(auth.address).pathname).toBe(`${PREFIX}/auth/verify`);
    expect(auth.authResponseHeaders).toEqual(["X-Gatehouse-User", "X-Gatehouse-Groups"]);
    expect(auth.trustForwardHeader).toBe(true);
  });

  it("removes a client's X_Gatehouse_User and X_Gatehouse_Groups, which WSGI apps would read as the identity headers", () => {
    expect(removedByAppRouter()).toEqual(expect.arrayContaining(["X_Gatehouse_User", "X_Gatehouse_Groups"]));
  });

  it("removes a client's identity, path-override and client-address headers, also with _ for - (review F8)", () => {
    const removed = removedByAppRouter();
    for (const name of ["Remote-User", "Remote-Groups", "Remote-Email", "X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Original-URL", "X-Rewrite-URL"]) {
      expect(removed, name).toContain(name);
      expect(removed, name).toContain(name.replaceAll("-", "_"));
    }
    for (const name of ["True-Client-IP", "X-Client-IP", "CF-Connecting-IP", "Forwarded", "X-Original-URI"]) expect(removed, name).toContain(name);
  });

  /** The headers an empty customRequestHeaders value removes on the app's router. */
  function removedByAppRouter(): string[] {
    const app = Object.values(conf.http.routers).find((router) => (router.middlewares ?? []).length > 0) as Router;
    return (app.middlewares ?? []).flatMap((name) =>
      Object.entries(conf.http.middlewares[name]?.headers?.customRequestHeaders ?? {})
        .filter(([, value]) => value === "")
        .map(([header]) => header),
    );
  }

  it("routes /.gatehouse to the same gatehouse the middleware asks, without the middleware", () => {
    const entries = Object.entries(conf.http.routers);
    const [, own] = entries.find(([, router]) => router.rule.includes(`PathPrefix(\`${PREFIX}\`)`)) ?? [];
    expect(own, `a router for PathPrefix(\`${PREFIX}\`)`).toBeDefined();
    expect(own?.middlewares ?? []).toEqual([]);
    const gatehouseServers = conf.http.services[own?.service ?? ""]?.loadBalancer.servers.map((server) => new URL(server.url).host);
    const app = entries.find(([, router]) => (router.middlewares ?? []).length > 0)?.[1] as Router;
    expect(gatehouseServers).toEqual([new URL(forwardAuthOf(app).address).host]);
    // Same host for both, so gatehouse's cookies reach the verify request; the longer rule wins.
    expect(own?.rule).toContain(`Host(\`${APP_HOST}\`)`);
    expect(app.rule).toContain(`Host(\`${APP_HOST}\`)`);
    expect(own?.rule.length ?? 0).toBeGreaterThan(app.rule.length);
  });

  it("docs/gateway.md quotes this file and deploy/nginx/auth-request.conf verbatim", async () => {
    const doc = await readFile(GATEWAY_DOC, "utf8");
    for (const sample of [TRAEFIK_CONF, AUTH_REQUEST_CONF]) {
      expect(doc.includes(await readFile(sample, "utf8")), `${sample} inside docs/gateway.md`).toBe(true);
    }
  });
});

describe("gatehouse answers the request Traefik's forwardAuth sends", () => {
  let server: ServerProcess | undefined;
  let verifyURL = "";
  let signedIn: FetchClient;
  let conf: TraefikDynamic;
  const username = `tf_${randomBytes(5).toString("hex")}`;
  const password = `gatehouse traefik ${randomBytes(9).toString("base64url")} forward auth`;

  /** Traefik's forward request for a client request (trustForwardHeader: the entry point's own values). */
  function forwardRequestHeaders(client: { method: string; uri: string; cookie?: string }, extra: Record<string, string> = {}) {
    return {
      // Every header of the client's request is copied (no authRequestHeaders in the sample).
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0",
      accept: "text/html,application/xhtml+xml",
      ...(client.cookie ? { cookie: client.cookie } : {}),
      ...extra,
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-method": client.method,
      "x-forwarded-proto": "https",
      "x-forwarded-host": APP_HOST,
      "x-forwarded-uri": client.uri,
    };
  }

  async function askAsTraefik(client: { method: string; uri: string; cookie?: string }, extra: Record<string, string> = {}) {
    return getFrom("127.0.0.1", verifyURL, forwardRequestHeaders(client, extra));
  }

  beforeAll(async () => {
    requireTool("oathtool");
    conf = await loadTraefikConf();
    server = await startServer({
      GATEHOUSE_FORWARD_AUTH: "true",
      GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1",
      GATEHOUSE_PUBLIC_PATHS: "/static/*",
      GATEHOUSE_COOKIE_DOMAIN: COOKIE_DOMAIN,
      // The test signs up at /.gatehouse/register; a gateway's default is invite.
      GATEHOUSE_REGISTRATION: "open",
    });
    // The middleware's address, pointed at this process: same path and query, our host.
    const auth = Object.values(conf.http.middlewares).find((middleware) => middleware.forwardAuth)?.forwardAuth;
    const address = new URL(auth?.address ?? "");
    verifyURL = `${server.url}${address.pathname}${address.search}`;

    // Sign up and enroll over HTTP, as a browser would through Traefik's /.gatehouse router.
    signedIn = new FetchClient(server.url);
    await signedIn.send(`${PREFIX}/register`);
    const registered = await signedIn.send(`${PREFIX}/register`, { username, password });
    expect(registered.status, registered.body).toBe(303);
    const setup = await signedIn.send(`${PREFIX}/2fa/setup`);
    const key = /id="secret-key"[^>]*>([^<]+)</.exec(setup.body)?.[1]?.replace(/\s+/g, "") ?? "";
    expect(key, "the key in #secret-key").toMatch(/^[A-Z2-7]{32}$/);
    const confirmed = await signedIn.send(`${PREFIX}/2fa/setup`, { otp: await computeTOTPWithOathtool(key, currentTimeStep()) });
    expect(confirmed.status, confirmed.body).toBe(303);
    fullSessionCookies = confirmed.headers.getSetCookie();
  }, 60_000);
  let fullSessionCookies: string[] = [];

  afterAll(async () => {
    await server?.stop();
  });

  const cookieHeader = (): string => [...signedIn.cookies].map(([name, value]) => `${name}=${value}`).join("; ");

  it("a full sign-in's cookie answers 200 with X-Gatehouse-User: USERNAME", async () => {
    const res = await askAsTraefik({ method: "GET", uri: "/private?x=1", cookie: cookieHeader() });
    expect(res.status, res.body).toBe(200);
    expect(res.headers["x-gatehouse-user"]).toBe(username);
  });

  it("a client's own X-Gatehouse-User, copied along by Traefik, changes nothing", async () => {
    const signedInRes = await askAsTraefik({ method: "POST", uri: "/private", cookie: cookieHeader() }, { "x-gatehouse-user": "admin" });
    expect(signedInRes.status).toBe(200);
    expect(signedInRes.headers["x-gatehouse-user"]).toBe(username);
    const anonymous = await askAsTraefik({ method: "GET", uri: "/private" }, { "x-gatehouse-user": "admin" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["x-gatehouse-user"]).toBeUndefined();
  });

  it("no cookie answers 401 with a link to the sign-in page that leads back to the URI asked for", async () => {
    const res = await askAsTraefik({ method: "GET", uri: "/private?x=1" });
    expect(res.status).toBe(401);
    expect(res.headers["x-gatehouse-user"]).toBeUndefined();
    // Traefik hands this response to the browser as it is: the link must point at the app's
    // host (X-Forwarded-Host), never at gatehouse's internal address.
    const candidates = [
      ...(typeof res.headers.location === "string" ? [res.headers.location] : []),
      ...[...res.body.matchAll(/href="([^"]+)"/g)].map((match) => (match[1] ?? "").replaceAll("&amp;", "&")),
    ].map((link) => new URL(link, `https://${APP_HOST}`));
    const login = candidates.find((url) => url.pathname === `${PREFIX}/login` && url.searchParams.get("next") === "/private?x=1");
    expect(login, `a link to ${PREFIX}/login?next=/private?x=1 in ${JSON.stringify(candidates.map(String))}`).toBeDefined();
    expect(login?.host).toBe(APP_HOST);
  });

  it("with GATEHOUSE_COOKIE_DOMAIN the session cookie names that Domain, and opens every app under it", async () => {
    const session = fullSessionCookies.find((line) => line.startsWith("gatehouse_session="));
    expect(session, JSON.stringify(fullSessionCookies)).toBeDefined();
    expect(cookieAttributes(session ?? "").domain).toBe(COOKIE_DOMAIN);
    for (const host of ["app2.example.com", "wiki.example.com"]) {
      const res = await getFrom("127.0.0.1", verifyURL, {
        ...forwardRequestHeaders({ method: "GET", uri: "/", cookie: cookieHeader() }),
        "x-forwarded-host": host,
      });
      expect(res.status, `verify for ${host}`).toBe(200);
      expect(res.headers["x-gatehouse-user"]).toBe(username);
    }
  });

  it("a session cookie that is not gatehouse's answers 401", async () => {
    const forged = cookieHeader().replace(/=([^;]*)/g, (_, value: string) => `=${value.split("").reverse().join("")}`);
    const res = await askAsTraefik({ method: "GET", uri: "/private", cookie: forged });
    expect(res.status).toBe(401);
  });

  it("a public path (GATEHOUSE_PUBLIC_PATHS) answers 200 without a session, naming nobody", async () => {
    const anonymous = await askAsTraefik({ method: "GET", uri: "/static/app.css" });
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers["x-gatehouse-user"]).toBeUndefined();
  });

  it("the same request from an address outside GATEHOUSE_TRUSTED_PROXIES is judged on its own URI", async () => {
    const res = await getFrom("127.0.0.3", verifyURL, forwardRequestHeaders({ method: "GET", uri: "/static/app.css" }));
    expect(res.status).toBe(401);
  });
});

describe("GATEHOUSE_COOKIE_DOMAIN over https", () => {
  it("names the cookies __Secure- (a __Host- cookie cannot carry a Domain), Secure, with the Domain", async () => {
    const server = await startServer({
      GATEHOUSE_FORWARD_AUTH: "true",
      GATEHOUSE_PUBLIC_URL: `https://login.${COOKIE_DOMAIN}`,
      GATEHOUSE_COOKIE_DOMAIN: COOKIE_DOMAIN,
    });
    try {
      // The sign-in page already hands out the (anonymous) session cookie its form is tied to.
      const res = await fetch(`${server.url}${PREFIX}/login`, { redirect: "manual" });
      const lines = res.headers.getSetCookie();
      const session = lines.find((line) => line.startsWith("__Secure-gatehouse_session="));
      expect(session, JSON.stringify(lines)).toBeDefined();
      const attributes = (session ?? "").split(";").map((part) => part.trim().toLowerCase());
      expect(attributes).toContain("secure");
      expect(attributes).toContain("httponly");
      expect(attributes.filter((part) => part.startsWith("domain="))).toHaveLength(1);
      expect(attributes.find((part) => part.startsWith("domain="))?.replace(/^domain=\.?/, "")).toBe(COOKIE_DOMAIN);
      expect(lines.some((line) => line.startsWith("__Host-")), "no __Host- cookie with a Domain").toBe(false);
    } finally {
      await server.stop();
    }
  });
});
