// `gatehouse user list` and `gatehouse user show NAME`: read-only views, aligned text or --json.
// Nothing secret is printed: no password hash, sealed secret, code or token hash.
import { loadConfig } from "../config.js";
import type { StoredEvent, UserRecord } from "../core/ports.js";
import type { Services } from "../services.js";
import type { Command } from "./command.js";
import { withServices, withUser } from "./context.js";
import { formatTable, formatTime, isoTime, writeJSON, writeOut } from "./io.js";

const JSON_OPTION = { json: { type: "boolean", description: "print JSON instead of text" } } as const;
const LAST_EVENTS = 10;

type TwoFactorStatus = "on" | "off" | "enrolling";

async function summarize(services: Services, user: UserRecord) {
  const now = services.clock.now();
  const factor = await services.store.totp.findFactor(user.id);
  const pending = factor ? [] : await services.store.totp.listPendingEnrollments(user.id, now);
  const status: TwoFactorStatus = factor ? "on" : pending.length > 0 ? "enrolling" : "off";
  return {
    username: user.username,
    id: user.id,
    createdAt: isoTime(user.createdAt),
    disabled: user.disabledAt !== null,
    disabledAt: user.disabledAt === null ? null : isoTime(user.disabledAt),
    twoFactor: status,
    twoFactorSince: factor ? isoTime(factor.createdAt) : null,
    recoveryCodesLeft: (await services.store.recoveryCodes.listUnused(user.id)).length,
    // The gateway's access rules match these; the app receives them as X-Gatehouse-Groups.
    groups: await services.store.groups.listGroups(user.id),
  };
}

export function describeEvent(event: StoredEvent, username: string | null) {
  return {
    at: isoTime(event.at),
    type: event.type,
    username,
    clientAddress: event.clientAddress,
    userAgent: event.userAgent,
    detail: event.detail,
    /** Attempts the row stands for: more than 1 for a repeated event kept per minute (F5). */
    count: event.count,
  };
}

export function formatDetail(detail: Record<string, string | number | boolean>): string {
  return Object.entries(detail)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
}

const list: Command = {
  path: ["user", "list"],
  positionals: [],
  summary: "List users with their 2FA status, recovery codes left, disabled ones marked.",
  options: JSON_OPTION,
  async run({ values }) {
    const users = await withServices(loadConfig(), async (services) => {
      const all = await services.store.users.listUsers();
      return Promise.all(all.map((user) => summarize(services, user)));
    });
    if (values.json === true) return writeJSON(users);
    if (users.length === 0) return writeOut("no users");
    writeOut(
      formatTable(
        ["USERNAME", "2FA", "CODES LEFT", "CREATED"],
        users.map((u) => [u.disabled ? `${u.username} (disabled)` : u.username, u.twoFactor, u.twoFactor === "on" ? String(u.recoveryCodesLeft) : "-", formatTime(Date.parse(u.createdAt))]),
      ),
    );
  },
};

const show: Command = {
  path: ["user", "show"],
  positionals: ["NAME"],
  summary: "Show a user's 2FA status, codes left, browsers and last events.",
  options: JSON_OPTION,
  async run({ values, positionals: [name] }) {
    const details = await withUser(name!, async (services, user) => {
      const now = services.clock.now();
      const devices = await services.store.devices.listDevices(user.id, now);
      const sessions = await services.store.sessions.listUserSessions(user.id, now, services.timeouts.idleMs);
      const events = await services.store.events.listEvents({ userId: user.id, limit: LAST_EVENTS });
      const throttle = await services.throttles.secondFactor.status(user.id);
      return {
        ...(await summarize(services, user)),
        secondFactorLock: throttle.hardLocked
          ? "hard-locked"
          : throttle.lockedUntil > now
            ? `locked until ${isoTime(throttle.lockedUntil)}`
            : "not locked",
        consecutiveFailures: throttle.consecutiveFailures,
        activeSessions: sessions.length,
        rememberedBrowsers: devices.map((d) => ({ label: d.label, rememberedAt: isoTime(d.createdAt), expiresAt: isoTime(d.expiresAt) })),
        lastEvents: events.map((event) => describeEvent(event, user.username)),
      };
    });
    if (values.json === true) return writeJSON(details);
    const twoFactor =
      details.twoFactorSince !== null
        ? `on since ${formatTime(Date.parse(details.twoFactorSince))}`
        : details.twoFactor === "enrolling"
          ? "off, enrollment started (a setup key was shown, not yet confirmed)"
          : "off (the next sign-in enrolls an authenticator)";
    const lines = [
      formatTable(
        ["user", details.username],
        [
          ["id", details.id],
          ["created", formatTime(Date.parse(details.createdAt))],
          ["access", details.disabledAt === null ? "enabled" : `disabled since ${formatTime(Date.parse(details.disabledAt))}`],
          ["two-factor", twoFactor],
          ["recovery codes", details.twoFactor === "on" ? `${details.recoveryCodesLeft} left` : "none"],
          ["groups", details.groups.length > 0 ? details.groups.join(", ") : "none"],
          ["code attempts", `${details.secondFactorLock}, ${details.consecutiveFailures} wrong in a row`],
          ["sessions", `${details.activeSessions} active`],
          ["remembered browsers", String(details.rememberedBrowsers.length)],
        ],
      ),
      ...details.rememberedBrowsers.map((d) => `  ${d.label}: since ${formatTime(Date.parse(d.rememberedAt))}, until ${formatTime(Date.parse(d.expiresAt))}`),
      "",
      `last events (newest first):`,
      details.lastEvents.length === 0
        ? "  none"
        : formatTable(
            ["  TIME", "EVENT", "FROM", "DETAIL"],
            details.lastEvents.map((e) => [`  ${formatTime(Date.parse(e.at))}`, e.type, e.clientAddress ?? e.userAgent ?? "-", formatDetail(e.detail)]),
          ),
    ];
    writeOut(lines.join("\n"));
  },
};

export const userInfoCommands: Command[] = [list, show];
