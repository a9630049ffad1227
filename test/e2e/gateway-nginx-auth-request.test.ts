// Forward-auth behind Debian's nginx, run from the sample users copy
// (deploy/nginx/auth-request.conf, placeholders filled in by nginx.ts): nginx asks gatehouse
// (GATEHOUSE_FORWARD_AUTH=true, GATEHOUSE_TRUSTED_PROXIES=127.0.0.1) with auth_request before
// each request to the Flask app, and the browser signs up through nginx as in the tutorial
// (gateway-journey.ts). Then the attacks this setup must stop: a client's own X-Gatehouse-User,
// X-Forwarded-Uri / X-Original-URI sent to gatehouse by a peer it does not trust, and a second
// original-URI header of the client's naming a public path (review F4), here and behind the
// minimal auth_request config of nginx's own examples, which sets X-Original-URI only.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBrowserNavigation } from "../../src/web/gateway/access.js";
import { rawRequest } from "../support/gateway.js";
import { startServer, type ServerProcess } from "../support/server-process.js";
import { startUpstream, type Upstream } from "../support/upstream.js";
import { DEBIAN_PYTHON, startFlaskApp, type FlaskApp } from "./flask.js";
import { defineGatewayJourney, getFrom, PREFIX, PROTECTED_PATH, signOutThroughLogoutPage } from "./gateway-journey.js";
import { NGINX_PATH, renderNginxTemplate, startNginx, startNginxAuthRequest, type NginxProcess } from "./nginx.js";

/** Loopback, but not the trusted 127.0.0.1: Linux routes all of 127.0.0.0/8 to `lo`. */
const UNTRUSTED_PEER = "127.0.0.2";

