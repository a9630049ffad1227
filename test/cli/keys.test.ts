// gatehouse keys rotate: every TOTP secret ends up sealed under the new key, sign-in keeps working
// at every point, and a rotation killed halfway is finished by a rerun without losing a secret.
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deriveKeys } from "../../src/core/keys.js";
import { consoleEnrollment } from "../../src/core/two-factor.js";
import { loadMasterSecret, loadMasterSecrets } from "../../src/secret-key.js";
import type { Services } from "../../src/services.js";
import {
  AS_ADMIN,
  collect,
  enrollInProcess,
  expectOneLineError,
  gatehouse,
  makeDataDir,
  openServices,
  PASSWORD,
  spawnGatehouse,
  TestClock,
  totpCode,
  WEB_ORIGIN,
  type DataDir,
} from "./support.js";

interface Enrolled {
  name: string;
  userId: string;
  secretBase32: string;
}

const keyFile = (dir: DataDir, name = "secret.key") => new Uint8Array(readFileSync(join(dir.path, name)).subarray(0, -1)); // minus "\n"

/** Three users with an authenticator and one with a shown, unconfirmed key: four sealed rows. */
async function setUpUsers(dir: DataDir, ring: Uint8Array[], clock: TestClock) {
  const services = await openServices(dir.path, ring, clock);
  try {
    const enrolled: Enrolled[] = [];
    for (const name of ["ann", "ben", "cat"]) enrolled.push({ name, ...(await enrollInProcess(services, clock, name)) });
    const dan = await services.accounts.register("dan", PASSWORD, AS_ADMIN);
    const pending = await services.twoFactor.currentEnrollment(dan.id, "dan", consoleEnrollment(dan.id));
    return { enrolled, pending: { userId: dan.id, secretBase32: pending.secretBase32 } };
  } finally {
    await services.close();
  }
}

/** Signs every enrolled user in with a code one step later than the last; throws if one fails. */
async function expectSignInsWork(services: Services, clock: TestClock, users: Enrolled[]) {
  clock.advanceSeconds(30);
  for (const user of users) await services.twoFactor.verifyCode(user.userId, totpCode(user.secretBase32, clock.now()), WEB_ORIGIN);
}

async function keyIdsOfRows(services: Services): Promise<string[]> {
  // The sealed format is v1.<key id>.<iv>.<ciphertext> (core/seal.ts).
  return (await services.store.totp.listSealedSecrets()).map((row) => row.sealedSecret.split(".")[1]!);
}

