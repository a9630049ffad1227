// External programs the browser e2e test relies on. They are independent implementations
// on purpose: Debian's Chromium renders the pages, zbarimg reads the QR code off a
// screenshot like a phone camera would, and oathtool (OATH Toolkit) computes the codes,
// so the test never checks gatehouse against its own TOTP code.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";

const execFileAsync = promisify(execFile);

export const CHROMIUM_PATH = "/usr/bin/chromium";

const DEBIAN_PACKAGE: Record<string, string> = {
  chromium: "chromium",
  oathtool: "oathtool",
  zbarimg: "zbar-tools",
};

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the absolute path of a required program (an absolute path, or a name looked up
 * on PATH), or throws. A missing tool must fail the run, never skip it: a skipped
 * browser test passes silently in CI.
 */
export function requireTool(pathOrName: string): string {
  const candidates = isAbsolute(pathOrName)
    ? [pathOrName]
    : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, pathOrName));
  const found = candidates.find(isExecutable);
  if (found !== undefined) return found;
  const name = pathOrName.split("/").pop() ?? pathOrName;
  const pkg = DEBIAN_PACKAGE[name] ?? name;
  throw new Error(
    `Required tool "${pathOrName}" is missing (not an executable file${isAbsolute(pathOrName) ? "" : " on PATH"}). ` +
      `Install it with: apt-get install -y ${pkg}   (.ci/run does this)`,
  );
}

/** Debian's Chromium, headless; never a downloaded browser. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireTool(CHROMIUM_PATH),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Every QR code zbarimg finds in a PNG, one decoded string each (empty if none). */
export async function decodeQRCodes(pngPath: string): Promise<string[]> {
  const zbarimg = requireTool("zbarimg");
  try {
    const { stdout } = await execFileAsync(zbarimg, ["--raw", "-q", pngPath]);
    return stdout.split("\n").map((line) => line.trim()).filter(Boolean);
  } catch (error) {
    // zbarimg exits with 4 when the image holds no barcode at all.
    if ((error as { code?: unknown }).code === 4) return [];
    throw error;
  }
}

/**
 * The 6-digit SHA-1 TOTP code (30 s step, RFC 6238) of a base32 secret for the given
 * time step, computed by oathtool at the start of that step.
 */
export async function computeTOTPWithOathtool(secretBase32: string, timeStep: number): Promise<string> {
  const oathtool = requireTool("oathtool");
  const { stdout } = await execFileAsync(oathtool, [
    "--totp",
    "--base32",
    `--now=@${timeStep * 30}`,
    secretBase32,
  ]);
  const code = stdout.trim();
  if (!/^[0-9]{6}$/.test(code)) throw new Error(`oathtool printed ${JSON.stringify(stdout)}, not a 6-digit code`);
  return code;
}

export function currentTimeStep(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 30_000);
}
