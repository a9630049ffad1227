// Kysely builds and compiles a query's operation tree on every call; for the statements every
// request runs, that costs more than SQLite takes to execute them (the session-and-user join:
// about 30 µs to compile, 2 µs to run). A hot statement's shape never changes, only its values,
// so it is compiled once here, with a marker in place of each value, and run afterwards with the
// values put where the markers were. The SQL text is still Kysely's, written once for both
// dialects; only the compiling is not repeated.
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from "kysely";

/** A statement compiled once; call it with the values, in the order `build` takes them. */
export interface Precompiled<DB, Args extends unknown[], Row> {
  (...args: Args): Promise<QueryResult<Row>>;
  /** The same statement run by `executor` (a transaction) instead of the store's Kysely. */
  on(executor: Kysely<DB>): (...args: Args) => Promise<QueryResult<Row>>;
}

/**
 * Compiles `build(...markers)` once. Every value of the query must be one of `build`'s
 * arguments, used as is (compute `now - idle` before the call, not inside `build`); a literal
 * value inside the query is kept as a constant. `arity` is how many arguments `build` takes.
 */
export function precompile<DB, Args extends unknown[], Row>(
  db: Kysely<DB>,
  arity: Args["length"],
  build: (...args: Args) => Compilable<Row>,
): Precompiled<DB, Args, Row> {
  // Strings no caller ever passes as a value: each stands for one argument while compiling.
  const markers = Array.from({ length: arity }, (_, index) => `\u0000gatehouse-parameter-${index}\u0000`);
  const compiled = build(...(markers as unknown as Args)).compile();
  const slots = compiled.parameters.map((value): { argument: number } | { constant: unknown } => {
    const index = typeof value === "string" ? markers.indexOf(value) : -1;
    return index >= 0 ? { argument: index } : { constant: value };
  });
  const used = new Set(slots.flatMap((slot) => ("argument" in slot ? [slot.argument] : [])));
  if (used.size !== arity) throw new TypeError(`a precompiled query must use each of its ${arity} arguments`);
  const { sql } = compiled;
  const on = (executor: Kysely<DB>) => (...args: Args) =>
    executor.executeQuery<Row>(
      CompiledQuery.raw(
        sql,
        slots.map((slot) => ("argument" in slot ? args[slot.argument] : slot.constant)),
      ),
    );
  return Object.assign(on(db), { on });
}
