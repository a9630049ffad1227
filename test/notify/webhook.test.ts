// The webhook notifier against a real HTTP receiver on 127.0.0.1: signed deliveries, retries,
// the bounded queue and close(). Synchronisation is by events (request arrived, close() resolved),
// never by timing thresholds.
import { randomBytes, webcrypto } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { UserNotification } from "../../src/notify/notifier.js";
import {
  createWebhookNotifier,
  exponentialBackoffMs,
  signWebhook,
  verifyWebhookSignature,
  type WebhookNotifierOptions,
} from "../../src/notify/webhook.js";

const SECRET = new Uint8Array(randomBytes(32));
const NOW_MS = 1_700_000_000_000;
const NOW_SECONDS = NOW_MS / 1000;

function notification(id: string, type = "two-factor-disabled"): UserNotification {
  return {
    id,
    type,
    userId: "user-1",
    username: "alice",
    at: new Date(NOW_MS).toISOString(),
    clientAddress: "203.0.113.7",
    userAgent: "Firefox",
    detail: { remaining: 3 },
  };
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

/** What the receiver does with request number `index` (0-based): a status, or "hang" to never answer. */
type Reply = number | "hang" | ((res: ServerResponse) => void);

const receivers: { close(): void }[] = [];
afterEach(() => {
  for (const r of receivers.splice(0)) r.close();
});

async function startReceiver(reply: (index: number) => Reply) {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const index = received.length;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), url: req.url ?? "" });
      for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
      const r = reply(index);
      if (r === "hang") return;
      if (typeof r === "function") return r(res);
      res.statusCode = r;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const receiver = {
    url: new URL(`http://127.0.0.1:${port}/hook`),
    received,
    /** Resolves once `count` requests have arrived. */
    arrived: (count: number) =>
      new Promise<void>((resolve) => (received.length >= count ? resolve() : waiters.push({ count, resolve }))),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
  receivers.push(receiver);
  return receiver;
}

function captureLogger() {
  const entries: { level: "warn" | "info"; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    entries,
    warnings: () => entries.filter((e) => e.level === "warn"),
    logger: {
      warn: (obj: object, msg: string) => entries.push({ level: "warn", obj: obj as Record<string, unknown>, msg }),
      info: (obj: object, msg: string) => entries.push({ level: "info", obj: obj as Record<string, unknown>, msg }),
    },
  };
}

function notifierFor(url: URL, log: ReturnType<typeof captureLogger>, options: Partial<WebhookNotifierOptions> = {}) {
  return createWebhookNotifier({ url, secret: SECRET, logger: log.logger, clock: { now: () => NOW_MS }, backoffMs: () => 10, ...options });
}

function isSigned(r: Received, nowSeconds = NOW_SECONDS): boolean {
  return verifyWebhookSignature(SECRET, String(r.headers["x-gatehouse-timestamp"]), r.body, r.headers["x-gatehouse-signature"] as string, nowSeconds);
}

