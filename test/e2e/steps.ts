// A long browser flow as a row of tests: each step is its own `it`, and once one fails the
// later ones fail without running, each failure carrying what the browser and servers showed.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { expect, it } from "vitest";
import { describePage, type Navigation } from "./navigation.js";
import { decodeQRCodes } from "./tools.js";

export const STEP_TIMEOUT_MS = 60_000;

export function createSteps(describeFailure: () => Promise<string>) {
  let failedStep: string | undefined;

  function step(name: string, body: () => Promise<void>): void {
    it(
      name,
      async () => {
        if (failedStep !== undefined) throw new Error(`not run: the earlier step "${failedStep}" failed`);
        try {
          await body();
        } catch (error) {
          failedStep = name;
          const context = await describeFailure();
          if (error instanceof Error) {
            error.message += context;
            throw error;
          }
          throw new Error(String(error) + context);
        }
      },
      STEP_TIMEOUT_MS,
    );
  }

  return { step, anyFailed: () => failedStep !== undefined };
}

/** What the browser shows now, with a full-page screenshot saved in `workDir`. */
export async function browserView(browser: Browser | undefined, page: Page, last: Navigation | undefined, workDir: string) {
  if (browser === undefined) return "(no browser open)";
  try {
    const shot = join(workDir, "failure.png");
    await page.screenshot({ path: shot, fullPage: true });
    return `${await describePage(page, last)}\nscreenshot: ${shot}`;
  } catch (error) {
    return `(no browser view: ${String(error)})`;
  }
}

/**
 * Scans the enrollment page as a phone would: zbarimg reads the QR code off a full-page
 * screenshot (saved in `workDir`). Checks it is a Key Uri Format `otpauth://totp/ISSUER:USERNAME`
 * URI with a 160-bit base32 secret, and returns that secret.
 */
export async function scanEnrollmentQR(page: Page, workDir: string, username: string): Promise<string> {
  const shot = join(workDir, "setup.png");
  await page.screenshot({ path: shot, fullPage: true });
  const decoded = await decodeQRCodes(shot);
  expect(decoded, `QR codes zbarimg found in ${shot}`).toHaveLength(1);
  const uri = new URL(decoded[0] ?? "");
  expect(uri.protocol + uri.host).toBe("otpauth:totp");
  const secret = uri.searchParams.get("secret") ?? "";
  expect(secret, "base32 of 20 random bytes, no padding").toMatch(/^[A-Z2-7]{32}$/);
  expect(decodeURIComponent(uri.pathname.slice(1))).toBe(`${uri.searchParams.get("issuer")}:${username}`);
  return secret;
}

/** The recovery codes on the page (`.recovery-code`), checked: at least 8, none empty, all distinct. */
export async function readRecoveryCodes(page: Page): Promise<string[]> {
  const codes = (await page.locator(".recovery-code").allInnerTexts()).map((code) => code.trim());
  expect(codes.length).toBeGreaterThanOrEqual(8);
  for (const code of codes) expect(code).not.toBe("");
  expect(new Set(codes).size, `distinct codes in ${JSON.stringify(codes)}`).toBe(codes.length);
  return codes;
}
