// The gateway tutorial as a row of browser steps, shared by the built-in proxy test and the
// nginx auth_request test: Chromium asks for the protected app's /private?x=1&y=2, is sent to
// /.gatehouse/login?next=..., registers, scans the QR code off a screenshot (zbarimg), types an
// oathtool code, saves the recovery codes and lands on the app's page, which shows the
// X-Gatehouse-User it received. Each test file then adds its own steps to the same row.
// Contract: the Gateway section of docs/http-interface.md and docs/gateway.md.
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import type { UpstreamView } from "./flask.js";
import { navigate, type Navigation } from "./navigation.js";
import { browserView, createSteps, readRecoveryCodes, scanEnrollmentQR } from "./steps.js";
import { CHROMIUM_PATH, computeTOTPWithOathtool, currentTimeStep, launchChromium, requireTool } from "./tools.js";

export const PREFIX = "/.gatehouse";
/** Two query parameters: `next` must carry the whole query (nginx's `$request_uri` alone cannot). */
export const PROTECTED_PATH = "/private?x=1&y=2";

export const LOGIN_FORM_SUBMIT = "form:has(input[name=username]) button[type=submit]";
export const OTP_FORM_SUBMIT = "form:has(input[name=otp]) button[type=submit]";

export interface GatewaySetup {
  /** Programs this test needs besides Chromium, oathtool and zbarimg (absolute paths or names). */
  tools: string[];
  /** Starts every server in `workDir`; returns the origin the browser uses (no trailing slash). */
  start(workDir: string): Promise<string>;
  /** Output and logs of the servers, for failure messages. */
  diagnostics(): Promise<string>;
  stop(): Promise<void>;
}

