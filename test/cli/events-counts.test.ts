// gatehouse events shows how many attempts a repeated event's row stands for (review F5: refused
// anonymous attempts are one row per address and minute, with a count).
import { afterAll, describe, expect, it } from "vitest";
import { gatehouse, makeDataDir, openServices, TestClock, type DataDir } from "./support.js";

describe("gatehouse events with repeated events", () => {
  const dirs: DataDir[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  it("prints one row with its count, in text and JSON", async () => {
    const dir = await makeDataDir();
    dirs.push(dir);
    // Mid-minute, so the three attempts cannot straddle two rows.
    const services = await openServices(dir.path, dir.masterSecrets, new TestClock(Date.UTC(2026, 11, 4, 12, 0, 30)));
    try {
      const origin = { clientAddress: "203.0.113.7", userAgent: "curl/8" };
      for (let i = 0; i < 3; i++) await services.events.record({ type: "password-throttled", origin });
    } finally {
      await services.close();
    }
    const [json, text] = await Promise.all([gatehouse(["events", "--json"], dir.env), gatehouse(["events"], dir.env)]);
    expect(JSON.parse(json.stdout)).toMatchObject([{ type: "password-throttled", clientAddress: "203.0.113.7", count: 3 }]);
    expect(text.stdout).toMatch(/password-throttled \(3 attempts\) +- +203\.0\.113\.7/);
  });
});
