// What a subcommand is, how its arguments are parsed (node:util parseArgs, strict) and how its
// help reads. Exit codes: 0 ok, 1 failed (CommandFailure and every other error), 2 usage.
import { parseArgs } from "node:util";

export interface OptionSpec {
  type: "boolean" | "string";
  short?: string;
  /** Shown in help, e.g. "DURATION" for `--since DURATION`. */
  valueName?: string;
  description: string;
}

export interface CommandInput {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  /** The words after `gatehouse`, e.g. ["user", "add"]. */
  path: string[];
  /** Positionals in help order; optional ones in brackets, e.g. ["[NAME]"]; a last "[NAME...]" takes any number. */
  positionals: string[];
  summary: string;
  /** Paragraphs shown under the usage line. */
  details?: string;
  options?: Record<string, OptionSpec>;
  run(input: CommandInput): Promise<void>;
}

/** Bad arguments: exit 2, with the usage of the command (or of the group) on stderr. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

/** An expected failure with a one-line message: exit 1. */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

export function synopsis(command: Command): string {
  const options = Object.entries(command.options ?? {}).map(([name, spec]) =>
    spec.type === "string" ? `[--${name} ${spec.valueName ?? "VALUE"}]` : `[--${name}]`,
  );
  return ["gatehouse", ...command.path, ...command.positionals, ...options].join(" ");
}

export function helpText(command: Command): string {
  const options = Object.entries({ ...command.options, help: HELP_OPTION }).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.type === "string" ? ` ${spec.valueName ?? "VALUE"}` : ""}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [
    `usage: ${synopsis(command)}`,
    "",
    command.summary,
    ...(command.details ? ["", command.details] : []),
    "",
    "options:",
    ...options.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    "",
  ].join("\n");
}

/** Parses the arguments after the command words; null when --help was asked for. */
export function parseCommandArgs(command: Command, args: string[]): CommandInput | null {
  const usage = `usage: ${synopsis(command)}`;
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...command.options, help: HELP_OPTION }, allowPositionals: true, strict: true });
  } catch (error) {
    // ERR_PARSE_ARGS_*: keep the first sentence ("Unknown option '--x'"), drop node's advice.
    const sentence = (error as Error).message.split(/\.\s|\n/)[0] ?? "invalid arguments";
    throw new UsageError(sentence.charAt(0).toLowerCase() + sentence.slice(1), usage);
  }
  if (parsed.values.help === true) return null;
  const required = command.positionals.filter((name) => !name.startsWith("[")).length;
  const given = parsed.positionals.length;
  if (given < required) {
    throw new UsageError(`missing ${command.positionals.slice(given, required).join(" ")}`, usage);
  }
  const variadic = command.positionals.at(-1)?.endsWith("...]") === true;
  if (!variadic && given > command.positionals.length) {
    // Never echo the extra argument: it is often a password typed where none is taken (R52).
    throw new UsageError(`too many arguments: ${given} given, at most ${command.positionals.length} taken`, usage);
  }
  return { values: parsed.values as CommandInput["values"], positionals: parsed.positionals };
}