describe("webhook delivery", () => {
  it("POSTs the notification as JSON with event, delivery, timestamp and a signature the receiver verifies", async () => {
    const receiver = await startReceiver(() => 204);
    const notifier = notifierFor(receiver.url, captureLogger());
    notifier.notify(notification("evt-1"));
    await notifier.close();

    expect(receiver.received).toHaveLength(1);
    const [r] = receiver.received as [Received];
    expect(r.url).toBe("/hook");
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["x-gatehouse-event"]).toBe("two-factor-disabled");
    expect(r.headers["x-gatehouse-delivery"]).toBe("evt-1");
    expect(r.headers["x-gatehouse-timestamp"]).toBe(String(NOW_SECONDS));
    expect(r.headers["x-gatehouse-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(r.body)).toEqual(notification("evt-1"));
    expect(Object.keys(JSON.parse(r.body) as object)).toEqual(["id", "type", "userId", "username", "at", "clientAddress", "userAgent", "detail"]);
    expect(isSigned(r)).toBe(true);
  });

  it("a receiver rejects a tampered body, a stale or future timestamp, and another key's signature", async () => {
    const receiver = await startReceiver(() => 200);
    const notifier = notifierFor(receiver.url, captureLogger());
    notifier.notify(notification("evt-1"));
    await notifier.close();
    const [r] = receiver.received as [Received];
    const timestamp = String(r.headers["x-gatehouse-timestamp"]);
    const signature = r.headers["x-gatehouse-signature"] as string;

    expect(verifyWebhookSignature(SECRET, timestamp, r.body.replace("alice", "mallory"), signature, NOW_SECONDS)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, r.body, signature, NOW_SECONDS + 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, r.body, signature, NOW_SECONDS + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, r.body, signature, NOW_SECONDS - 301)).toBe(false);
    // Replaying the body under a fresh timestamp breaks the MAC, because the timestamp is inside it.
    expect(verifyWebhookSignature(SECRET, String(NOW_SECONDS + 600), r.body, signature, NOW_SECONDS + 600)).toBe(false);
    expect(verifyWebhookSignature(new Uint8Array(32), timestamp, r.body, signature, NOW_SECONDS)).toBe(false);
  });

  it("sends only the declared fields, so a value spread in by mistake never leaves the process", async () => {
    const receiver = await startReceiver(() => 200);
    const notifier = notifierFor(receiver.url, captureLogger());
    notifier.notify({ ...notification("evt-1"), recoveryCode: "ABCD-EFGH-IJKL" } as UserNotification);
    await notifier.close();
    expect(receiver.received[0]?.body).not.toContain("ABCD-EFGH-IJKL");
  });
});

