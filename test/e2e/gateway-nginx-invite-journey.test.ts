// A gateway's way in for a new user, in Debian's Chromium through the nginx auth_request sample
// (deploy/nginx/auth-request.conf) in front of the Flask fixture. gatehouse runs with its gateway
// default, invite-only registration, and an access rules file: the login page offers no sign-up,
// the operator's `gatehouse user invite NAME` (the real binary) prints a one-time URL, the browser
// registers with it and enrolls (QR code read by zbarimg, code by oathtool), the URL is then dead,
// and /admin/* opens only once `gatehouse user groups NAME admins` puts the user in the group.
// Contract: "Who may register" and "Access rules (gateway)" in docs/http-interface.md.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { gatehouse } from "../cli/support.js";
import { startServer, type ServerProcess } from "../support/server-process.js";
import { DEBIAN_PYTHON, startFlaskApp, type FlaskApp } from "./flask.js";
import { LOGIN_FORM_SUBMIT, OTP_FORM_SUBMIT, PREFIX, PROTECTED_PATH } from "./gateway-journey.js";
import { navigate, type Navigation } from "./navigation.js";
import { NGINX_PATH, startNginxAuthRequest, type NginxProcess } from "./nginx.js";
import { browserView, createSteps, readRecoveryCodes, scanEnrollmentQR } from "./steps.js";
import { CHROMIUM_PATH, computeTOTPWithOathtool, currentTimeStep, launchChromium, requireTool } from "./tools.js";

const RULES = {
  default: "signed-in",
  rules: [
    { paths: ["/static/*"], public: true },
    { paths: ["/admin/*"], groups: ["admins"] },
  ],
};
const ADMIN_PATH = "/admin/x";
const CLOSED_TEXT = "Registration is closed";

