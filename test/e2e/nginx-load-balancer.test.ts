// Two gatehouse instances on one PostgreSQL behind nginx (round robin, the sample
// deploy/nginx/load-balancer.conf), driven end to end by Debian's Chromium as in
// browser-sign-in.test.ts: zbarimg reads the QR code, oathtool computes the codes. Consecutive
// requests land on alternating instances, so sessions, the enrollment, the replay guard and
// the recovery codes must all live in the shared database (docs/deploy.md).
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { startServer, type ServerProcess } from "../support/server-process.js";
import { navigate, type Navigation } from "./navigation.js";
import { browserView, createSteps, readRecoveryCodes, scanEnrollmentQR } from "./steps.js";
import { NGINX_PATH, parseUpstreamLog, startNginxLoadBalancer, type NginxProcess } from "./nginx.js";
import {
  CHROMIUM_PATH,
  computeTOTPWithOathtool,
  currentTimeStep,
  launchChromium,
  requireTool,
} from "./tools.js";

const LOGIN_FORM_SUBMIT = "form:has(input[name=username]) button[type=submit]";
const OTP_FORM_SUBMIT = "form:has(input[name=otp]) button[type=submit]";
const LOGOUT_SUBMIT = 'form[action="/logout"] button[type=submit]';

const username = `lb_${randomBytes(5).toString("hex")}`;
const password = `gatehouse ${randomBytes(9).toString("base64url")} lb ${randomBytes(9).toString("base64url")}`;

