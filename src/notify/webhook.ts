// Webhook notifier: POSTs each user notification as JSON, signed with HMAC-SHA256, from a bounded
// in-memory queue drained by one sequential worker. notify() only enqueues, so a slow or dead
// receiver can never hold up a sign-in; when the queue is full the oldest notification is dropped.
//
// How a receiver verifies a delivery (the Stripe/GitHub webhook scheme, with the time inside the MAC):
//   1. Read the raw request body bytes; do not re-serialise parsed JSON.
//   2. Recompute HMAC-SHA256(secret, `${X-Gatehouse-Timestamp}.${body}`) and compare it with the hex
//      after "sha256=" in X-Gatehouse-Signature in constant time (verifyWebhookSignature does both).
//   3. Reject a timestamp more than 5 minutes from your clock: a captured delivery cannot be replayed
//      later, because changing the timestamp breaks the MAC.
//   4. Drop a repeated X-Gatehouse-Delivery id: a retry after a lost response re-sends the same id.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "../core/ports.js";
import { normalizeNotification, type Notifier, type UserNotification } from "./notifier.js";

export interface WebhookNotifierOptions {
  url: URL;
  /** HMAC key shared with the receiver, at least 32 bytes (RFC 2104: no shorter than the hash output). */
  secret: Uint8Array;
  logger: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
  /** Pending notifications kept while the receiver is slow or down. Default 1000. */
  maxQueue?: number;
  /** Attempts per notification, the first included. Default 5. */
  maxAttempts?: number;
  /** Per request. Default 5000. */
  timeoutMs?: number;
  /** Wait after failed attempt number `attempt` (1-based). Default exponentialBackoffMs. */
  backoffMs?: (attempt: number) => number;
  /** How long close() waits for the queue to drain before aborting. Default 5000. */
  closeTimeoutMs?: number;
  /** Plain http:// leaks usernames and addresses on the wire; allowed for loopback, or with this flag. */
  allowInsecureHTTP?: boolean;
  clock?: Clock;
  fetch?: typeof fetch;
}

const MIN_SECRET_BYTES = 32;
const SIGNATURE_PREFIX = "sha256=";

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function signWebhook(secret: Uint8Array, timestamp: number | string, body: string | Uint8Array): string {
  checkSecret(secret);
  const mac = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
  return SIGNATURE_PREFIX + mac;
}

/**
 * True when `header` is the signature of `timestamp` and `body` and the timestamp is within
 * `toleranceSeconds` of `nowSeconds` either way. A wrong or malformed header is `false`, not an error.
 */
