// The user-notification port (activity-log feature): events a user should hear about go to a
// pluggable Notifier. The default writes them to the log; webhook.ts POSTs them to a receiver.
// No framework or driver imports here, so the core and the composition root can both use it.

/** What a user is told. Never a secret, code or token (R53). */
export interface UserNotification {
  /** The security event's id: receivers use it to drop duplicate deliveries. */
  id: string;
  /** E.g. "two-factor-disabled"; see which-events.ts. */
  type: string;
  userId: string;
  username: string;
  /** ISO 8601 time of the event. */
  at: string;
  clientAddress: string | null;
  userAgent: string | null;
  detail: Record<string, string | number | boolean>;
}

export interface Notifier {
  /** Queues or writes the notification. Never throws and never waits: a sign-in must not stall on it. */
  notify(notification: UserNotification): void;
  /** Stops accepting, flushes what it can within a bounded time, then stops. */
  close(): Promise<void>;
}

/**
 * A copy with exactly the declared fields, in a fixed order, and `detail` sorted by key with only
 * string, boolean and finite-number values. Whatever else a caller attached at run time (a token
 * spread in by mistake) is left behind, and serialising the copy gives stable bytes to sign.
 */
export function normalizeNotification(n: UserNotification): UserNotification {
  const detail: Record<string, string | number | boolean> = {};
  for (const key of Object.keys(n.detail ?? {}).sort()) {
    const value: unknown = n.detail[key];
    if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) {
      detail[key] = value;
    }
  }
  return {
    id: String(n.id),
    type: String(n.type),
    userId: String(n.userId),
    username: String(n.username),
    at: String(n.at),
    clientAddress: n.clientAddress ?? null,
    userAgent: n.userAgent ?? null,
    detail,
  };
}

/** The default notifier: one info line per notification. */
export function createLogNotifier(logger: { info(obj: object, msg: string): void }): Notifier {
  let closed = false;
  return {
    notify(notification) {
      if (closed) return;
      try {
        logger.info({ notification: normalizeNotification(notification) }, "user notification");
      } catch {
        // A failing logger must not fail the sign-in that caused the notification.
      }
    },
    async close() {
      closed = true;
    },
  };
}
