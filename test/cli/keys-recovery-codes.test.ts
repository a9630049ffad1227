// gatehouse keys rotate and recovery codes (review F6): codes are keyed hashes under the key that
// was current when they were made, and cannot be resealed. They keep working while that key is in
// the ring; the rotation says how many accounts depend on an older key, and on none.
import { afterAll, describe, expect, it } from "vitest";
import { loadMasterSecret, loadMasterSecrets } from "../../src/secret-key.js";
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

  it("codes keep working while their key is secret.key.previous, and the rotation that drops it says so", async () => {
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
    const second = await gatehouse(["keys", "rotate"], dir.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("1 account(s) hold recovery codes made under an older key");
    expect(second.stdout).toContain("1 account(s) hold recovery codes made under a key no longer in the ring");
    expect(await useCode(dir, clock, ann.userId, ann.codes[1]!)).toBe("INVALID_RECOVERY_CODE");
  });
});
