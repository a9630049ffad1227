// `gatehouse user disable|enable|password|sign-out NAME`: taking an account's access away, giving
// it back, setting its password. The core (src/core/admin.ts) decides what ends; this file parses,
// calls and prints what ended.
import type { Command } from "./command.js";
import { CLI_ORIGIN, withUser } from "./context.js";
import { countOf, writeOut } from "./io.js";
import { readNewPassword } from "./user.js";

const disable: Command = {
  path: ["user", "disable"],
  positionals: ["NAME"],
  summary: "Disable a user: sign-in refused, sessions and browsers end.",
  details:
    "The right password of a disabled account answers 403 with a page saying the account is\n" +
    "disabled; a wrong one answers 401 as for anyone. Nothing else of the user is deleted:\n" +
    "gatehouse user enable NAME lets them sign in again (with a new sign-in).",
  async run({ positionals: [name] }) {
    const { changed, sessionsEnded } = await withUser(name!, (services, user) => services.admin.disable(user.id, CLI_ORIGIN));
    const state = changed ? `disabled ${name}` : `${name} was already disabled`;
    writeOut(`${state}; ${countOf(sessionsEnded, "session")} ended, remembered browsers forgotten`);
  },
};

const enable: Command = {
  path: ["user", "enable"],
  positionals: ["NAME"],
  summary: "Let a disabled user sign in again.",
  async run({ positionals: [name] }) {
    const changed = await withUser(name!, (services, user) => services.admin.enable(user.id, CLI_ORIGIN));
    writeOut(changed ? `enabled ${name}; they sign in anew` : `${name} is not disabled; nothing changed`);
  },
};

const password: Command = {
  path: ["user", "password"],
  positionals: ["NAME"],
  summary: "Set a user's password (prompt or stdin); sessions and browsers end.",
  details:
    "The password is asked twice without echo on a terminal, or read from the first line of\n" +
    "stdin when stdin is a pipe; never from the command line. The registration's password rules\n" +
    "apply. Every session and remembered browser of the user ends; the authenticator stays.",
  async run({ positionals: [name] }) {
    // The user first: no password is asked for a name that does not exist.
    const sessionsEnded = await withUser(name!, async (services, user) =>
      services.admin.setPassword(user, await readNewPassword(name!), CLI_ORIGIN),
    );
    writeOut(`set a new password for ${name}; ${countOf(sessionsEnded, "session")} ended, remembered browsers forgotten`);
  },
};

const signOut: Command = {
  path: ["user", "sign-out"],
  positionals: ["NAME"],
  summary: "End every session of a user.",
  details:
    "Full and password-only sessions end at once; the user signs in again with the password.\n" +
    "A remembered browser still skips the code then: gatehouse user password NAME ends those too.",
  async run({ positionals: [name] }) {
    const sessionsEnded = await withUser(name!, (services, user) => services.admin.signOut(user.id, CLI_ORIGIN));
    writeOut(`signed ${name} out: ${countOf(sessionsEnded, "session")} ended; remembered browsers kept`);
  },
};

export const userAdminCommands: Command[] = [disable, enable, password, signOut];