describe("gatehouse as nginx's auth_request in front of a Flask app, signed in through Chromium", () => {
  let flask: FlaskApp | undefined;
  let server: ServerProcess | undefined;
  let nginx: NginxProcess | undefined;

  const journey = defineGatewayJourney("fa", {
    tools: [NGINX_PATH, DEBIAN_PYTHON],
    async start(workDir) {
      flask = await startFlaskApp();
      server = await startServer({
        GATEHOUSE_FORWARD_AUTH: "true",
        GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1",
        GATEHOUSE_PUBLIC_PATHS: "/static/*",
        // The journey signs up through the login page's link; a gateway's default is invite.
        GATEHOUSE_REGISTRATION: "open",
      });
      const nginxDir = join(workDir, "nginx");
      await mkdir(nginxDir);
      nginx = await startNginxAuthRequest(server.url, flask.url, nginxDir);
      return nginx.url;
    },
    async diagnostics() {
      return [
        `--- gatehouse output (tail) ---\n${server?.output().slice(-3_000).trim() || "(empty)"}`,
        `--- Flask output (tail) ---\n${flask?.output().slice(-2_000).trim() || "(empty)"}`,
        nginx
          ? `${await nginx.diagnostics()}\n--- nginx access log (tail) ---\n${(await nginx.accessLog()).slice(-2_000).trim() || "(empty)"}`
          : "(nginx not started)",
      ].join("\n");
    },
    async stop() {
      await nginx?.stop();
      await server?.stop();
      await flask?.stop();
    },
  });
  const { step, state, username, fetchFront } = journey;

  step("the app received the Host the browser used and nginx's X-Forwarded-For", async () => {
    const seen = await journey.askUpstream("/whoami.json?probe=headers");
    expect(seen.user).toBe(username);
    expect(seen.host).toBe(new URL(state.origin).host);
    expect(seen.forwardedFor).toBe("127.0.0.1");
    expect(seen.forwardedProto).toBe("http");
  });

  journey.defineForgedUserReplaced();

  step("a client's Remote-User, X-Rewrite-URL, True-Client-IP and the like never reach the app (review F8)", async () => {
    const injected = {
      "Remote-User": "admin",
      "X-Forwarded-User": "admin",
      "X-Auth-Request-User": "admin",
      "X-Rewrite-URL": "/admin",
      "X-Forwarded-Prefix": "/admin",
      "True-Client-IP": "203.0.113.66",
      "X-Real-IP": "203.0.113.66",
      Forwarded: "for=203.0.113.66",
    };
    const seen = await journey.askUpstream("/whoami.json?probe=injected", { ...injected, "X-App-Probe": "1" });
    expect(seen.user).toBe(username);
    expect(seen.headerNames, "control: the client's other headers pass").toContain("x-app-probe");
    for (const name of Object.keys(injected)) expect(seen.headerNames, name).not.toContain(name.toLowerCase());
  });

  step("without a session, a forged X-Gatehouse-User is sent to sign in and never reaches the app", async () => {
    const marker = `forged-${randomBytes(4).toString("hex")}`;
    // Not fetch: it sends its own Sec-Fetch-Mode (cors).
    const res = await rawRequest(state.origin, `/private?x=${marker}`, { "X-Gatehouse-User": username, "Sec-Fetch-Mode": "navigate" });
    expect(res.status, "a browser navigation is sent to sign in").toBe(303);
    const location = new URL(res.headers.location ?? "", state.origin);
    expect(location.pathname).toBe(`${PREFIX}/login`);
    expect(location.searchParams.get("next")).toBe(`/private?x=${marker}`);
    const api = await fetchFront(`/private?x=${marker}`, { "X-Gatehouse-User": username, Accept: "application/json" });
    expect(api.status, "an API call gets 401").toBe(401);
    expect(flask?.output() ?? "", "control: the app logs the requests it gets").toContain("/whoami.json?probe=headers");
    expect(flask?.output() ?? "", "the app logged no request carrying the marker").not.toContain(marker);
  });

  step("nginx redirects to gatehouse's X-Gatehouse-Login: next keeps every query parameter, percent-encoded", async () => {
    const res = await fetchFront("/private?x=1&y=%C3%A9&z", { Accept: "text/html" });
    expect(res.status).toBe(303);
    const location = res.headers.get("location") ?? "";
    expect(location).toBe(`${PREFIX}/login?next=${encodeURIComponent("/private?x=1&y=%C3%A9&z")}`);
    expect(res.headers.get("x-gatehouse-login"), "the header stays between nginx and gatehouse").toBeNull();
  });

  step("without a session, nginx answers 303 to browser navigations and 401 to anything else, by gatehouse's own rule", async () => {
    const cases: { method: string; headers: Record<string, string> }[] = [
      { method: "GET", headers: { "Sec-Fetch-Mode": "navigate", Accept: "*/*" } },
      { method: "POST", headers: { "Sec-Fetch-Mode": "navigate" } },
      { method: "GET", headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" } },
      { method: "HEAD", headers: { Accept: "TEXT/HTML" } },
      { method: "GET", headers: { "Sec-Fetch-Mode": "cors", Accept: "text/html" } },
      { method: "GET", headers: {} },
      { method: "GET", headers: { Accept: "application/json" } },
      { method: "GET", headers: { Accept: "text/htmlx" } },
      { method: "GET", headers: { "Sec-Fetch-Mode": "NAVIGATE", Accept: "*/*" } },
      { method: "GET", headers: { "Sec-Fetch-Mode": "cors", Accept: "*/*" } },
      { method: "POST", headers: { Accept: "text/html" } },
      { method: "DELETE", headers: { Accept: "text/html" } },
    ];
    for (const { method, headers } of cases) {
      const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
      const navigation = isBrowserNavigation({ method, headers: lowerCased } as unknown as FastifyRequest);
      const res = await rawRequest(state.origin, "/private?x=1&y=2", headers, method);
      const label = `${method} ${JSON.stringify(headers)}`;
      expect(res.status, label).toBe(navigation ? 303 : 401);
      if (navigation) expect(res.headers.location, label).toBe(`${PREFIX}/login?next=${encodeURIComponent("/private?x=1&y=2")}`);
      else expect(res.headers.location, label).toBeUndefined();
      expect(res.headers["x-fixture-received-user"], `${label} reached the app`).toBeUndefined();
    }
  });

  step("a public path needs no session, and a forged X-Gatehouse-User on it is dropped by nginx", async () => {
    await journey.expectPublicPathWithoutUser();
  });

  step("browsers cannot call the verify endpoint through nginx (internal location)", async () => {
    const res = await fetchFront(`${PREFIX}/auth/verify`, { "X-Forwarded-Uri": "/static/app.css" });
    expect(res.status).toBe(404);
  });

  step("X-Forwarded-Uri and X-Original-URI count from the trusted proxy address only", async () => {
    const verify = `${server?.url}${PREFIX}/auth/verify`;
    for (const header of ["X-Forwarded-Uri", "X-Original-URI"]) {
      // Control: from 127.0.0.1 (GATEHOUSE_TRUSTED_PROXIES) the header names a public path.
      const trusted = await getFrom("127.0.0.1", verify, { [header]: "/static/app.css", "X-Forwarded-Method": "GET" });
      expect(trusted.status, `${header} from the trusted proxy: ${trusted.body}`).toBe(200);
      expect(trusted.headers["x-gatehouse-user"], "a public path names nobody").toBeUndefined();

      const forged = await getFrom(UNTRUSTED_PEER, verify, { [header]: "/static/app.css", "X-Forwarded-Method": "GET" });
      expect(forged.status, `${header} from ${UNTRUSTED_PEER}, not a trusted proxy: ${forged.body}`).toBe(401);
      expect(forged.headers["x-gatehouse-user"]).toBeUndefined();
    }
  });

  step("a client's X-Original-URL naming a public path gets no 200 for a private one (review F4): 401 signed out, 403 signed in", async () => {
    const marker = `smuggled-${randomBytes(4).toString("hex")}`;
    // The sample sets X-Original-URI and X-Forwarded-Uri itself; X-Original-URL is the client's.
    const anonymous = await rawRequest(state.origin, `/private?x=${marker}`, { "X-Original-URL": "/static/app.css", Accept: "application/json" });
    expect(anonymous.status).toBe(401);
    const signedIn = await state.page.request.get(`${state.origin}/whoami.json?x=${marker}`, { headers: { "X-Original-URL": "/static/app.css" }, maxRedirects: 0 });
    expect(signedIn.status(), "the session is fine, the request is not").toBe(403);
    expect(flask?.output() ?? "", "the app logged no request carrying the marker").not.toContain(marker);
    expect((await journey.askUpstream("/whoami.json")).user, "control: the same session without the header").toBe(username);
  });

  step("gatehouse itself (forward auth only) serves no path of the app: 404", async () => {
    const marker = `direct-${randomBytes(4).toString("hex")}`;
    const res = await getFrom("127.0.0.1", `${server?.url}/private?x=${marker}`);
    expect(res.status).toBe(404);
    expect(flask?.output() ?? "").not.toContain(marker);
  });

  step(`signing out at ${PREFIX}/logout ends the session: ${PROTECTED_PATH} sends the browser to sign in again`, async () => {
    await signOutThroughLogoutPage(journey);
    await journey.go(PROTECTED_PATH);
    journey.expectSentToLogin();
    const res = await journey.state.page.request.get(`${state.origin}/whoami.json`, { maxRedirects: 0 });
    expect(res.status(), "the old session's cookie opens nothing (an API call: 401)").toBe(401);
  });

  journey.defineSecondSignIn();
});

/**
 * The auth_request setup of nginx's own examples, as the review reproduced F4 with it: the
 * subrequest carries X-Original-URI and, untouched, every header the client sent.
 */
const MINIMAL_AUTH_REQUEST_CONF = `
server {
    listen {{LISTEN}};
    access_log {{ACCESS_LOG}};
    location = /auth {
        internal;
        proxy_pass http://{{GATEHOUSE}}${PREFIX}/auth/verify;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Original-URI $request_uri;
    }
    location / {
        auth_request /auth;
        proxy_pass http://{{APP}};
    }
}
`;

describe("behind nginx's minimal auth_request config (X-Original-URI only), a client's own original-URI header opens nothing (review F4)", () => {
  let workDir = "";
  let app: Upstream | undefined;
  let server: ServerProcess | undefined;
  let nginx: NginxProcess | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "gatehouse-f4-nginx-"));
    app = await startUpstream();
    server = await startServer({ GATEHOUSE_FORWARD_AUTH: "true", GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1", GATEHOUSE_PUBLIC_PATHS: "/static/*" });
    const values = { GATEHOUSE: new URL(server.url).host, APP: new URL(app.url).host };
    nginx = await startNginx(workDir, "/static/ready", async (listen, accessLog) =>
      renderNginxTemplate(MINIMAL_AUTH_REQUEST_CONF, "the minimal auth_request config", { ...values, LISTEN: listen, ACCESS_LOG: accessLog }),
    );
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await server?.stop();
    await app?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("control: a public path passes without a session, a private one gets 401", async () => {
    expect((await rawRequest(nginx!.url, "/static/app.css")).status).toBe(200);
    expect((await rawRequest(nginx!.url, "/private")).status).toBe(401);
  });

  it.each(["X-Forwarded-Uri", "X-Original-URL", "x-forwarded-uri"])("a private path with the client's %s: /static/app.css gets 401 and never reaches the app", async (header) => {
    const marker = `smuggled-${randomBytes(4).toString("hex")}`;
    const res = await rawRequest(nginx!.url, `/private?x=${marker}`, { [header]: "/static/app.css" });
    expect(res.status).toBe(401);
    expect(app!.seen.map((request) => request.url).join("\n")).not.toContain(marker);
  });
});
