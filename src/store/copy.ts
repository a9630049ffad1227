// Copies every row of one gatehouse database into another (`gatehouse migrate-data`): all tables
// of the schema, parents before children, in batches, inside ONE target transaction that is
// committed only after the row counts of both sides match. Rows are copied as they are: sealed
// secrets stay sealed (the same master key must open them), hashes stay hashes.
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema.js";

/** Foreign-key order: every table after the tables it references (events and invitations have no foreign key). */
export const TABLES_IN_COPY_ORDER = [
  "gatehouse_accounts",
  "gatehouse_users",
  "gatehouse_totp_factors",
  "gatehouse_pending_enrollments",
  "gatehouse_recovery_codes",
  "gatehouse_sessions",
  "gatehouse_second_factor_throttle",
  "gatehouse_remembered_devices",
  "gatehouse_login_failures",
  "gatehouse_events",
  "gatehouse_invitations",
  "gatehouse_user_groups",
] as const satisfies readonly (keyof Database)[];

export type TableName = (typeof TABLES_IN_COPY_ORDER)[number];

// A table added to the schema but not to the list above fails to compile here, so it can never
// be silently left behind.
const everyTableListed: Exclude<keyof Database, TableName> extends never ? true : never = true;
void everyTableListed;

/** Rows per INSERT: 500 × at most 8 columns stays far below PostgreSQL's 65,535 parameters. */
export const BATCH_ROWS = 500;

export type RowCounts = Record<TableName, number>;

export interface TableCount {
  table: TableName;
  source: number;
  target: number;
}

/** The target is refused because it already holds rows (and the caller did not allow it). */
export class NonEmptyTargetError extends Error {
  override name = "NonEmptyTargetError";
  constructor(readonly counts: RowCounts) {
    super("the target database is not empty");
  }
}

/** After the copy the target does not hold what it should; the transaction was rolled back. */
export class CountMismatchError extends Error {
  override name = "CountMismatchError";
  constructor(readonly mismatches: TableCount[]) {
    super("the row counts differ after the copy");
  }
}

/** A batch was refused by the target (a conflicting key, a row breaking a constraint). */
export class CopyRowsError extends Error {
  override name = "CopyRowsError";
  constructor(
    readonly table: TableName,
    override readonly cause: unknown,
  ) {
    // pg puts the offending key in `detail` ("Key (id)=(…) already exists.").
    const { message, detail } = (cause ?? {}) as { message?: unknown; detail?: unknown };
    super(`cannot copy the ${table} rows: ${String(message ?? cause)}${typeof detail === "string" ? ` (${detail})` : ""}`);
  }
}

export async function countRows(db: Kysely<Database> | Transaction<Database>): Promise<RowCounts> {
  const counts = {} as RowCounts;
  for (const table of TABLES_IN_COPY_ORDER) {
    const row = await db.selectFrom(table).select(sql<number | string>`count(*)`.as("n")).executeTakeFirstOrThrow();
    // count(*) is a BIGINT: a string from pg, a number from better-sqlite3.
    counts[table] = Number(row.n);
  }
  return counts;
}

export interface CopyOptions {
  /** Copy into a target that already holds rows; any conflicting key still rolls everything back. */
  allowNonEmpty?: boolean;
  batchRows?: number;
}

export interface CopyResult {
  counts: TableCount[];
  /** Rows the target held before the copy (all zero unless allowNonEmpty). */
  before: RowCounts;
}

/**
 * Reads the source inside one read transaction (a consistent snapshot even if a server still
 * writes) and writes the target inside one transaction: either every row arrives and the counts
 * match, or nothing is committed.
 */
export async function copyDatabase(
  source: Kysely<Database>,
  target: Kysely<Database>,
  { allowNonEmpty = false, batchRows = BATCH_ROWS }: CopyOptions = {},
): Promise<CopyResult> {
  return source.transaction().execute((reader) =>
    target.transaction().execute(async (writer) => {
      const before = await countRows(writer);
      if (!allowNonEmpty && Object.values(before).some((n) => n > 0)) throw new NonEmptyTargetError(before);
      for (const table of TABLES_IN_COPY_ORDER) await copyTable(reader, writer, table, batchRows);
      const [sourceCounts, after] = await Promise.all([countRows(reader), countRows(writer)]);
      const counts = TABLES_IN_COPY_ORDER.map((table) => ({ table, source: sourceCounts[table], target: after[table] }));
      // Checked before COMMIT: a mismatch throws, and the transaction rolls back.
      const mismatches = counts.filter(({ table, source, target }) => target - before[table] !== source);
      if (mismatches.length > 0) throw new CountMismatchError(mismatches);
      return { counts, before };
    }),
  );
}

async function copyTable(
  reader: Transaction<Database>,
  writer: Transaction<Database>,
  table: TableName,
  batchRows: number,
): Promise<void> {
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    try {
      // Plain INSERT, never ON CONFLICT: an existing row is never overwritten nor silently kept.
      await writer.insertInto(table).values(batch as never).execute();
    } catch (error) {
      throw new CopyRowsError(table, error);
    }
    batch = [];
  };
  // Streamed: a large activity log is never held in memory at once.
  for await (const row of reader.selectFrom(table).selectAll().stream(batchRows)) {
    batch.push(row as Record<string, unknown>);
    if (batch.length >= batchRows) await flush();
  }
  await flush();
}