export function defineGatewayJourney(label: string, setup: GatewaySetup) {
  const username = `${label}_${randomBytes(5).toString("hex")}`;
  const password = `gatehouse ${randomBytes(9).toString("base64url")} ${label} ${randomBytes(9).toString("base64url")}`;
  const state = {
    origin: "",
    workDir: "",
    browser: undefined as Browser | undefined,
    context: undefined as BrowserContext | undefined,
    page: undefined as unknown as Page,
    last: undefined as Navigation | undefined,
    secret: "",
    timeStep: 0,
  };

  const steps = createSteps(async () => {
    const view = await browserView(state.browser, state.page, state.last, state.workDir);
    return `\n\n--- what the browser saw ---\n${view}\n${await setup.diagnostics()}`;
  });
  const step = steps.step;

  async function go(path: string): Promise<Navigation> {
    state.last = await navigate(state.page, () => state.page.goto(state.origin + path));
    return state.last;
  }

  async function click(selector: string): Promise<Navigation> {
    state.last = await navigate(state.page, () => state.page.locator(selector).click());
    return state.last;
  }

  function expectLanding(path: string, status = 200): void {
    expect(state.last?.path, state.last?.chain).toBe(path);
    expect(state.last?.status, state.last?.chain).toBe(status);
  }

  /** The browser was sent to the login page with `next` naming PROTECTED_PATH. */
  function expectSentToLogin(): void {
    expect(state.last?.firstStatus, state.last?.chain).toBe(303);
    expectLanding(`${PREFIX}/login`);
    expect(new URL(state.page.url()).searchParams.get("next"), state.page.url()).toBe(PROTECTED_PATH);
  }

  /** The app's page, as the app rendered it: the user it was told about and the query it got. */
  async function expectAppPage(): Promise<void> {
    expectLanding("/private");
    expect(new URL(state.page.url()).origin, "still on the front address").toBe(state.origin);
    expect(await state.page.locator("#user").innerText()).toBe(username);
    expect(await state.page.locator("#query").innerText()).toBe(new URL(PROTECTED_PATH, state.origin).search.slice(1));
  }

  /** What the app saw of a request the browser's context sent (its cookies, plus `headers`). */
  async function askUpstream(path: string, headers: Record<string, string> = {}): Promise<UpstreamView> {
    const res = await state.page.request.get(state.origin + path, { headers, maxRedirects: 0 });
    expect(res.status(), `GET ${path}: ${await res.text()}`).toBe(200);
    return (await res.json()) as UpstreamView;
  }

  /** A request from outside the browser: no cookies unless given, redirects not followed. */
  function fetchFront(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(state.origin + path, { headers, redirect: "manual" });
  }

  /**
   * A public path (the fixture's /static/app.css) is served without a session, and neither
   * spelling of a forged user header reaches the app.
   */
  async function expectPublicPathWithoutUser(): Promise<void> {
    const res = await fetchFront("/static/app.css", { "X-Gatehouse-User": "admin" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("font-family");
    expect(res.headers.get("x-fixture-received-user"), "the app got no X-Gatehouse-User").toBe("-");
    // WSGI (and CGI) read X_Gatehouse_User as X-Gatehouse-User: HTTP_X_GATEHOUSE_USER either way.
    const underscored = await fetchFront("/static/app.css", { X_Gatehouse_User: "admin" });
    expect(underscored.status).toBe(200);
    expect(underscored.headers.get("x-fixture-received-user"), "X_Gatehouse_User reached the app").toBe("-");
  }

  /** The signed-in browser sends its own X-Gatehouse-User: the app sees only the one gatehouse sets. */
  function defineForgedUserReplaced(): void {
    step("a forged X-Gatehouse-User from the signed-in browser is replaced by the real user", async () => {
      await state.page.setExtraHTTPHeaders({ "X-Gatehouse-User": "admin" });
      try {
        await go(PROTECTED_PATH);
        await expectAppPage();
        const seen = await askUpstream("/whoami.json", { "X-Gatehouse-User": "admin" });
        expect(seen.user, "exactly one value, gatehouse's").toBe(username);
      } finally {
        await state.page.setExtraHTTPHeaders({});
      }
    });
  }

  beforeAll(async () => {
    state.workDir = await mkdtemp(join(tmpdir(), `gatehouse-${label}-e2e-`));
  });

  afterAll(async () => {
    await state.browser?.close();
    await setup.stop();
    if (!steps.anyFailed() && state.workDir !== "") await rm(state.workDir, { recursive: true, force: true });
    else if (state.workDir !== "") console.error(`e2e artifacts kept in ${state.workDir}`);
  }, 30_000);

  // Missing tools fail the run with an install hint; they are never a reason to skip.
  step(`${[CHROMIUM_PATH, "oathtool", "zbarimg", ...setup.tools].join(", ")} are installed`, async () => {
    for (const tool of [CHROMIUM_PATH, "oathtool", "zbarimg", ...setup.tools]) requireTool(tool);
  });

  step("the servers start and Debian's Chromium opens a page", async () => {
    state.origin = await setup.start(state.workDir);
    state.browser = await launchChromium();
    state.context = await state.browser.newContext({ viewport: { width: 1000, height: 900 }, colorScheme: "light" });
    state.page = await state.context.newPage();
    state.page.setDefaultTimeout(15_000);
  });

  step(`an anonymous visit to ${PROTECTED_PATH} is sent to ${PREFIX}/login?next=${PROTECTED_PATH}`, async () => {
    await go(PROTECTED_PATH);
    expectSentToLogin();
  });

  step(`the register link keeps next, and signing up leads to ${PREFIX}/2fa/setup`, async () => {
    const link = state.page.locator(`a[href^="${PREFIX}/register"]`);
    expect(await link.count(), `a link to ${PREFIX}/register on the login page`).toBeGreaterThan(0);
    await click(`a[href^="${PREFIX}/register"] >> nth=0`);
    expectLanding(`${PREFIX}/register`);
    expect(new URL(state.page.url()).searchParams.get("next")).toBe(PROTECTED_PATH);

    await state.page.locator("input[name=username]").fill(username);
    await state.page.locator("input[name=password]").fill(password);
    await click(LOGIN_FORM_SUBMIT);
    expect(state.last?.firstStatus, state.last?.chain).toBe(303);
    expectLanding(`${PREFIX}/2fa/setup`);
  });

  step("zbarimg reads the otpauth:// URI off a screenshot, with the key shown in #secret-key", async () => {
    state.secret = await scanEnrollmentQR(state.page, state.workDir, username);
    const keyText = await state.page.locator("#secret-key").innerText();
    expect(keyText.replace(/\s+/g, "").toUpperCase()).toBe(state.secret);
  });

  step("an oathtool code confirms enrollment and shows at least 8 recovery codes", async () => {
    state.timeStep = currentTimeStep();
    await state.page.locator("input[name=otp]").fill(await computeTOTPWithOathtool(state.secret, state.timeStep));
    await click(OTP_FORM_SUBMIT);
    expect(state.last?.firstStatus, state.last?.chain).toBe(303);
    expectLanding(`${PREFIX}/2fa/recovery-codes`);
    await readRecoveryCodes(state.page);
  });

  step(`continuing lands on the app's ${PROTECTED_PATH}, which received X-Gatehouse-User and the whole query`, async () => {
    await click("a.continue");
    await expectAppPage();
  });

  /**
   * Steps for a signed-out browser: the password alone opens nothing of the app, and a fresh
   * code (a later time step than the enrollment's, which is used up) leads back to it.
   */
  function defineSecondSignIn(): void {
    step("signing in again with the password stops at the code, and the app stays out of reach", async () => {
      await go(PROTECTED_PATH);
      expectSentToLogin();
      await state.page.locator("input[name=username]").fill(username);
      await state.page.locator("input[name=password]").fill(password);
      await click(LOGIN_FORM_SUBMIT);
      expect(state.last?.firstStatus, state.last?.chain).toBe(303);
      expectLanding(`${PREFIX}/2fa`);

      const res = await state.page.request.get(`${state.origin}/whoami.json`, { maxRedirects: 0 });
      expect([303, 401], `a password-only session asked the app: ${res.status()}`).toContain(res.status());
      expect(res.headers()["x-fixture-received-user"], "the request reached the app").toBeUndefined();
    });

    step(`a fresh oathtool code completes the sign-in and lands on ${PROTECTED_PATH} again`, async () => {
      const timeStep = Math.max(state.timeStep + 1, currentTimeStep());
      await state.page.locator("input[name=otp]").fill(await computeTOTPWithOathtool(state.secret, timeStep));
      await click(OTP_FORM_SUBMIT);
      expect(state.last?.firstStatus, state.last?.chain).toBe(303);
      await expectAppPage();
    });
  }

  return {
    step,
    state,
    defineSecondSignIn,
    username,
    password,
    go,
    click,
    expectLanding,
    expectSentToLogin,
    expectAppPage,
    askUpstream,
    fetchFront,
    defineForgedUserReplaced,
    expectPublicPathWithoutUser,
  };
}

/**
 * Signs the browser out the way the app's link does: GET /.gatehouse/logout shows a form,
 * submitting it ends the session and lands on the login page.
 */
export async function signOutThroughLogoutPage(journey: ReturnType<typeof defineGatewayJourney>): Promise<void> {
  await journey.go(`${PREFIX}/logout`);
  journey.expectLanding(`${PREFIX}/logout`);
  await journey.click(`form[action="${PREFIX}/logout"] button[type=submit]`);
  expect(journey.state.last?.firstStatus, journey.state.last?.chain).toBe(303);
  journey.expectLanding(`${PREFIX}/login`);
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A GET of `url` exactly as written (fetch would resolve `..` and `%2e%2e` first), sent from the
 * local address `from`: the peer address gatehouse sees (all of 127.0.0.0/8 is loopback).
 */
export async function getFrom(from: string, url: string, headers: Record<string, string> = {}): Promise<PlainResponse> {
  const { hostname, port } = new URL(url);
  const target = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: target, method: "GET", headers, localAddress: from, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} from ${from} timed out`)));
    req.on("error", reject);
    req.end();
  });
}
