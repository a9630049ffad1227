// `gatehouse migrate-data --from sqlite:PATH --to postgres://…`: moves an embedded installation
// to PostgreSQL with every row (users, sealed secrets, recovery code hashes, sessions, remembered
// browsers, throttles, events) in one transaction, refusing a non-empty target unless told, and
// checking the row counts of every table before it commits.
import { resolve } from "node:path";
import type { Kysely } from "kysely";
import { throttlePolicy } from "../services.js";
import { copyDatabase, CopyRowsError, CountMismatchError, NonEmptyTargetError, type CopyResult } from "../store/copy.js";
import { NotAGatehouseDatabaseError, openCopySource, openCopyTarget } from "../store/copy-endpoints.js";
import type { Database } from "../store/schema.js";
import { CommandFailure, synopsis, UsageError, type Command } from "./command.js";
import { describeError } from "./errors.js";
import { formatTable, writeOut } from "./io.js";

const TARGET = "the PostgreSQL database"; // never the URL: it may hold a password

/** pg's errors for an unreachable server; Node's AggregateError (IPv4 and IPv6) has no message. */
function describeConnectionError(error: unknown): string {
  if (error instanceof AggregateError && error.message === "") return describeError(error.errors[0] ?? error.name);
  return describeError(error);
}

function nonEmptyMessage(error: NonEmptyTargetError): string {
  const held = Object.entries(error.counts).filter(([, n]) => n > 0).map(([table, n]) => `${table}: ${n}`);
  return `${TARGET} is not empty (${held.join(", ")}); nothing was copied (--allow-non-empty copies into it, still refusing any conflicting row)`;
}

function describeCopyFailure(error: unknown): string {
  if (error instanceof NonEmptyTargetError) return nonEmptyMessage(error);
  if (error instanceof CountMismatchError) {
    const differ = error.mismatches.map((m) => `${m.table}: source ${m.source}, target ${m.target}`).join("; ");
    return `row counts differ after the copy (${differ}); rolled back, nothing was copied`;
  }
  if (error instanceof CopyRowsError) return `${describeError(error)}; rolled back, nothing was copied`;
  return `the copy failed: ${describeConnectionError(error)}; rolled back, nothing was copied`;
}

function report(from: string, result: CopyResult, allowNonEmpty: boolean): string {
  const already = allowNonEmpty && Object.values(result.before).some((n) => n > 0);
  const header = ["TABLE", "SOURCE", ...(already ? ["ALREADY THERE"] : []), "TARGET"];
  const rows = result.counts.map(({ table, source, target }) => [
    table,
    String(source),
    ...(already ? [String(result.before[table])] : []),
    String(target),
  ]);
  return [
    `copied ${from} to ${TARGET} in one transaction; every table's count matches`,
    formatTable(header, rows),
    "Sealed TOTP secrets were copied as they are: start the server with the same master key",
    "(GATEHOUSE_SECRET_KEY or the key file) and DATABASE_URL set to the target.",
  ].join("\n");
}

const migrateData: Command = {
  path: ["migrate-data"],
  positionals: [],
  summary: "Copy an embedded (SQLite) installation into PostgreSQL.",
  details: [
    "Copies every table (users, TOTP secrets, recovery code hashes, pending enrollments, sessions,",
    "remembered browsers, throttles, events) in one PostgreSQL transaction and commits only when",
    "each table's row count matches the source. Sealed secrets are copied as they are, so the server",
    "needs the same master key. The source is first brought to the latest schema, as the server",
    "would; stop the server before copying, since later writes to the SQLite file are not moved.",
  ].join("\n"),
  options: {
    from: { type: "string", valueName: "sqlite:PATH", description: "required: the SQLite file, e.g. sqlite:data/gatehouse.sqlite" },
    to: { type: "string", valueName: "URL", description: "required: the PostgreSQL database, postgres://USER@HOST:5432/DB" },
    "allow-non-empty": {
      type: "boolean",
      description: "copy into a target that already holds rows; a conflicting row still rolls everything back",
    },
  },
  async run({ values }) {
    const usage = `usage: ${synopsis(migrateData)}`;
    const { from, to } = values;
    if (typeof from !== "string") throw new UsageError("missing --from sqlite:PATH", usage);
    if (typeof to !== "string") throw new UsageError("missing --to URL", usage);
    if (!from.startsWith("sqlite:") || from.length === "sqlite:".length) {
      throw new UsageError(`--from wants sqlite:PATH, not '${from}'`, usage);
    }
    if (!/^postgres(ql)?:\/\/./.test(to)) throw new UsageError("--to wants a postgres:// URL", usage);
    const allowNonEmpty = values["allow-non-empty"] === true;
    const file = resolve(from.slice("sqlite:".length));

    let source: Kysely<Database>;
    try {
      source = await openCopySource(file);
    } catch (error) {
      if (error instanceof NotAGatehouseDatabaseError) throw new CommandFailure(error.message);
      throw new CommandFailure(`cannot open the source ${file}: ${describeError(error, { withPath: false })}`);
    }
    try {
      let target: Kysely<Database>;
      try {
        // The policy only shapes the throttle store, which the copy never uses.
        target = await openCopyTarget(to, throttlePolicy(30));
      } catch (error) {
        throw new CommandFailure(`cannot open ${TARGET}: ${describeConnectionError(error)}`);
      }
      try {
        const result = await copyDatabase(source, target, { allowNonEmpty }).catch((error: unknown) => {
          throw new CommandFailure(describeCopyFailure(error));
        });
        writeOut(report(`sqlite:${file}`, result, allowNonEmpty));
      } finally {
        await target.destroy();
      }
    } finally {
      await source.destroy();
    }
  },
};

export const migrateDataCommands: Command[] = [migrateData];
