// `gatehouse user add|remove|reset-2fa|unlock NAME`: the account changes an administrator makes
// (disable, enable, password and sign-out are in user-admin.ts).
// Each is recorded in the activity log as an admin-* event with the CLI as its origin.
import { loadConfig } from "../config.js";
import { ErrorCode, isGatehouseError } from "../core/errors.js";
import { CommandFailure, type Command } from "./command.js";
import { CLI_ORIGIN, requireDatabase, withServices, withUser } from "./context.js";
import { countOf, promptHidden, readLine, writeOut } from "./io.js";

/** Never from argv, where other users see it in `ps` and it lands in shell history. */
export async function readNewPassword(name: string): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptHidden(`Password for ${name}: `);
    const second = first === null ? null : await promptHidden("Repeat the password: ");
    if (first === null || second === null) throw new CommandFailure("no password given");
    if (first !== second) throw new CommandFailure("the two passwords differ; nothing was changed");
    return first;
  }
  const line = await readLine();
  if (line === null || line === "") {
    throw new CommandFailure("no password given: type it at the prompt or pipe it as the first line of stdin");
  }
  return line;
}

const add: Command = {
  path: ["user", "add"],
  positionals: ["NAME"],
  summary: "Add a user (password from a prompt or stdin).",
  details:
    "Works also when self-registration is closed. The password is asked twice without echo on a terminal, or read from the first line of stdin\n" +
    "when stdin is a pipe; never from the command line. The new user enrolls an\n" +
    "authenticator at the first sign-in, or now with gatehouse enroll NAME.",
  async run({ positionals: [name] }) {
    const config = loadConfig();
    requireDatabase(config); // before asking for a password that could not be stored
    const password = await readNewPassword(name!);
    await withServices(config, async (services) => {
      try {
        await services.accounts.register(name!, password, { byAdmin: true, origin: CLI_ORIGIN });
      } catch (error) {
        if (isGatehouseError(error) && error.code === ErrorCode.USERNAME_TAKEN) {
          throw new CommandFailure(`a user named ${name} already exists (names are compared without case)`);
        }
        throw error;
      }
    });
    writeOut(`added user ${name}`);
  },
};

const remove: Command = {
  path: ["user", "remove"],
  positionals: ["NAME"],
  summary: "Remove a user and everything of theirs.",
  details:
    "Deletes the user with their authenticator, recovery codes, sessions and remembered browsers,\n" +
    "at once. The activity log keeps their past events.",
  async run({ positionals: [name] }) {
    await withUser(name!, async (services, user) => {
      // One DELETE: everything of theirs goes with it by cascade, or nothing does.
      if (!(await services.store.users.deleteUser(user.id))) throw new CommandFailure(`no user named ${name}`);
      await services.events.record({ type: "admin-user-removed", origin: CLI_ORIGIN, userId: user.id, detail: { username: user.username } });
    });
    writeOut(`removed user ${name}`);
  },
};

const resetTwoFactor: Command = {
  path: ["user", "reset-2fa"],
  positionals: ["NAME"],
  summary: "Turn 2FA off (a lost phone): sessions end, the next sign-in enrolls.",
  details:
    "Deletes the authenticator secret, any setup key not yet confirmed and the recovery codes,\n" +
    "forgets the user's remembered browsers, ends every session of the user (full and\n" +
    "password-only) and lifts the second-factor lock. If the password may be known to someone\n" +
    "else too, set a new one first with gatehouse user password NAME.",
  async run({ positionals: [name] }) {
    const { hadFactor, sessionsEnded } = await withUser(name!, (services, user) => services.admin.resetTwoFactor(user.id, CLI_ORIGIN));
    writeOut(
      [
        hadFactor ? `two-factor sign-in is off for ${name}` : `${name} had no authenticator`,
        `; recovery codes and remembered browsers deleted, ${countOf(sessionsEnded, "session")} ended, `,
        "second-factor lock lifted; the next sign-in enrolls a new authenticator",
      ].join(""),
    );
  },
};

const unlock: Command = {
  path: ["user", "unlock"],
  positionals: ["NAME"],
  summary: "Clear the second-factor lock, also the one after 100 failures.",
  async run({ positionals: [name] }) {
    await withUser(name!, async (services, user) => {
      await services.throttles.secondFactor.unlock(user.id);
      await services.events.record({ type: "admin-unlocked", origin: CLI_ORIGIN, userId: user.id });
    });
    writeOut(`unlocked the second factor of ${name}`);
  },
};

export const userCommands: Command[] = [add, remove, resetTwoFactor, unlock];