describe("a new user through nginx's auth_request: invitation, enrollment, then a group's page", () => {
  const username = `invitee_${randomBytes(5).toString("hex")}`;
  const password = `gatehouse ${randomBytes(9).toString("base64url")} invite ${randomBytes(9).toString("base64url")}`;
  let workDir = "";
  let app: FlaskApp | undefined;
  let server: ServerProcess | undefined;
  let nginx: NginxProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let last: Navigation | undefined;
  /** The server's settings: the operator's `gatehouse` runs with the same ones. */
  let settings: Record<string, string> = {};
  let invitation = "";
  let secret = "";

  const steps = createSteps(async () => {
    const view = await browserView(browser, page, last, workDir);
    const logs = [`--- gatehouse ---\n${server?.output().slice(-3_000) ?? ""}`, (await nginx?.diagnostics()) ?? "", `--- flask ---\n${app?.output().slice(-1_500) ?? ""}`];
    return `\n\n--- what the browser saw ---\n${view}\n${logs.join("\n")}`;
  });
  const step = steps.step;

  async function go(path: string, on: Page = page): Promise<Navigation> {
    last = await navigate(on, () => on.goto(nginx!.url + path));
    return last;
  }

  async function click(selector: string): Promise<Navigation> {
    last = await navigate(page, () => page.locator(selector).click());
    return last;
  }

  function expectLanding(path: string, status = 200): void {
    expect(last?.path, last?.chain).toBe(path);
    expect(last?.status, last?.chain).toBe(status);
  }

  async function expectText(text: string, on: Page = page): Promise<void> {
    expect(await on.locator("body").innerText()).toContain(text);
  }

  /** The Flask page at `path`, as the app rendered it for this user with these groups ("-": none). */
  async function expectAppPage(path: string, groups: string): Promise<void> {
    expectLanding(path);
    expect(await page.locator("#path").innerText()).toBe(path);
    expect(await page.locator("#user").innerText()).toBe(username);
    expect(await page.locator("#groups").innerText()).toBe(groups);
  }

  async function operator(...args: string[]): Promise<string> {
    const result = await gatehouse(args, settings);
    expect(result.code, `gatehouse ${args.join(" ")}: ${result.stderr}`).toBe(0);
    return result.stdout;
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "gatehouse-nginx-invite-e2e-"));
  });

  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await server?.stop();
    await app?.stop();
    if (!steps.anyFailed()) await rm(workDir, { recursive: true, force: true });
    else console.error(`e2e artifacts kept in ${workDir}`);
  }, 30_000);

  // Missing tools fail the run with an install hint; they are never a reason to skip.
  const tools = [CHROMIUM_PATH, "oathtool", "zbarimg", NGINX_PATH, DEBIAN_PYTHON];
  step(`${tools.join(", ")} are installed`, async () => {
    for (const tool of tools) requireTool(tool);
  });

  step("gatehouse (forward auth, no GATEHOUSE_REGISTRATION, access rules), Flask and nginx start", async () => {
    const rulesFile = join(workDir, "access-rules.json");
    await writeFile(rulesFile, JSON.stringify(RULES));
    app = await startFlaskApp();
    const env = { GATEHOUSE_FORWARD_AUTH: "true", GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1", GATEHOUSE_ACCESS_RULES: rulesFile };
    server = await startServer(env);
    settings = { ...env, GATEHOUSE_DATA_DIR: server.dataDir };
    await mkdir(join(workDir, "nginx"));
    nginx = await startNginxAuthRequest(server.url, app.url, join(workDir, "nginx"));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1000, height: 900 }, colorScheme: "light" })).newPage();
    page.setDefaultTimeout(15_000);
  });

  step("a visitor is sent to sign in, offered no sign-up but told to ask for an invitation; /register is a 404", async () => {
    await go(PROTECTED_PATH);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expectLanding(`${PREFIX}/login`);
    expect(await page.locator('a[href*="/register"]').count(), "a link to register").toBe(0);
    await expectText("Ask your administrator for an invitation");

    await go(`${PREFIX}/register`);
    expectLanding(`${PREFIX}/register`, 404);
    await expectText(CLOSED_TEXT);
    expect(await page.locator("input[name=password]").count(), "a registration form").toBe(0);
  });

  step("`gatehouse user invite NAME` prints the invitation URL alone on stdout", async () => {
    const stdout = await operator("user", "invite", username);
    expect(stdout).toMatch(new RegExp(`^${PREFIX.replace(".", "\\.")}/register\\?invite=[A-Za-z0-9_-]{22,}\\n$`));
    invitation = stdout.trim();
  });

  step("the invitation opens the form with the username fixed; registering leads to the authenticator setup", async () => {
    await go(invitation);
    expectLanding(`${PREFIX}/register`);
    const name = page.locator("input[name=username]");
    expect(await name.inputValue()).toBe(username);
    expect(await name.isEditable(), "the invited username can be changed").toBe(false);
    await page.locator("input[name=password]").fill(password);
    await click(LOGIN_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expectLanding(`${PREFIX}/2fa/setup`);
  });

  step("zbarimg reads the QR code off a screenshot, an oathtool code confirms it, the recovery codes show", async () => {
    secret = await scanEnrollmentQR(page, workDir, username);
    await page.locator("input[name=otp]").fill(await computeTOTPWithOathtool(secret, currentTimeStep()));
    await click(OTP_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expectLanding(`${PREFIX}/2fa/recovery-codes`);
    await readRecoveryCodes(page);
  });

  step("continuing lands on the app, which shows the user (no groups); the protected page opens too", async () => {
    await click("a.continue");
    await expectAppPage("/", "-");
    await go(PROTECTED_PATH);
    await expectAppPage("/private", "-");
  });

  step("the used invitation, opened again in another browser, answers 404", async () => {
    const other = await browser!.newContext();
    try {
      const stranger = await other.newPage();
      await go(invitation, stranger);
      expectLanding(`${PREFIX}/register`, 404);
      await expectText(CLOSED_TEXT, stranger);
      expect(await stranger.locator("input[name=password]").count(), "a registration form").toBe(0);
    } finally {
      await other.close();
    }
  });

  step(`outside the admins group, ${ADMIN_PATH} is a 403 with gatehouse's page; the app sees nothing`, async () => {
    await go(ADMIN_PATH);
    expectLanding(ADMIN_PATH, 403);
    await expectText("may not open this page");
    expect(await page.locator("#user").count(), "the app's page").toBe(0);
    expect(app!.output()).not.toContain(`GET ${ADMIN_PATH}`);
  });

  step(`after \`gatehouse user groups NAME admins\`, ${ADMIN_PATH} reaches the app with X-Gatehouse-Groups: admins`, async () => {
    await operator("user", "groups", username, "admins");
    await go(ADMIN_PATH);
    await expectAppPage(ADMIN_PATH, "admins");
    expect(app!.output(), "the fixture logs the requests it serves").toContain(`GET ${ADMIN_PATH}`);
  });
});
