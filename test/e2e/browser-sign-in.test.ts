// End to end, as a user with a phone would do it: Debian's Chromium drives the real server
// (`src/server.ts` in a child process), zbarimg scans the QR code off a screenshot, and
// oathtool computes the codes, so nothing here reuses gatehouse's own TOTP code.
// Contract: docs/http-interface.md (routes, redirects, statuses); replay: R6/R7 in security.md.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { startServer, type ServerProcess } from "../support/server-process.js";
import { navigate, type Navigation } from "./navigation.js";
import { browserView, createSteps } from "./steps.js";
import {
  CHROMIUM_PATH,
  computeTOTPWithOathtool,
  currentTimeStep,
  decodeQRCodes,
  launchChromium,
  requireTool,
} from "./tools.js";


const LOGIN_FORM_SUBMIT = "form:has(input[name=username]) button[type=submit]";
const OTP_FORM_SUBMIT = "form:has(input[name=otp]) button[type=submit]";
const LOGOUT_SUBMIT = 'form[action="/logout"] button[type=submit]';

const username = `e2e_${randomBytes(5).toString("hex")}`;
const password = `gatehouse ${randomBytes(9).toString("base64url")} e2e ${randomBytes(9).toString("base64url")}`;

describe("browser sign-in with an authenticator app (Chromium + zbarimg + oathtool)", () => {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let workDir = "";
  let last: Navigation | undefined;

  const enrolled = { uri: "", secret: "", code: "", timeStep: 0, recoveryCodes: [] as string[] };

  const steps = createSteps(describeFailure);
  const step = steps.step;

  async function describeFailure(): Promise<string> {
    const view = await browserView(browser, page, last, workDir);
    const serverOutput = server?.output().slice(-3_000).trim() || "(empty)";
    return `\n\n--- what the browser saw ---\n${view}\n--- server output (tail) ---\n${serverOutput}`;
  }

  async function go(path: string): Promise<Navigation> {
    const origin = server?.url ?? "";
    last = await navigate(page, () => page.goto(origin + path));
    return last;
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
    expect(await bodyText()).toMatch(new RegExp(`Signed in as\\s+${username}\\b`));
  }

  async function signInWithPassword(): Promise<void> {
    await page.locator("input[name=username]").fill(username);
    await page.locator("input[name=password]").fill(password);
    await click(LOGIN_FORM_SUBMIT);
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "gatehouse-e2e-"));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (!steps.anyFailed() && workDir !== "") await rm(workDir, { recursive: true, force: true });
    else if (workDir !== "") console.error(`e2e artifacts kept in ${workDir}`);
  }, 30_000);

  // Missing tools fail the run with an install hint; they are never a reason to skip.
  step("Chromium, oathtool and zbarimg are installed", async () => {
    requireTool(CHROMIUM_PATH);
    requireTool("oathtool");
    requireTool("zbarimg");
  });

  step("the server starts and Debian's Chromium opens a page", async () => {
    server = await startServer();
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
    const registerLink = page.locator('a[href^="/register"]');
    if ((await registerLink.count()) > 0) await click('a[href^="/register"] >> nth=0');
    else await go("/register");
    expect(last?.path, last?.chain).toBe("/register");
    expect(last?.status, last?.chain).toBe(200);

    await page.locator("input[name=username]").fill(username);
    await page.locator("input[name=password]").fill(password);
    await click(LOGIN_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/2fa/setup");
    expect(last?.status, last?.chain).toBe(200);
  });

  step("the QR code, the key text and the otpauth link carry the same new 160-bit secret", async () => {
    const shot = join(workDir, "setup.png");
    await page.screenshot({ path: shot, fullPage: true });
    const decoded = await decodeQRCodes(shot);
    expect(decoded, `QR codes zbarimg found in ${shot}`).toHaveLength(1);
    const uri = decoded[0] ?? "";
    expect(uri).toMatch(/^otpauth:\/\/totp\//);

    // Key Uri Format: otpauth://totp/ISSUER:USERNAME?secret=...&issuer=ISSUER
    const parsed = new URL(uri);
    const secret = parsed.searchParams.get("secret") ?? "";
    const issuer = parsed.searchParams.get("issuer") ?? "";
    expect(secret, "base32 of 20 random bytes, no padding (R4)").toMatch(/^[A-Z2-7]{32}$/);
    expect(issuer).not.toBe("");
    expect(decodeURIComponent(parsed.pathname.slice(1))).toBe(`${issuer}:${username}`);
    for (const [param, expected] of [["algorithm", "SHA1"], ["digits", "6"], ["period", "30"]] as const) {
      const value = parsed.searchParams.get(param);
      if (value !== null) expect(value, `${param} parameter`).toBe(expected);
    }

    const links = await page.locator('a[href^="otpauth://"]').evaluateAll((anchors) =>
      anchors.map((anchor) => anchor.getAttribute("href")),
    );
    expect(links.length, "an otpauth:// link on the page").toBeGreaterThan(0);
    for (const href of links) expect(href).toBe(uri);

    // The key as text for typing in (shown in groups of four; compare without spaces),
    // not merely as part of a printed otpauth:// URI.
    const text = (await bodyText()).replace(/otpauth:\/\/\S+/g, " ");
    expect(text.replace(/\s+/g, "").toUpperCase()).toContain(secret);

    Object.assign(enrolled, { uri, secret });
  });

  step("a code computed by oathtool confirms enrollment and shows at least 8 distinct recovery codes", async () => {
    enrolled.timeStep = currentTimeStep();
    enrolled.code = await computeTOTPWithOathtool(enrolled.secret, enrolled.timeStep);
    await page.locator("input[name=otp]").fill(enrolled.code);
    await click(OTP_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/2fa/recovery-codes");
    expect(last?.status, last?.chain).toBe(200);

    const codes = (await page.locator(".recovery-code").allInnerTexts()).map((code) => code.trim());
    expect(codes.length).toBeGreaterThanOrEqual(8);
    for (const code of codes) expect(code).not.toBe("");
    expect(new Set(codes).size, `distinct codes in ${JSON.stringify(codes)}`).toBe(codes.length);
    enrolled.recoveryCodes = codes;
  });

  step("the onward link leads to the home page, fully signed in", async () => {
    await click("a.continue");
    await expectSignedInHome();
  });

  step("after enrollment /2fa/setup redirects away and never shows the key again", async () => {
    await go("/2fa/setup");
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).not.toBe("/2fa/setup");
    expect((await bodyText()).replace(/\s+/g, "").toUpperCase()).not.toContain(enrolled.secret);
    expect(await page.content()).not.toContain(enrolled.secret);
    expect(await page.locator('a[href^="otpauth://"]').count()).toBe(0);
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
    await signInWithPassword();
    expect(last?.firstStatus, last?.chain).toBe(303);
    expect(last?.path, last?.chain).toBe("/2fa");
    expect(last?.status, last?.chain).toBe(200);
  });

  step("the code used for enrollment is refused when replayed at sign-in (401, still /2fa)", async () => {
    await page.locator("input[name=otp]").fill(enrolled.code);
    await click(OTP_FORM_SUBMIT);
    expect(last?.status, last?.chain).toBe(401);
    expect(last?.path, last?.chain).toBe("/2fa");
    expect(await page.locator("input[name=otp]").count()).toBe(1);

    // The refusal created no full session: / still sends the browser to the challenge.
    await go("/");
    expect(last?.path, last?.chain).toBe("/2fa");
  });

  step("a fresh code for a later time step completes the sign-in", async () => {
    // The enrollment consumed its time step (R7); the next step is within the accepted
    // window (T-1..T+1) even if the clock has not reached it yet.
    const timeStep = Math.max(enrolled.timeStep + 1, currentTimeStep());
    const code = await computeTOTPWithOathtool(enrolled.secret, timeStep);
    await page.locator("input[name=otp]").fill(code);
    await click(OTP_FORM_SUBMIT);
    expect(last?.firstStatus, last?.chain).toBe(303);
    await expectSignedInHome();
  });
});