export function verifyWebhookSignature(
  secret: Uint8Array,
  timestamp: number | string,
  body: string | Uint8Array,
  header: string | null | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  checkSecret(secret);
  const text = String(timestamp);
  if (!/^\d{1,15}$/.test(text) || Math.abs(nowSeconds - Number(text)) > toleranceSeconds) return false;
  if (typeof header !== "string" || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const given = Buffer.from(header.slice(SIGNATURE_PREFIX.length), "hex");
  const expected = createHmac("sha256", secret).update(`${text}.`).update(body).digest();
  // R60: compare the MACs in constant time; the lengths are fixed by the regex above.
  return timingSafeEqual(given, expected);
}

/** 500 ms · 2^(attempt-1), capped at 30 s, with "equal jitter" (half fixed, half random) so retries spread out. */
export function exponentialBackoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

interface Pending {
  id: string;
  type: string;
  body: string;
}

type Outcome = { ok: true; status: number } | { ok: false; retryable: boolean; status?: number; error?: string };

export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const { url, secret, logger } = options;
  checkURL(url, options.allowInsecureHTTP === true);
  checkSecret(secret);
  const maxQueue = positiveInteger(options.maxQueue ?? 1000, "maxQueue");
  const maxAttempts = positiveInteger(options.maxAttempts ?? 5, "maxAttempts");
  const timeoutMs = positiveInteger(options.timeoutMs ?? 5000, "timeoutMs");
  const closeTimeoutMs = positiveInteger(options.closeTimeoutMs ?? 5000, "closeTimeoutMs");
  const backoffMs = options.backoffMs ?? ((attempt: number) => exponentialBackoffMs(attempt));
  const clock = options.clock ?? { now: () => Date.now() };
  const fetchImpl = options.fetch ?? fetch;
  const key = Uint8Array.from(secret); // the caller may reuse or wipe its buffer

  const queue: Pending[] = [];
  const shutdown = new AbortController(); // cuts backoff waits and the request in flight on close()
  let worker: Promise<void> | null = null;
  let closing: Promise<void> | null = null;

  // The log sees type, id, status and error names only: never the secret, a signature or a body.
  const warn = (obj: object, msg: string) => {
    try {
      logger.warn(obj, msg);
    } catch {
      // A failing logger must not break notify() or the worker.
    }
  };
  const info = (obj: object, msg: string) => {
    try {
      logger.info?.(obj, msg);
    } catch {
      // As above.
    }
  };

  async function drain(): Promise<void> {
    await null; // notify() returns before any delivery work starts
    try {
      while (queue.length > 0 && !shutdown.signal.aborted) await deliver(queue.shift() as Pending);
    } finally {
      worker = null; // set in the same tick the loop sees an empty queue, so no enqueue is stranded
    }
  }

  async function deliver(item: Pending): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce(item);
      if (outcome.ok) {
        info({ notificationId: item.id, type: item.type, status: outcome.status, attempts: attempt }, "webhook delivered");
        return;
      }
      if (shutdown.signal.aborted) return; // close() reports what was lost
      const { status, error } = outcome;
      if (!outcome.retryable || attempt >= maxAttempts) {
        warn({ notificationId: item.id, type: item.type, attempts: attempt, status, error }, "webhook delivery failed; giving up");
        return;
      }
      info({ notificationId: item.id, type: item.type, attempt, status, error }, "webhook delivery failed; will retry");
      await sleep(backoffMs(attempt), shutdown.signal);
    }
  }

  async function attemptOnce(item: Pending): Promise<Outcome> {
    // A fresh timestamp per attempt: a retry after a long backoff must not look like a replay.
    const timestamp = Math.floor(clock.now() / 1000);
    // A per-attempt controller tied to the shutdown signal, rather than AbortSignal.any() on the
    // long-lived shutdown signal itself, so no dependent signal accumulates across attempts.
    const attempt = new AbortController();
    const abortAttempt = () => attempt.abort(shutdown.signal.reason);
    shutdown.signal.addEventListener("abort", abortAttempt, { once: true });
    try {
      const response = await fetchImpl(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-gatehouse-event": item.type,
          "x-gatehouse-delivery": item.id,
          "x-gatehouse-timestamp": String(timestamp),
          "x-gatehouse-signature": signWebhook(key, timestamp, item.body),
        },
        body: item.body,
        // A redirect would re-send the signed body to a place nobody configured: treat it as a failure.
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), attempt.signal]),
      });
      response.body?.cancel().catch(() => {}); // the answer's body is not needed; free the connection
      if (response.ok) return { ok: true, status: response.status };
      return { ok: false, retryable: response.status === 429 || response.status >= 500, status: response.status };
    } catch (error) {
      return { ok: false, retryable: true, error: describeError(error) };
    } finally {
      shutdown.signal.removeEventListener("abort", abortAttempt);
    }
  }

  return {
    notify(notification: UserNotification): void {
      if (closing !== null) {
        warn({ notificationId: safeId(notification), type: safeType(notification) }, "webhook notifier closed; notification dropped");
        return;
      }
      let item: Pending;
      try {
        // Serialised now: the caller's object may change later, and the bytes must be stable to sign.
        const n = normalizeNotification(notification);
        item = { id: n.id, type: n.type, body: JSON.stringify(n) };
      } catch (error) {
        warn({ notificationId: safeId(notification), error: describeError(error) }, "webhook notification not serialisable; dropped");
        return;
      }
      queue.push(item);
      if (queue.length > maxQueue) {
        const dropped = queue.shift() as Pending;
        warn({ notificationId: dropped.id, type: dropped.type, maxQueue }, "webhook queue full; dropped the oldest notification");
      }
      worker ??= drain();
    },

    close(): Promise<void> {
      closing ??= (async () => {
        const running = worker;
        if (running === null) return;
        let timer: NodeJS.Timeout | undefined;
        // This timer is the one left referenced: it keeps the process alive while the queue drains.
        const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), closeTimeoutMs)));
        const outcome = await Promise.race([running.then(() => "drained" as const), deadline]);
        clearTimeout(timer);
        if (outcome === "timeout") {
          const undelivered = queue.length + 1; // the pending ones and the one in flight
          queue.length = 0;
          shutdown.abort();
          await running;
          warn({ undelivered, closeTimeoutMs }, "webhook notifier closed before its queue drained");
        }
      })();
      return closing;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    timer.unref(); // a backoff alone must not keep the process alive
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The error's name and system code (e.g. "TimeoutError", "ECONNREFUSED"); messages are left out. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === "string" ? `${error.name}: ${cause.code}` : error.name;
}

function safeId(n: UserNotification): string | undefined {
  return typeof n?.id === "string" ? n.id : undefined;
}

function safeType(n: UserNotification): string | undefined {
  return typeof n?.type === "string" ? n.type : undefined;
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SECRET_BYTES) {
    throw new TypeError(`The webhook secret must be at least ${MIN_SECRET_BYTES} bytes.`);
  }
}

function checkURL(url: URL, allowInsecureHTTP: boolean): void {
  if (!(url instanceof URL)) throw new TypeError("The webhook URL must be a URL object.");
  // fetch() refuses URLs with credentials on every request; refuse them once, here.
  if (url.username !== "" || url.password !== "") throw new TypeError("The webhook URL must not contain credentials.");
  if (url.protocol === "https:") return;
  if (url.protocol !== "http:") throw new TypeError("The webhook URL must use https: or http:.");
  const loopback = url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (!loopback && !allowInsecureHTTP) throw new TypeError("The webhook URL must use https: unless it is loopback or allowInsecureHTTP is set.");
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`The webhook option ${name} must be a positive integer.`);
  return value;
}
