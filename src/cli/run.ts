// Dispatch: `gatehouse WORDS… [options]` → the command, its parsed arguments, an exit code.
// 0 ok, 1 failed, 2 usage; every failure is one line on stderr.
import { helpText, parseCommandArgs, UsageError, type Command } from "./command.js";
import { enrollCommands } from "./enroll.js";
import { describeError } from "./errors.js";
import { eventCommands } from "./events.js";
import { invitationCommands } from "./invitations.js";
import { keyCommands } from "./keys.js";
import { migrateDataCommands } from "./migrate-data.js";
import { serverCommands } from "./serve.js";
import { userAdminCommands } from "./user-admin.js";
import { userGroupCommands } from "./user-groups.js";
import { userInfoCommands } from "./user-info.js";
import { userCommands } from "./user.js";
import { packageVersion } from "./version.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const [add, ...changes] = userCommands;
export const commands: Command[] = [
  ...serverCommands,
  ...migrateDataCommands,
  add!,
  ...userInfoCommands,
  ...changes,
  ...invitationCommands,
  ...userAdminCommands,
  ...userGroupCommands,
  ...enrollCommands,
  ...keyCommands,
  ...eventCommands,
];

function overview(shown: Command[], prefix: string[]): string {
  const rows = shown.map((c) => [["gatehouse", ...c.path, ...c.positionals].join(" "), c.summary] as const);
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return [
    `usage: gatehouse ${prefix.length > 0 ? `${prefix.join(" ")} ` : ""}COMMAND [options]`,
    "",
    "commands:",
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    "",
    "Run a command with --help for its options. Configuration: the server's environment",
    "(GATEHOUSE_DATA_DIR, GATEHOUSE_SECRET_KEY, ...; see README.md).",
    "Exit status: 0 ok, 1 failed, 2 usage error. gatehouse --version prints the version.",
    "",
  ].join("\n");
}

type Resolved = { command: Command; rest: string[] } | { help: string; error?: string };

function resolve(argv: string[]): Resolved {
  const asksHelp = argv[0] === "help";
  const args = asksHelp ? [...argv.slice(1), "--help"] : argv;
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith("-")) break;
    words.push(arg);
  }
  const matches = (c: Command) => c.path.every((word, i) => words[i] === word);
  const command = commands.filter(matches).sort((a, b) => b.path.length - a.path.length)[0];
  if (command) return { command, rest: args.slice(command.path.length) };
  const group = commands.filter((c) => c.path.length > 1 && c.path[0] === words[0]);
  const help = group.length > 0 ? overview(group, words.slice(0, 1)) : overview(commands, []);
  const wantsHelp = args.includes("--help") || args.includes("-h");
  if (wantsHelp && words.length <= (group.length > 0 ? 1 : 0)) return { help };
  const what = words.length === 0 ? "missing command" : `unknown command '${words.slice(0, group.length > 0 ? 2 : 1).join(" ")}'`;
  return { help, error: what };
}

export async function runCLI(argv: string[]): Promise<number> {
  try {
    if (argv.length === 1 && argv[0] === "--version") {
      process.stdout.write(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    const resolved = resolve(argv);
    if ("help" in resolved) {
      if (resolved.error === undefined) {
        process.stdout.write(resolved.help);
        return EXIT_OK;
      }
      throw new UsageError(resolved.error, resolved.help.trimEnd());
    }
    const { command, rest } = resolved;
    const input = parseCommandArgs(command, rest);
    if (input === null) {
      process.stdout.write(helpText(command));
      return EXIT_OK;
    }
    await command.run(input);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`gatehouse: ${error.message}\n${error.usage}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`gatehouse: ${describeError(error)}\n`);
    return EXIT_FAILED;
  }
}
