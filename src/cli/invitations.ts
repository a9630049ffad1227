// `gatehouse user invite [NAME]` and `gatehouse user invites [--revoke ID]`: one-time URLs to
// register with (contract: Who may register), the gateway's way in for new users.
import { loadConfig, type Config } from "../config.js";
import { usernameKey } from "../core/credentials.js";
import { DEFAULT_INVITATION_DAYS, MAX_INVITATION_DAYS } from "../core/invitations.js";
import { GATEWAY_PREFIX } from "../gateway/settings.js";
import { CommandFailure, synopsis, UsageError, type Command } from "./command.js";
import { CLI_ORIGIN, withServices } from "./context.js";
import { formatTable, formatTime, isoTime, writeJSON, writeOut } from "./io.js";

/** Where the invitee registers: on gatehouse's own pages, absolute when the public URL is known. */
export function invitationURL(config: Config, token: string): string {
  const path = `${config.gateway ? GATEWAY_PREFIX : ""}/register?invite=${token}`;
  return config.publicURL ? `${config.publicURL.origin}${path}` : path;
}

function parseDays(value: string | boolean | undefined, command: Command): number {
  if (value === undefined) return DEFAULT_INVITATION_DAYS;
  const days = typeof value === "string" && /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(days >= 1 && days <= MAX_INVITATION_DAYS)) {
    throw new UsageError(`--days must be a whole number from 1 to ${MAX_INVITATION_DAYS}`, `usage: ${synopsis(command)}`);
  }
  return days;
}

const invite: Command = {
  path: ["user", "invite"],
  positionals: ["[NAME]"],
  summary: "Print a one-time URL to register with (for NAME only, when given).",
  details:
    "The URL is printed alone on stdout; hand it to the new user. It works once, until it\n" +
    "expires or is revoked (gatehouse user invites --revoke ID), whenever GATEHOUSE_REGISTRATION\n" +
    "is not closed. It is absolute when GATEHOUSE_PUBLIC_URL is set. With NAME, the account\n" +
    "created with it has that username.",
  options: {
    days: { type: "string", valueName: "N", description: `days until it expires (1-${MAX_INVITATION_DAYS}, default ${DEFAULT_INVITATION_DAYS})` },
  },
  async run({ values, positionals: [name] }) {
    const days = parseDays(values.days, invite);
    const config = loadConfig();
    const { token, invitation } = await withServices(config, async (services) => {
      const key = name === undefined ? null : usernameKey(name);
      if (key !== null && (await services.store.users.findUserByUsernameKey(key))) {
        throw new CommandFailure(`a user named ${name} already exists`);
      }
      return services.invitations.issue(name ?? null, days, CLI_ORIGIN);
    });
    if (config.registration === "closed") {
      process.stderr.write("note: GATEHOUSE_REGISTRATION=closed: the invitation works only once registration is open or invite\n");
    }
    process.stderr.write(`invitation ${invitation.id} for ${name ?? "any username"}, expires ${formatTime(invitation.expiresAt)}\n`);
    // Alone on its line, so that `$(gatehouse user invite)` is the URL.
    writeOut(invitationURL(config, token));
  },
};

const list: Command = {
  path: ["user", "invites"],
  positionals: [],
  summary: "List invitations and their state (open, used, expired, revoked); --revoke ID ends one.",
  details: "The tokens are never shown: only their hashes are stored. Spent invitations are listed for 30 days after they expire.",
  options: {
    revoke: { type: "string", valueName: "ID", description: "revoke the open invitation with this id" },
    json: { type: "boolean", description: "print JSON instead of text" },
  },
  async run({ values }) {
    const revoke = values.revoke;
    if (typeof revoke === "string") {
      const revoked = await withServices(loadConfig(), (services) => services.invitations.revoke(revoke, CLI_ORIGIN));
      if (!revoked) throw new CommandFailure(`no open invitation with id ${revoke}`);
      return writeOut(`revoked invitation ${revoke}`);
    }
    const invitations = await withServices(loadConfig(), (services) => services.invitations.list());
    const rows = invitations.map((i) => ({
      id: i.id,
      username: i.username,
      createdAt: isoTime(i.createdAt),
      expiresAt: isoTime(i.expiresAt),
      state: i.state,
    }));
    if (values.json === true) return writeJSON(rows);
    if (rows.length === 0) return writeOut("no invitations");
    writeOut(
      formatTable(
        ["ID", "USERNAME", "CREATED", "EXPIRES", "STATE"],
        invitations.map((i) => [i.id, i.username ?? "any", formatTime(i.createdAt), formatTime(i.expiresAt), i.state]),
      ),
    );
  },
};

export const invitationCommands: Command[] = [invite, list];