describe("two instances on one PostgreSQL behind nginx, signed in through Chromium", () => {
  let database: ScratchDatabase | undefined;
  const servers: ServerProcess[] = [];
  let nginx: NginxProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let workDir = "";
  let last: Navigation | undefined;

  const enrolled = { secret: "", code: "", timeStep: 0, recoveryCodes: [] as string[] };

  const steps = createSteps(describeFailure);
  const step = steps.step;

  async function describeFailure(): Promise<string> {
    const view = await browserView(browser, page, last, workDir);
    const serverOutputs = servers
      .map((server, index) => `--- instance ${index + 1} (${server.url}) output (tail) ---\n${server.output().slice(-2_000).trim() || "(empty)"}`)
      .join("\n");
    const balancer = nginx
      ? `${await nginx.diagnostics()}\n--- nginx access log (tail) ---\n${(await nginx.accessLog()).slice(-2_000).trim() || "(empty)"}`
      : "(nginx not started)";
    return `\n\n--- what the browser saw ---\n${view}\n${serverOutputs}\n${balancer}`;
  }

  async function goTo(url: string): Promise<Navigation> {
    last = await navigate(page, () => page.goto(url));
    return last;
  }

  async function go(path: string): Promise<Navigation> {
    return goTo((nginx?.url ?? "") + path);
  }

  async function click(selector: string): Promise<Navigation> {
    last = await navigate(page, () => page.locator(selector).click());
    return last;
  }

  async function bodyText(): Promise<string> {
    return page.locator("body").innerText();
  }

  async function expectSignedInHome(): Promise<void> {
    expect(last?.path, last?.chain).toBe("/");
    expect(last?.status, last?.chain).toBe(200);
    expect(new URL(page.url()).origin, "still behind the balancer").toBe(nginx?.url);
    expect(await bodyText()).toMatch(new RegExp(`Signed in as\\s+${username}\\b`));
  }

  /** Browser requests the balancer passed on (its own /healthz probes left out). */
  async function proxiedRequests(): Promise<ReturnType<typeof parseUpstreamLog>> {
    return parseUpstreamLog((await nginx?.accessLog()) ?? "").filter((line) => !line.request.includes(" /healthz "));
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "gatehouse-lb-e2e-"));
  });

  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
    if (!steps.anyFailed() && workDir !== "") await rm(workDir, { recursive: true, force: true });
    else if (workDir !== "") console.error(`e2e artifacts kept in ${workDir}`);
  }, 30_000);

  // Missing tools fail the run with an install hint; they are never a reason to skip.
  step("nginx, Chromium, oathtool and zbarimg are installed", async () => {
    requireTool(NGINX_PATH);
    requireTool(CHROMIUM_PATH);
    requireTool("oathtool");
    requireTool("zbarimg");
  });

  step("two instances share a fresh PostgreSQL database and one secret key, behind nginx", async () => {
    database = await createScratchDatabase("gatehouse_lb");

    // docs/deploy.md: the same key on every instance, never a key file generated per instance.
    const env = {
      DATABASE_URL: database.url,
      GATEHOUSE_SECRET_KEY: randomBytes(32).toString("base64url"),
      GATEHOUSE_LOG_LEVEL: "warn",
    };
    // Both start at once: the migration advisory lock makes the second wait for the first.
    const started = await Promise.allSettled([startServer(env), startServer(env)]);
    for (const result of started) if (result.status === "fulfilled") servers.push(result.value);
    for (const result of started) if (result.status === "rejected") throw result.reason;

    const nginxDir = join(workDir, "nginx");
    await mkdir(nginxDir);
    const [first, second] = servers;
    nginx = await startNginxLoadBalancer([first?.url ?? "", second?.url ?? ""], nginxDir);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, colorScheme: "light" });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });

  step("an anonymous visit to / is redirected to /login?next=%2F", async () => {
    await go("/");
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/login");
    expect(page.url()).toContain("next=%2F");
    expect(last?.status, last?.chain).toBe(200);
  });

  step("registering a new account leads to the authenticator setup page", async () => {
    await go("/register");
    expect(last?.status, last?.chain).toBe(200);
    await page.locator("input[name=username]").fill(username);
    await page.locator("input[name=password]").fill(password);
    await click(LOGIN_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/2fa/setup");
    expect(last?.status, last?.chain).toBe(200);
  });

  step("zbarimg reads the otpauth:// URI off a screenshot, and its key is on the page as text", async () => {
    const secret = await scanEnrollmentQR(page, workDir, username);
    const text = (await bodyText()).replace(/otpauth:\/\/\S+/g, " ");
    expect(text.replace(/\s+/g, "").toUpperCase()).toContain(secret);
    enrolled.secret = secret;
  });

  step("a code computed by oathtool confirms enrollment and shows at least 8 distinct recovery codes", async () => {
    enrolled.timeStep = currentTimeStep();
    enrolled.code = await computeTOTPWithOathtool(enrolled.secret, enrolled.timeStep);
    await page.locator("input[name=otp]").fill(enrolled.code);
    await click(OTP_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/2fa/recovery-codes");
    expect(last?.status, last?.chain).toBe(200);

    enrolled.recoveryCodes = await readRecoveryCodes(page);
  });

  step("the onward link leads to the home page, fully signed in", async () => {
    await click("a.continue");
    await expectSignedInHome();
  });

  step("the recovery codes are not shown a second time", async () => {
    await go("/2fa/recovery-codes");
    const text = await bodyText();
    for (const code of enrolled.recoveryCodes) expect(text).not.toContain(code);
  });

  step("signing out leads to /login, and the old session no longer opens /", async () => {
    await go("/");
    await click(LOGOUT_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/login");
    await go("/");
    expect(last?.path, last?.chain).toBe("/login");
  });

  step("signing in again with the password leads to the second-factor challenge", async () => {
    await page.locator("input[name=username]").fill(username);
    await page.locator("input[name=password]").fill(password);
    await click(LOGIN_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/2fa");
    expect(last?.status, last?.chain).toBe(200);
  });

  step("the enrollment code is refused by the instance that did not confirm it (401)", async () => {
    // The access log says which instance took POST /2fa/setup; the replay goes straight to
    // the other one (cookies ignore the port, so the pending session comes along).
    const confirmedBy = (await proxiedRequests()).find((line) => line.request.startsWith("POST /2fa/setup "))?.upstream;
    const other = servers.find((server) => new URL(server.url).host !== confirmedBy);
    expect(confirmedBy, "POST /2fa/setup in the access log").toBeDefined();
    expect(other, `an instance other than ${confirmedBy}`).toBeDefined();

    await goTo(`${other?.url}/2fa`);
    expect(last?.path, last?.chain).toBe("/2fa");
    await page.locator("input[name=otp]").fill(enrolled.code);
    await click(OTP_FORM_SUBMIT);
    expect(last?.status, last?.chain).toBe(401);
    expect(last?.path, last?.chain).toBe("/2fa");

    // The refusal created no full session, on either instance.
    await go("/");
    expect(last?.path, last?.chain).toBe("/2fa");
  });

  step("a fresh code for a later time step completes the sign-in through nginx", async () => {
    // The enrollment consumed its time step; the next one is inside the accepted window.
    const timeStep = Math.max(enrolled.timeStep + 1, currentTimeStep());
    const code = await computeTOTPWithOathtool(enrolled.secret, timeStep);
    await page.locator("input[name=otp]").fill(code);
    await click(OTP_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    await expectSignedInHome();
  });

  step("the session opens / on each instance directly, whichever instance created it", async () => {
    for (const server of servers) {
      await goTo(`${server.url}/`);
      expect(last?.status, `${server.url}: ${last?.chain}`).toBe(200);
      expect(await bodyText()).toMatch(new RegExp(`Signed in as\\s+${username}\\b`));
    }
  });

  step("nginx's access log shows both instances serving the browser's requests", async () => {
    const requests = await proxiedRequests();
    const byInstance = new Map(servers.map((server) => [new URL(server.url).host, 0]));
    for (const { upstream } of requests) byInstance.set(upstream, (byInstance.get(upstream) ?? 0) + 1);
    const summary = JSON.stringify(Object.fromEntries(byInstance));
    expect(byInstance.size, `only the two instances answered: ${summary}`).toBe(2);
    for (const [host, count] of byInstance) expect(count, `requests served by ${host}: ${summary}`).toBeGreaterThanOrEqual(3);
    for (const { request, status } of requests) expect(status, request).toBeLessThan(500);
  });
});
