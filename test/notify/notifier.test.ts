// The default (log) notifier and the list of events a user is told about.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createLogNotifier, normalizeNotification, type UserNotification } from "../../src/notify/notifier.js";
import { NOTIFY_USER_ABOUT, shouldNotify } from "../../src/notify/which-events.js";

const NOTIFICATION: UserNotification = {
  id: "evt-1",
  type: "two-factor-disabled",
  userId: "user-1",
  username: "alice",
  at: "2024-01-02T03:04:05.000Z",
  clientAddress: "203.0.113.7",
  userAgent: "Firefox",
  detail: { remaining: 3, by: "self" },
};

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe("createLogNotifier", () => {
  it("writes one info line with the notification's type, user id and username (pino as the logger)", () => {
    const { logger, lines } = captureLogger();
    createLogNotifier(logger).notify(NOTIFICATION);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: "user notification",
      notification: { id: "evt-1", type: "two-factor-disabled", userId: "user-1", username: "alice", detail: { remaining: 3, by: "self" } },
    });
  });

  it("logs only the declared fields, so a value spread in by mistake stays out of the log", () => {
    const { logger, lines } = captureLogger();
    const withExtra = { ...NOTIFICATION, totpSecret: "JBSWY3DPEHPK3PXP", detail: { ...NOTIFICATION.detail, nested: { code: "123456" } } };
    createLogNotifier(logger).notify(withExtra as unknown as UserNotification);
    expect(JSON.stringify(lines)).not.toContain("JBSWY3DPEHPK3PXP");
    expect(JSON.stringify(lines)).not.toContain("123456");
  });

  it("never throws, even when the logger does", () => {
    const notifier = createLogNotifier({
      info() {
        throw new Error("disk full");
      },
    });
    expect(() => notifier.notify(NOTIFICATION)).not.toThrow();
  });

  it("writes nothing once closed", async () => {
    const { logger, lines } = captureLogger();
    const notifier = createLogNotifier(logger);
    await notifier.close();
    notifier.notify(NOTIFICATION);
    expect(lines).toHaveLength(0);
  });
});

describe("normalizeNotification", () => {
  it("orders the fields as declared and sorts detail keys, so the serialised bytes are stable", () => {
    const shuffled = { detail: { z: 1, a: true }, at: NOTIFICATION.at, username: "alice", userId: "user-1", type: "t", id: "i", userAgent: null, clientAddress: null };
    expect(JSON.stringify(normalizeNotification(shuffled))).toBe(
      '{"id":"i","type":"t","userId":"user-1","username":"alice","at":"2024-01-02T03:04:05.000Z","clientAddress":null,"userAgent":null,"detail":{"a":true,"z":1}}',
    );
  });
});

describe("which events a user hears about", () => {
  it("includes 2FA changes, recovery-code use, lockouts and a right password with a wrong code", () => {
    for (const type of ["two-factor-enabled", "two-factor-disabled", "recovery-code-used", "second-factor-locked", "second-factor-rejected", "admin-reset-2fa", "admin-password-set"]) {
      expect(shouldNotify(type)).toBe(true);
    }
    expect(NOTIFY_USER_ABOUT.size).toBe(11);
  });

  it("leaves wrong passwords, sign-outs and ordinary sign-ins to the log", () => {
    for (const type of ["password-rejected", "password-throttled", "signed-out", "second-factor-accepted", "registered", "unknown"]) {
      expect(shouldNotify(type)).toBe(false);
    }
  });
});
