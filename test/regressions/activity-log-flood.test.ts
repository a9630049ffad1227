// Regression suite: filling the disk through the activity log (review F5).
//   - every throttled POST /login stored a `password-throttled` row with a 256-character
//     User-Agent: one anonymous client wrote ~180 rows/s, ~6 GB a day, until every write failed
//   - every refused attempt at a locked second factor stored `second-factor-locked` and told
//     the user again: unbounded rows and notifications from anyone who knows the password
//   - no sweep ever removed an event
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StoredEvent } from "../../src/core/ports.js";
import type { Notifier, UserNotification } from "../../src/notify/notifier.js";
import { buildTestApp, codeAt, type TestApp } from "../support/app.js";
import { enrolledUser, pendingClient, postFrom, wrongCodeAt } from "../http/helpers.js";

const ATTACKER = "203.0.113.7";
const LONG_USER_AGENT = `Mozilla/5.0 ${"x".repeat(500)}`;
const DAY_MS = 86_400_000;

let t: TestApp | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await t?.close();
  t = undefined;
});

const allEvents = (app: TestApp): Promise<StoredEvent[]> => app.store.events.listEvents({ limit: 100_000 });

async function throttledBurst(app: TestApp, attempts: number) {
  const client = app.client();
  await client.request({ method: "GET", url: "/login", remoteAddress: ATTACKER });
  for (let i = 0; i < attempts; i++) {
    const res = await client.request({
      method: "POST",
      url: "/login",
      remoteAddress: ATTACKER,
      payload: new URLSearchParams({ username: "nobody", password: `guess-${i}`, _csrf: client.csrf ?? "" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:80", "user-agent": LONG_USER_AGENT },
    });
    expect([401, 429]).toContain(res.statusCode);
  }
}

describe("anonymous attempts are counted, not stored one row each", () => {
  it("300 throttled POST /login from one address leave a couple of rows that count them all", async () => {
    t = await buildTestApp();
    await throttledBurst(t, 300);
    const events = await allEvents(t);
    expect(events.length).toBeLessThanOrEqual(2);
    expect(events.map((e) => e.type).sort()).toEqual(["password-rejected", "password-throttled"]);
    expect(events.reduce((sum, e) => sum + e.count, 0)).toBe(300);
    for (const e of events) expect(e.userAgent!.length).toBeLessThanOrEqual(128);
  });

  it("a new minute starts a new row, so the log grows with time, not with requests", async () => {
    t = await buildTestApp();
    await throttledBurst(t, 50);
    t.clock.advanceSeconds(60);
    await throttledBurst(t, 50);
    const throttled = (await allEvents(t)).filter((e) => e.type === "password-throttled");
    expect(throttled.map((e) => e.count)).toEqual([50, 40]);
  });

  it("addresses of one IPv6 /64 share a row", async () => {
    t = await buildTestApp();
    const client = t.client();
    await client.request({ method: "GET", url: "/login", remoteAddress: "2001:db8::1" });
    for (let i = 1; i <= 40; i++) await postFrom(client, `2001:db8::${i.toString(16)}`, "/login", { username: `user${i}`, password: "wrong-password" });
    expect((await allEvents(t)).map((e) => [e.type, e.count])).toEqual([["password-rejected", 40]]);
  });
});

describe("a locked second factor", () => {
  it("stores one row per minute however often it is tried, and tells the user once", async () => {
    const told: UserNotification[] = [];
    const notifier: Notifier = { notify: (n) => void told.push(n), close: async () => {} };
    t = await buildTestApp({ notifier });
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const statuses: number[] = [];
    for (let i = 0; i < 105; i++) statuses.push((await client.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) })).statusCode);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100);

    const locked = (await allEvents(t)).filter((e) => e.type === "second-factor-locked");
    expect(locked.map((e) => e.count)).toEqual([100]);
    await vi.waitFor(() => expect(told.filter((n) => n.type === "second-factor-rejected")).toHaveLength(5));
    expect(told.filter((n) => n.type === "second-factor-locked")).toHaveLength(1);

    // The owner's account page shows the row with its count.
    t.clock.advanceSeconds(31);
    expect((await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) })).statusCode).toBe(303);
    expect((await client.get("/account")).body).toMatch(/<tr class="event">[^]*?\(100 attempts\)/);
  });
});

describe("retention", () => {
  it("the periodic sweep deletes events older than GATEHOUSE_EVENTS_DAYS and keeps newer ones", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    t = await buildTestApp({ eventsKeptMs: 7 * DAY_MS });
    await throttledBurst(t, 20);
    t.clock.advanceSeconds(7 * 86_400 - 60);
    await throttledBurst(t, 1);
    const before = await allEvents(t);
    t.clock.advanceSeconds(120);
    vi.advanceTimersByTime(10 * 60_000);
    const app = t;
    await vi.waitFor(async () => expect((await allEvents(app)).length).toBeLessThan(before.length));
    const left = await allEvents(app);
    expect(left.length).toBeGreaterThan(0);
    for (const e of left) expect(e.at).toBeGreaterThan(t.clock.ms - 7 * DAY_MS);
  });
});
