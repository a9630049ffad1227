// The built-in reverse proxy end to end (docs/gateway.md, "One command"): a real gatehouse
// process with GATEHOUSE_UPSTREAM pointing at a Flask app (test/fixtures/flask_app.py under
// Debian's python3-flask), driven by Debian's Chromium; zbarimg reads the QR code and oathtool
// computes the codes (gateway-journey.ts). Then what the app receives and what it never does:
// a client's own X-Gatehouse-User, gatehouse's cookies, a request without a full sign-in.
import { randomBytes } from "node:crypto";
import { describe, expect } from "vitest";
import { startServer, type ServerProcess } from "../support/server-process.js";
import { DEBIAN_PYTHON, startFlaskApp, type FlaskApp } from "./flask.js";
import { defineGatewayJourney, getFrom, PREFIX, PROTECTED_PATH, signOutThroughLogoutPage } from "./gateway-journey.js";

const UPSTREAM_TIMEOUT_SECONDS = 2;

describe("the built-in proxy in front of a Flask app, signed in through Chromium", () => {
  let flask: FlaskApp | undefined;
  let server: ServerProcess | undefined;

  const journey = defineGatewayJourney("gw", {
    tools: [DEBIAN_PYTHON],
    async start() {
      flask = await startFlaskApp();
      server = await startServer({
        GATEHOUSE_UPSTREAM: flask.url,
        // The journey signs up through the login page's link; a gateway's default is invite.
        GATEHOUSE_REGISTRATION: "open",
        GATEHOUSE_PUBLIC_PATHS: "/static/*,/healthz",
        GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: String(UPSTREAM_TIMEOUT_SECONDS),
      });
      return server.url;
    },
    async diagnostics() {
      return (
        `--- gatehouse output (tail) ---\n${server?.output().slice(-3_000).trim() || "(empty)"}\n` +
        `--- Flask output (tail) ---\n${flask?.output().slice(-2_000).trim() || "(empty)"}`
      );
    },
    async stop() {
      await server?.stop();
      await flask?.stop();
    },
  });
  const { step, state, username, fetchFront } = journey;

  /** Whether the app logged a request for `marker` (werkzeug logs each request line on stderr). */
  function flaskSaw(marker: string): boolean {
    return (flask?.output() ?? "").includes(marker);
  }

  step("the app received the original Host, X-Forwarded-For/Proto/Host, and none of gatehouse's cookies", async () => {
    await state.context?.addCookies([{ name: "app_pref", value: "dark", url: state.origin }]);
    const seen = await journey.askUpstream("/whoami.json?probe=headers");
    const front = new URL(state.origin);
    expect(seen.user).toBe(username);
    expect(seen.query).toBe("probe=headers");
    expect(seen.host, "Host is the one the browser used").toBe(front.host);
    expect(seen.forwardedFor).toBe("127.0.0.1");
    expect(seen.forwardedProto).toBe("http");
    expect(seen.forwardedHost).toBe(front.host);
    expect(seen.cookieNames, `the app's own cookie passes, gatehouse's do not: ${seen.cookieHeader}`).toEqual(["app_pref"]);
  });

  step("a POST with a form body reaches the app unchanged", async () => {
    const res = await state.page.request.post(`${state.origin}/whoami.json`, { form: { note: "hello world", n: "1" } });
    expect(res.status()).toBe(200);
    const seen = (await res.json()) as { method: string; body: string; user: string };
    expect(seen).toMatchObject({ method: "POST", body: "note=hello+world&n=1", user: username });
  });

  step("the app's Set-Cookie passes, except for a cookie named like gatehouse's own", async () => {
    const res = await state.page.request.get(`${state.origin}/set-cookies`);
    expect(res.status()).toBe(200);
    const names = res
      .headersArray()
      .filter(({ name }) => name.toLowerCase() === "set-cookie")
      .map(({ value }) => value.split("=")[0]);
    expect(names).toEqual(["app_theme"]);
    // The browser's session is still gatehouse's: the app page opens as before.
    await journey.go(PROTECTED_PATH);
    await journey.expectAppPage();
  });

  journey.defineForgedUserReplaced();

  step("without a session, a forged X-Gatehouse-User never reaches the app (303 to sign in, or 401)", async () => {
    const marker = `forged-${randomBytes(4).toString("hex")}`;
    const navigation = await fetchFront(`/private?x=${marker}`, {
      "X-Gatehouse-User": username,
      accept: "text/html",
      "sec-fetch-mode": "navigate",
      "sec-fetch-dest": "document",
    });
    expect(navigation.status, "a browser navigation is sent to sign in").toBe(303);
    const location = new URL(navigation.headers.get("location") ?? "", state.origin);
    expect(location.pathname).toBe(`${PREFIX}/login`);
    expect(location.searchParams.get("next")).toBe(`/private?x=${marker}`);

    const api = await fetchFront(`/whoami.json?probe=${marker}`, {
      "X-Gatehouse-User": username,
      accept: "application/json",
      "sec-fetch-mode": "cors",
    });
    expect(api.status, "anything else gets 401").toBe(401);
    expect(await api.text(), "the 401 page links to the sign-in page").toContain(`${PREFIX}/login?next=`);
    expect(flaskSaw("/whoami.json?probe=headers"), "control: the app logs the requests it gets").toBe(true);
    expect(flaskSaw(marker), "the app logged no request carrying the marker").toBe(false);
  });

  step("a public path (GATEHOUSE_PUBLIC_PATHS) is served without a session, and a forged user header is dropped", async () => {
    await journey.expectPublicPathWithoutUser();

    const exact = await fetchFront("/healthz", { accept: "application/json" });
    expect(exact.status, "the exact rule /healthz").toBe(200);
    expect(await exact.json()).toEqual({ status: "ok" });
    for (const notPublic of ["/healthz/more", "/healthzz", "/Static/app.css"]) {
      const denied = await fetchFront(notPublic, { accept: "application/json", "sec-fetch-mode": "cors" });
      expect(denied.status, `${notPublic} is not a public path`).toBe(401);
    }
  });

  step("a path that is not in normal form is refused (400) before it can pass as a public path", async () => {
    for (const sneaky of [
      "/static/../private?x=1",
      "/static/%2e%2e/private?x=1",
      "/static/%252e%252e/private?x=1",
      "/static/..%2fprivate?x=1",
      "/static//../private",
    ]) {
      const res = await getFrom("127.0.0.1", state.origin + sneaky, { "X-Gatehouse-User": "admin" });
      expect(res.status, `GET ${sneaky} without a session`).toBe(400);
      expect(res.headers["x-fixture-received-user"], `GET ${sneaky} reached the app`).toBeUndefined();
    }
  });

  step(`an upstream slower than GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS=${UPSTREAM_TIMEOUT_SECONDS} answers 504`, async () => {
    const started = Date.now();
    const res = await state.page.request.get(`${state.origin}/slow?seconds=10`, { timeout: 15_000 });
    expect(res.status()).toBe(504);
    expect(Date.now() - started, "answered near the timeout, not after the app").toBeLessThan(8_000);
  });

  step(`signing out at ${PREFIX}/logout ends the session: ${PROTECTED_PATH} sends the browser to sign in again`, async () => {
    await signOutThroughLogoutPage(journey);
    await journey.go(PROTECTED_PATH);
    journey.expectSentToLogin();
  });

  journey.defineSecondSignIn();

  step("with the app down, a signed-in request answers 502", async () => {
    await flask?.stop();
    const res = await state.page.request.get(`${state.origin}${PROTECTED_PATH}`);
    expect(res.status()).toBe(502);
  });
});
