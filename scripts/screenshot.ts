// Regenerates docs/enrollment.png, the README's picture of the authenticator setup page:
// starts the server on a throwaway data dir, registers the demo user "alice" in Debian's
// Chromium and captures /2fa/setup at 1000x900 in the light colour scheme.
// Usage: npx tsx scripts/screenshot.ts
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { startServer, REPO_ROOT } from "../test/support/server-process.js";
import { navigate } from "../test/e2e/navigation.js";
import { launchChromium } from "../test/e2e/tools.js";

const OUTPUT = join(REPO_ROOT, "docs", "enrollment.png");

async function main(): Promise<void> {
  const server = await startServer();
  try {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, colorScheme: "light" });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await navigate(page, () => page.goto(`${server.url}/register`));
      await page.locator("input[name=username]").fill("alice");
      await page.locator("input[name=password]").fill(`alice ${randomBytes(12).toString("base64url")} demo`);
      const result = await navigate(page, () =>
        page.locator("form:has(input[name=username]) button[type=submit]").click(),
      );
      if (result.path !== "/2fa/setup" || result.status !== 200) {
        throw new Error(`expected the setup page after registering, got ${result.chain}`);
      }
      await mkdir(join(REPO_ROOT, "docs"), { recursive: true });
      await page.screenshot({ path: OUTPUT });
      console.log(`wrote ${OUTPUT}`);
    } finally {
      await browser.close();
    }
  } catch (error) {
    console.error(`--- server output ---\n${server.output().trim()}`);
    throw error;
  } finally {
    await server.stop();
  }
}

await main();