describe.concurrent("gatehouse keys rotate", () => {
  const dirs: DataDir[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  it("killed halfway, leaves every secret readable by the server's ring; a rerun finishes with the same key", async () => {
    const dir = await makeDataDir({ keyFile: true });
    dirs.push(dir);
    const clock = new TestClock(Date.now());
    const oldKey = loadMasterSecret(undefined, dir.path); // the key file the server would generate
    const { enrolled, pending } = await setUpUsers(dir, [oldKey], clock);

    // Pause after the first of four rows (GATEHOUSE_TEST_ROTATE_PAUSE_AFTER), then SIGKILL.
    const child = spawnGatehouse(["keys", "rotate"], { ...dir.env, GATEHOUSE_TEST_ROTATE_PAUSE_AFTER: "1" });
    const result = collect(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: string) => chunk.includes("paused") && resolve());
      child.once("close", () => reject(new Error("keys rotate ended before pausing")));
    });
    child.kill("SIGKILL");
    expect((await result).signal).toBe("SIGKILL");

    const newKey = keyFile(dir, "secret.key.next");
    expect(keyFile(dir)).toEqual(oldKey);
    let services = await openServices(dir.path, loadMasterSecrets(undefined, dir.path), clock);
    try {
      const ids = await keyIdsOfRows(services);
      expect(ids.filter((id) => id === deriveKeys(newKey).keyId)).toHaveLength(1);
      expect(ids.filter((id) => id === deriveKeys(oldKey).keyId)).toHaveLength(3);
      // A server started now (ring [current, next]) opens both kinds of row.
      await expectSignInsWork(services, clock, enrolled);
      expect((await services.twoFactor.currentEnrollment(pending.userId, "dan", consoleEnrollment(pending.userId))).secretBase32).toBe(pending.secretBase32);
    } finally {
      await services.close();
    }

    const rerun = await gatehouse(["keys", "rotate"], dir.env);
    expect(rerun).toMatchObject({ code: 0, stderr: "" });
    expect(rerun.stdout).toMatch(/^finished the interrupted rotation: resealed 3 of 4 secrets under the new key [0-9a-f]{8}$/m);
    expect(keyFile(dir)).toEqual(newKey);
    expect(keyFile(dir, "secret.key.previous")).toEqual(oldKey);
    expect(existsSync(join(dir.path, "secret.key.next"))).toBe(false);

    // The final key alone opens every secret: nothing was lost.
    services = await openServices(dir.path, [newKey], clock);
    try {
      await expectSignInsWork(services, clock, enrolled);
      expect((await services.twoFactor.currentEnrollment(pending.userId, "dan", consoleEnrollment(pending.userId))).secretBase32).toBe(pending.secretBase32);
      const events = await services.store.events.listEvents({ limit: 100 });
      expect(events.filter((e) => e.type === "admin-keys-rotated")).toEqual([
        expect.objectContaining({ userAgent: "gatehouse-cli", detail: { keyId: deriveKeys(newKey).keyId, resealed: 3, secrets: 4 } }),
      ]);
    } finally {
      await services.close();
    }
  });

  it("with a key file that does not open the secrets, fails with one line and changes nothing", async () => {
    const dir = await makeDataDir({ keyFile: true });
    dirs.push(dir);
    const clock = new TestClock(Date.now());
    const rightKey = loadMasterSecret(undefined, dir.path);
    const { enrolled } = await setUpUsers(dir, [rightKey], clock);
    await writeFile(join(dir.path, "secret.key"), `${"w".repeat(43)}\n`, { mode: 0o600 });

    const result = await gatehouse(["keys", "rotate"], dir.env);
    expect(result.code).toBe(1);
    expect(expectOneLineError(result)).toBe(
      "gatehouse: 4 stored secrets do not open with the configured keys (a wrong GATEHOUSE_SECRET_KEY or key file?); nothing was changed",
    );
    expect(existsSync(join(dir.path, "secret.key.next"))).toBe(false);
    const services = await openServices(dir.path, [rightKey], clock);
    try {
      await expectSignInsWork(services, clock, enrolled);
    } finally {
      await services.close();
    }
  });

  it("with GATEHOUSE_SECRET_KEY, reseals under the new key and opens the old ones with GATEHOUSE_PREVIOUS_SECRET_KEYS", async () => {
    const dir = await makeDataDir();
    dirs.push(dir);
    const clock = new TestClock(Date.now());
    const { enrolled } = await setUpUsers(dir, dir.masterSecrets, clock);

    const steps = await gatehouse(["keys", "rotate", "--to-env"], {});
    expect(steps.code).toBe(0);
    const newKey = /^GATEHOUSE_SECRET_KEY=(\S{43})$/m.exec(steps.stdout)![1]!;
    const env = { ...dir.env, GATEHOUSE_SECRET_KEY: newKey, GATEHOUSE_PREVIOUS_SECRET_KEYS: dir.env.GATEHOUSE_SECRET_KEY! };
    const rotated = await gatehouse(["keys", "rotate"], env);
    expect(rotated).toMatchObject({ code: 0, stderr: "" });
    expect(rotated.stdout).toMatch(/^resealed 4 of 4 secrets under GATEHOUSE_SECRET_KEY/);

    const services = await openServices(dir.path, [new Uint8Array(Buffer.from(newKey, "utf8"))], clock);
    try {
      await expectSignInsWork(services, clock, enrolled);
    } finally {
      await services.close();
    }
    expect(existsSync(join(dir.path, "secret.key"))).toBe(false); // the environment key never touches the key files
  });
});