describe("signWebhook and verifyWebhookSignature", () => {
  it("agree with an independent HMAC-SHA256 (WebCrypto) over `${timestamp}.${body}`", async () => {
    const key = await webcrypto.subtle.importKey("raw", SECRET, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = await webcrypto.subtle.sign("HMAC", key, new TextEncoder().encode('1700000000.{"a":1}'));
    expect(signWebhook(SECRET, 1_700_000_000, '{"a":1}')).toBe(`sha256=${Buffer.from(mac).toString("hex")}`);
  });

  it("return false for a missing or malformed header or timestamp, and throw only for a short key", () => {
    const good = signWebhook(SECRET, NOW_SECONDS, "{}");
    for (const header of [undefined, null, "", good.slice(7), "sha1=" + good.slice(7), good.slice(0, -2), good + "00", good.slice(0, -1) + "g"]) {
      expect(verifyWebhookSignature(SECRET, NOW_SECONDS, "{}", header, NOW_SECONDS)).toBe(false);
    }
    for (const timestamp of ["", "-1", "1.5e9", "abc"]) expect(verifyWebhookSignature(SECRET, timestamp, "{}", good, NOW_SECONDS)).toBe(false);
    expect(verifyWebhookSignature(SECRET, NOW_SECONDS, Buffer.from("{}"), good.toUpperCase().replace("SHA256", "sha256"), NOW_SECONDS)).toBe(true);
    expect(() => signWebhook(new Uint8Array(31), 1, "{}")).toThrow(TypeError);
    expect(() => verifyWebhookSignature(new Uint8Array(31), 1, "{}", good, 1)).toThrow(TypeError);
  });
});

describe("retries", () => {
  it("retries after 500 and 429, re-signing each attempt under the same delivery id, then stops on success", async () => {
    const replies = [500, 429, 200];
    const receiver = await startReceiver((i) => replies[i] ?? 200);
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log);
    notifier.notify(notification("evt-1"));
    await notifier.close();

    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.map((r) => r.headers["x-gatehouse-delivery"])).toEqual(["evt-1", "evt-1", "evt-1"]);
    expect(receiver.received.every((r) => isSigned(r))).toBe(true);
    expect(log.warnings()).toEqual([]);
  });

  it("does not retry a 400", async () => {
    const receiver = await startReceiver(() => 400);
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log);
    notifier.notify(notification("evt-1"));
    await notifier.close();

    expect(receiver.received).toHaveLength(1);
    expect(log.warnings()).toMatchObject([{ obj: { notificationId: "evt-1", attempts: 1, status: 400 }, msg: "webhook delivery failed; giving up" }]);
  });

  it("does not follow a redirect with the signed body", async () => {
    const receiver = await startReceiver((i) =>
      i === 0 ? (res) => res.writeHead(307, { location: "/elsewhere" }).end() : 200,
    );
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log);
    notifier.notify(notification("evt-1"));
    await notifier.close();

    expect(receiver.received.map((r) => r.url)).toEqual(["/hook"]);
    expect(log.warnings()).toMatchObject([{ obj: { status: 307 } }]);
  });

  it("gives up after maxAttempts and logs a warning holding neither the secret, a signature nor the body", async () => {
    const receiver = await startReceiver(() => 503);
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log, { maxAttempts: 3 });
    notifier.notify(notification("evt-1"));
    await notifier.close();

    expect(receiver.received).toHaveLength(3);
    expect(log.warnings()).toMatchObject([{ obj: { notificationId: "evt-1", type: "two-factor-disabled", attempts: 3, status: 503 } }]);
    const written = JSON.stringify(log.entries);
    const secret = Buffer.from(SECRET);
    for (const leak of [secret.toString("hex"), secret.toString("base64"), secret.toString("base64url"), "sha256=", "alice", "203.0.113.7"]) {
      expect(written).not.toContain(leak);
    }
  });

  it("retries network errors and names the cause without its message", async () => {
    const receiver = await startReceiver(() => 200);
    receiver.close(); // nothing listens on the port any more
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log, { maxAttempts: 2 });
    notifier.notify(notification("evt-1"));
    await notifier.close();

    expect(log.entries.map((e) => e.msg)).toEqual(["webhook delivery failed; will retry", "webhook delivery failed; giving up"]);
    expect(log.warnings()[0]?.obj).toMatchObject({ attempts: 2, error: "TypeError: ECONNREFUSED" });
  });

  it("times out a receiver that never answers and retries, while notify() returns at once", async () => {
    const receiver = await startReceiver((i) => (i === 0 ? "hang" : 200));
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log, { timeoutMs: 200 });

    // notify() is synchronous: it returns nothing to await, before the receiver has seen anything.
    expect(notifier.notify(notification("evt-1"))).toBeUndefined();
    expect(receiver.received).toHaveLength(0);
    await receiver.arrived(1); // the first attempt is now hanging
    expect(notifier.notify(notification("evt-2"))).toBeUndefined();
    await notifier.close();

    expect(receiver.received.map((r) => r.headers["x-gatehouse-delivery"])).toEqual(["evt-1", "evt-1", "evt-2"]);
    expect(log.entries.find((e) => e.msg === "webhook delivery failed; will retry")?.obj).toMatchObject({ notificationId: "evt-1", error: "TimeoutError" });
    expect(log.warnings()).toEqual([]);
  });
});

describe("the bounded queue", () => {
  it("keeps only the newest maxQueue pending notifications while the receiver stalls, and logs each drop", async () => {
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver((i) => (i === 0 ? (res) => void stalled.then(() => res.end()) : 200));
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log, { maxQueue: 3 });

    notifier.notify(notification("n0"));
    await receiver.arrived(1); // n0 is in flight and stalled
    for (let i = 1; i <= 10; i++) notifier.notify(notification(`n${i}`));
    expect(log.warnings().map((w) => w.obj.notificationId)).toEqual(["n1", "n2", "n3", "n4", "n5", "n6", "n7"]);
    expect(log.warnings()[0]).toMatchObject({ obj: { maxQueue: 3 }, msg: "webhook queue full; dropped the oldest notification" });

    release();
    await notifier.close();
    expect(receiver.received.map((r) => r.headers["x-gatehouse-delivery"])).toEqual(["n0", "n8", "n9", "n10"]);
  });
});

