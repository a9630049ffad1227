// gatehouse enroll NAME: the QR code in the terminal encodes exactly the printed otpauth URI, a
// code from oathtool (an independent RFC 6238 implementation) confirms it, and the recovery
// codes are printed once.
import { execFileSync } from "node:child_process";
import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AS_ADMIN, expectOneLineError, gatehouse, makeDataDir, openServices, PASSWORD, type DataDir } from "./support.js";
import { decodeModules, parseTerminalQR, stripQuietZone } from "./terminal-qr.js";

function printed(stdout: string) {
  const key = /^Key: +([A-Z2-7 ]+)$/m.exec(stdout)?.[1];
  const uri = /^URI: +(otpauth:\/\/\S+)$/m.exec(stdout)?.[1];
  if (!key || !uri) throw new Error(`no key or URI in:\n${stdout}`);
  return { key, uri };
}

describe.concurrent("gatehouse enroll", () => {
  let dir: DataDir;
  beforeAll(async () => {
    dir = await makeDataDir();
    const services = await openServices(dir.path, dir.masterSecrets);
    try {
      for (const name of ["alice", "bob"]) await services.accounts.register(name, PASSWORD, AS_ADMIN);
    } finally {
      await services.close();
    }
  });
  afterAll(() => dir.remove());

  it("a wrong code fails with one line, turns nothing on, and the next run shows the same key", async () => {
    const wrong = await gatehouse(["enroll", "bob"], dir.env, { input: "000000\n" });
    expect(wrong.code).toBe(1);
    expect(expectOneLineError(wrong)).toBe("gatehouse: wrong code: it is not the current code for this key; run gatehouse enroll bob again");
    expect(wrong.stdout).not.toContain("Recovery codes");
    const [again, shown] = await Promise.all([
      gatehouse(["enroll", "bob"], dir.env, { input: "" }),
      gatehouse(["user", "show", "bob", "--json"], dir.env),
    ]);
    expect(expectOneLineError(again)).toBe("gatehouse: no code given; nothing was changed");
    expect(printed(again.stdout).key).toBe(printed(wrong.stdout).key);
    expect(JSON.parse(shown.stdout)).toMatchObject({ twoFactor: "enrolling" });
  });

  it("prints a terminal QR code of the printed URI, confirms an oathtool code and prints the recovery codes once", async () => {
    // First run: show the key; stdin ends without a code.
    const first = await gatehouse(["enroll", "alice"], dir.env);
    expect(first.code).toBe(1);
    const { key, uri } = printed(first.stdout);
    expect(key).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/); // 160 bits in groups of four
    const secret = key.replaceAll(" ", "");
    expect(new URL(uri).searchParams.get("secret")).toBe(secret);

    // The terminal rendering, module for module, is the QR code of that URI (level M, as served).
    const modules = stripQuietZone(parseTerminalQR(first.stdout));
    const reference = QRCode.create(uri, { errorCorrectionLevel: "M" }).modules;
    expect(modules.length).toBe(reference.size);
    expect(modules.flat()).toEqual([...reference.data].map((bit) => bit === 1));
    expect(decodeModules(modules)).toBe(uri); // and an independent decoder reads the URI back

    const code = execFileSync("oathtool", ["--totp", "-b", secret], { encoding: "utf8" }).trim();
    const confirmed = await gatehouse(["enroll", "alice"], dir.env, { input: `${code}\n` });
    expect(confirmed).toMatchObject({ code: 0, stderr: "" });
    expect(printed(confirmed.stdout).key).toBe(key);
    const recoveryCodes = confirmed.stdout.split("Recovery codes")[1]!.match(/^ {2}[0-9A-Z]{5}-[0-9A-Z]{5}$/gm) ?? [];
    expect(new Set(recoveryCodes).size).toBe(10);

    const [shown, again, events] = await Promise.all([
      gatehouse(["user", "show", "alice", "--json"], dir.env),
      gatehouse(["enroll", "alice"], dir.env, { input: `${code}\n` }),
      gatehouse(["events", "alice", "--json"], dir.env),
    ]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ twoFactor: "on", recoveryCodesLeft: 10 });
    expect(shown.stdout).not.toContain(secret);
    expect(again.code).toBe(1);
    expect(expectOneLineError(again)).toBe(
      "gatehouse: alice already has two-factor sign-in; reset it first with gatehouse user reset-2fa alice",
    );
    expect(again.stdout).not.toContain(secret); // the key is never shown again once confirmed
    expect(JSON.parse(events.stdout)[0]).toMatchObject({ type: "two-factor-enabled", userAgent: "gatehouse-cli" });
  });
});
