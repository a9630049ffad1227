// gatehouse keys rotate and recovery codes (review F6): codes are keyed hashes under the key that
// was current when they were made, and cannot be resealed. They keep working while that key is in
// the ring; the rotation says how many accounts depend on an older key, and on none. Nothing is
// lost silently: a rotation that would drop the key of unused codes refuses unless told to
// (--drop-old-recovery-codes), and a server started with codes under no key of its ring says so.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadMasterSecret, loadMasterSecrets, prepareNextKeyFile } from "../../src/secret-key.js";
import { buildTestApp } from "../support/app.js";
import { AS_ADMIN, gatehouse, makeDataDir, openServices, TestClock, totpCode, WEB_ORIGIN, type DataDir } from "./support.js";
import { consoleEnrollment } from "../../src/core/two-factor.js";

/** A user enrolled in-process under `ring`; returns one of their recovery codes. */
async function enrolledWithCodes(dir: DataDir, ring: Uint8Array[], clock: TestClock, name: string) {
  const services = await openServices(dir.path, ring, clock);
  try {
    const user = await services.accounts.register(name, "quiet-lantern-orbit-73", AS_ADMIN);
    const mode = consoleEnrollment(user.id);
    const view = await services.twoFactor.currentEnrollment(user.id, name, mode);
    const codes = await services.twoFactor.confirmEnrollment(user.id, totpCode(view.secretBase32, clock.now()), mode, WEB_ORIGIN);
    return { userId: user.id, codes: codes! };
  } finally {
    await services.close();
  }
}

/** Uses the recovery code with the ring the servers load now: remaining count, or the error code. */
async function useCode(dir: DataDir, clock: TestClock, userId: string, code: string): Promise<number | string> {
  const services = await openServices(dir.path, loadMasterSecrets(undefined, dir.path), clock);
  try {
    return await services.twoFactor.useRecoveryCode(userId, code, WEB_ORIGIN);
  } catch (error) {
    return (error as { code: string }).code;
  } finally {
    await services.close();
  }
}

describe("gatehouse keys rotate with recovery codes", () => {
  const dirs: DataDir[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  it("a rotation that would drop secret.key.previous with unused codes under it refuses and changes nothing; --drop-old-recovery-codes drops them and says so", async () => {
    const dir = await makeDataDir({ keyFile: true });
    dirs.push(dir);
    const clock = new TestClock(Date.now());
    const ann = await enrolledWithCodes(dir, [loadMasterSecret(undefined, dir.path)], clock, "ann");

    const first = await gatehouse(["keys", "rotate"], dir.env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("1 account(s) hold recovery codes made under an older key");
    expect(await useCode(dir, clock, ann.userId, ann.codes[0]!)).toBe(9);

    // Made under the new key: not counted by the next rotation.
    await enrolledWithCodes(dir, loadMasterSecrets(undefined, dir.path), clock, "ben");
    const keyFiles = () => ["secret.key", "secret.key.previous", "secret.key.next"].map((name) => {
      const path = join(dir.path, name);
      return existsSync(path) ? readFileSync(path, "utf8") : null;
    });
    const before = keyFiles();
    const refused = await gatehouse(["keys", "rotate"], dir.env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain("1 account(s) hold unused recovery codes made under secret.key.previous");
    expect(refused.stderr).toContain("would stop working");
    expect(refused.stderr).toContain("/account");
    expect(refused.stderr).toContain("--drop-old-recovery-codes");
    expect(keyFiles()).toEqual(before); // secret.key and .previous as they were, and no secret.key.next
    expect(before[2]).toBeNull();
    expect(await useCode(dir, clock, ann.userId, ann.codes[1]!)).toBe(8);

    // An interrupted rotation (secret.key.next present) is held to the same rule, and keeps its key.
    prepareNextKeyFile(dir.path);
    const interrupted = keyFiles();
    const refusedResume = await gatehouse(["keys", "rotate"], dir.env);
    expect(refusedResume.code).toBe(1);
    expect(refusedResume.stderr).toContain("--drop-old-recovery-codes");
    expect(keyFiles()).toEqual(interrupted);
    expect(await useCode(dir, clock, ann.userId, ann.codes[2]!)).toBe(7);

    const dropped = await gatehouse(["keys", "rotate", "--drop-old-recovery-codes"], dir.env);
    expect(dropped.code).toBe(0);
    expect(dropped.stdout).toContain("finished the interrupted rotation");
    expect(dropped.stdout).toContain("--drop-old-recovery-codes: 1 account(s) lost their unused recovery codes");
    expect(dropped.stdout).toContain("1 account(s) hold recovery codes made under a key no longer in the ring");
    expect(readFileSync(join(dir.path, "secret.key"), "utf8")).toBe(interrupted[2]);
    expect(readFileSync(join(dir.path, "secret.key.previous"), "utf8")).toBe(interrupted[0]);
    expect(await useCode(dir, clock, ann.userId, ann.codes[3]!)).toBe("INVALID_RECOVERY_CODE");
  });

  it("a second rotation goes through when no unused codes depend on secret.key.previous", async () => {
    const dir = await makeDataDir({ keyFile: true });
    dirs.push(dir);
    const clock = new TestClock(Date.now());
    const ann = await enrolledWithCodes(dir, [loadMasterSecret(undefined, dir.path)], clock, "ann");
    expect((await gatehouse(["keys", "rotate"], dir.env)).code).toBe(0);
    // New codes replace the old set: they are made under the current key.
    const services = await openServices(dir.path, loadMasterSecrets(undefined, dir.path), clock);
    const codes = await services.twoFactor.regenerateRecoveryCodes(ann.userId, WEB_ORIGIN).finally(() => services.close());

    const second = await gatehouse(["keys", "rotate"], dir.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("1 account(s) hold recovery codes made under an older key");
    expect(second.stdout).not.toContain("no longer in the ring");
    expect(await useCode(dir, clock, ann.userId, codes[0]!)).toBe(9);
  });

  it("a server started with unused codes under no key of its ring logs one warning with the count only", async () => {
    const dir = await makeDataDir();
    dirs.push(dir);
    const clock = new TestClock(Date.now());
    const [oldKey] = dir.masterSecrets;
    const ann = await enrolledWithCodes(dir, [oldKey!], clock, "ann");
    const newKey = new Uint8Array(Buffer.from("a-new-master-key-of-at-least-32-bytes", "utf8"));
    const startupWarnings = async (masterSecrets: Uint8Array[]) => {
      const log: string[] = [];
      const t = await buildTestApp({
        databaseFile: join(dir.path, "gatehouse.sqlite"),
        masterSecrets,
        logger: pino({ level: "warn" }, { write: (line: string) => log.push(line) }),
      });
      await t.close();
      return log;
    };

    // The old key still in GATEHOUSE_PREVIOUS_SECRET_KEYS: nothing to say.
    expect(await startupWarnings([newKey, oldKey!])).toEqual([]);
    // The operator removed it: ann's codes no longer work, and the log says how many accounts.
    const log = await startupWarnings([newKey]);
    expect(log).toHaveLength(1);
    expect(log[0]).toContain("1 account(s) hold recovery codes made under a key no longer in the ring");
    expect(log[0]).not.toContain(ann.userId);
    expect(log[0]).not.toContain("hmac-sha256");
  });
});