describe("close()", () => {
  it("delivers everything still queued, in order, before it resolves", async () => {
    const receiver = await startReceiver(() => (res) => setImmediate(() => res.end()));
    const notifier = notifierFor(receiver.url, captureLogger());
    for (let i = 1; i <= 5; i++) notifier.notify(notification(`evt-${i}`));
    await notifier.close();
    expect(receiver.received.map((r) => r.headers["x-gatehouse-delivery"])).toEqual(["evt-1", "evt-2", "evt-3", "evt-4", "evt-5"]);
  });

  it("stops accepting: a notification after close() is dropped with a warning", async () => {
    const receiver = await startReceiver(() => 200);
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log);
    await notifier.close();
    notifier.notify(notification("late"));
    await notifier.close();
    expect(receiver.received).toHaveLength(0);
    expect(log.warnings()).toMatchObject([{ obj: { notificationId: "late" }, msg: "webhook notifier closed; notification dropped" }]);
  });

  it("gives up after closeTimeoutMs, aborting the request in flight, and logs how many were lost", async () => {
    const receiver = await startReceiver(() => "hang");
    const log = captureLogger();
    const notifier = notifierFor(receiver.url, log, { timeoutMs: 60_000, closeTimeoutMs: 100 });
    notifier.notify(notification("evt-1"));
    notifier.notify(notification("evt-2"));
    await receiver.arrived(1);
    await notifier.close();

    expect(receiver.received).toHaveLength(1);
    expect(log.warnings()).toMatchObject([{ obj: { undelivered: 2 }, msg: "webhook notifier closed before its queue drained" }]);
  });
});

describe("createWebhookNotifier options", () => {
  const logger = { warn() {} };
  const base = { url: new URL("https://hooks.example.com/gatehouse"), secret: SECRET, logger };

  it("accepts https, loopback http, and other http only with allowInsecureHTTP", () => {
    expect(() => createWebhookNotifier(base)).not.toThrow();
    expect(() => createWebhookNotifier({ ...base, url: new URL("http://localhost:8080/") })).not.toThrow();
    expect(() => createWebhookNotifier({ ...base, url: new URL("http://[::1]/") })).not.toThrow();
    expect(() => createWebhookNotifier({ ...base, url: new URL("http://hooks.internal/") })).toThrow(/https/);
    expect(() => createWebhookNotifier({ ...base, url: new URL("http://hooks.internal/"), allowInsecureHTTP: true })).not.toThrow();
  });

  it("refuses a short secret, a URL with credentials or another scheme, and non-positive limits with a TypeError", () => {
    expect(() => createWebhookNotifier({ ...base, secret: new Uint8Array(31) })).toThrow(/at least 32 bytes/);
    expect(() => createWebhookNotifier({ ...base, url: new URL("https://u:p@hooks.example.com/") })).toThrow(/credentials/);
    expect(() => createWebhookNotifier({ ...base, url: new URL("ftp://hooks.example.com/") })).toThrow(TypeError);
    expect(() => createWebhookNotifier({ ...base, maxQueue: 0 })).toThrow(/maxQueue/);
    expect(() => createWebhookNotifier({ ...base, maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => createWebhookNotifier({ ...base, timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});

describe("exponentialBackoffMs", () => {
  it("doubles from 500 ms with half of each wait random, capped at 30 s", () => {
    expect([1, 2, 3].map((n) => exponentialBackoffMs(n, () => 0))).toEqual([250, 500, 1000]);
    expect([1, 2, 3].map((n) => exponentialBackoffMs(n, () => 1))).toEqual([500, 1000, 2000]);
    expect(exponentialBackoffMs(20, () => 1)).toBe(30_000);
    expect(exponentialBackoffMs(20, () => 0)).toBe(15_000);
  });
});
