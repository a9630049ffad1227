// A long browser flow as a row of tests: each step is its own `it`, and once one fails the
// later ones fail without running, each failure carrying what the browser and servers showed.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { it } from "vitest";
import { describePage, type Navigation } from "./navigation.js";

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
