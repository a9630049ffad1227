// `gatehouse events [NAME] [--since 1h]`: the activity log, newest first, admin actions included.
import { loadConfig } from "../config.js";
import { UsageError, synopsis, type Command } from "./command.js";
import { findUser, withServices } from "./context.js";
import { formatTable, formatTime, writeJSON, writeOut } from "./io.js";
import { describeEvent, formatDetail } from "./user-info.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DEFAULT_LIMIT = 100;

/** "90s", "15m", "1h", "7d", "2w" → milliseconds; null for anything else. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : null;
}

const events: Command = {
  path: ["events"],
  positionals: ["[NAME]"],
  summary: "List security events, newest first, admin actions included.",
  details: "Each event shows where it came from: the client address, or gatehouse-cli for this tool.",
  options: {
    since: { type: "string", valueName: "DURATION", description: "only events of the last DURATION: 90s, 15m, 1h, 7d, 2w" },
    limit: { type: "string", valueName: "N", description: `at most N events (default ${DEFAULT_LIMIT})` },
    json: { type: "boolean", description: "print JSON instead of text" },
  },
  async run({ values, positionals: [name] }) {
    const usage = `usage: ${synopsis(events)}`;
    const sinceMs = typeof values.since === "string" ? parseDurationMs(values.since) : undefined;
    if (sinceMs === null) throw new UsageError(`--since wants a duration like 1h or 7d, not '${values.since}'`, usage);
    const limit = typeof values.limit === "string" ? Number(values.limit) : DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
      throw new UsageError(`--limit wants a whole number from 1 to 100000, not '${values.limit}'`, usage);
    }
    const listed = await withServices(loadConfig(), async (services) => {
      const user = name === undefined ? undefined : await findUser(services, name);
      const since = sinceMs === undefined ? undefined : services.clock.now() - sinceMs;
      const found = await services.store.events.listEvents({ ...(user ? { userId: user.id } : {}), ...(since === undefined ? {} : { since }), limit });
      const usernames = new Map((await services.store.users.listUsers()).map((u) => [u.id, u.username]));
      // A removed user's name lives on in their removal event only.
      for (const event of found) {
        const name = event.detail.username;
        if (event.type === "admin-user-removed" && event.userId !== null && typeof name === "string") usernames.set(event.userId, name);
      }
      return found.map((event) => describeEvent(event, event.userId === null ? null : (usernames.get(event.userId) ?? event.userId)));
    });
    if (values.json === true) return writeJSON(listed);
    if (listed.length === 0) return writeOut("no events");
    writeOut(
      formatTable(
        ["TIME", "EVENT", "USER", "FROM", "DETAIL"],
        listed.map((e) => [
          formatTime(Date.parse(e.at)),
          e.count > 1 ? `${e.type} (${e.count} attempts)` : e.type,
          e.username ?? "-",
          e.clientAddress ?? e.userAgent ?? "-",
          formatDetail(e.detail),
        ]),
      ),
    );
  },
};

export const eventCommands: Command[] = [events];
