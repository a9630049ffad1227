// The one place that decides "the database is down", as opposed to "this query is wrong".
//
// Why a dialect wrapper: a KyselyPlugin sees queries and results but never errors, and wrapping
// each store method would have to be repeated for every new method. Every statement, transaction
// and connection of a store goes through its Driver, so wrapping the driver covers them all.
// An outage leaves here as GatehouseError(STORE_UNAVAILABLE) with the driver's error as `cause`;
// the web maps that code to 503 like any other code (src/web/errors.ts) without knowing any
// driver, and fails closed: nothing that needed the store (a throttle, a replay guard, a
// session) is skipped, the request is refused. Every other error passes through untouched
// (a unique violation is an answer, not an outage).
import type { DatabaseConnection, Dialect, Driver, QueryCompiler, TransactionSettings } from "kysely";
import { ErrorCode, GatehouseError } from "../core/errors.js";

// better-sqlite3 puts the extended result code in `code` (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT):
// the file is locked, unreadable, unwritable or full, not the statement wrong.
const SQLITE_OUTAGES = ["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_FULL"];

// PostgreSQL SQLSTATE: class 08 connection exception and class 53 insufficient resources, plus
// admin/crash shutdown and "cannot connect now" (57P01-57P03) and a read-only standby (25006).
const POSTGRES_OUTAGE_CLASSES = ["08", "53"];
const POSTGRES_OUTAGES = ["57P01", "57P02", "57P03", "25006"];

// Socket errors on the way to the server.
const NETWORK_OUTAGES = ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"];

// pg reports a dropped or never-made connection without a code, only with these messages.
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /not queryable/,
  /^timeout exceeded when trying to connect/,
];

/** True when the error says the database cannot be used right now, whichever driver raised it. */
export function isDatabaseOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (SQLITE_OUTAGES.some((primary) => code === primary || code.startsWith(`${primary}_`))) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && (POSTGRES_OUTAGES.includes(code) || POSTGRES_OUTAGE_CLASSES.includes(code.slice(0, 2)))) return true;
    if (NETWORK_OUTAGES.includes(code)) return true;
  }
  return PG_CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** The error the rest of gatehouse sees. The message is for operators (CLI, logs); pages stay generic. */
export function storeUnavailable(cause: unknown): GatehouseError {
  const error = new GatehouseError(ErrorCode.STORE_UNAVAILABLE, `the database is unavailable: ${describe(cause)}`);
  error.cause = cause;
  return error;
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  return typeof code === "string" && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw isDatabaseOutage(error) ? storeUnavailable(error) : error;
  }
}

/** The same dialect, whose driver reports outages as STORE_UNAVAILABLE. */
export function reportingOutages(dialect: Dialect): Dialect {
  return {
    createDriver: () => new OutageReportingDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

type CompileQuery = QueryCompiler["compileQuery"];

class OutageReportingDriver implements Driver {
  /** Ours → the inner driver's: it is handed back its own (pg's carries private release methods). */
  readonly #inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
  /**
   * The inner driver's → ours. Both drivers hand out the same connection object again (SQLite
   * has one, pg one per pooled client), so each gets one wrapper, not a new one per query.
   */
  readonly #outer = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(private readonly driver: Driver) {}

  init() {
    return guard(() => this.driver.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let connection: DatabaseConnection;
    try {
      connection = await this.driver.acquireConnection();
    } catch (error) {
      // Whatever the reason (refused, timed out, pool exhausted, bad password), no connection
      // means no store for this request.
      throw storeUnavailable(error);
    }
    let outer = this.#outer.get(connection);
    if (outer === undefined) {
      const inner = connection;
      outer = {
        executeQuery: (query) => guard(() => inner.executeQuery(query)),
        // Unused by the stores (they never stream); passed through as is.
        streamQuery: (query, chunkSize) => inner.streamQuery(query, chunkSize),
      };
      this.#outer.set(inner, outer);
      this.#inner.set(outer, inner);
    }
    return outer;
  }

  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return this.#inner.get(connection) ?? connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return guard(() => this.driver.beginTransaction(this.#unwrap(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection) {
    return guard(() => this.driver.commitTransaction(this.#unwrap(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection) {
    return guard(() => this.driver.rollbackTransaction(this.#unwrap(connection)));
  }

  savepoint(connection: DatabaseConnection, name: string, compileQuery: CompileQuery) {
    return guard(() => this.#savepoints().savepoint(this.#unwrap(connection), name, compileQuery));
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: CompileQuery) {
    return guard(() => this.#savepoints().rollbackToSavepoint(this.#unwrap(connection), name, compileQuery));
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: CompileQuery) {
    return guard(() => this.#savepoints().releaseSavepoint(this.#unwrap(connection), name, compileQuery));
  }

  #savepoints(): Required<Pick<Driver, "savepoint" | "rollbackToSavepoint" | "releaseSavepoint">> {
    const { savepoint, rollbackToSavepoint, releaseSavepoint } = this.driver;
    if (!savepoint || !rollbackToSavepoint || !releaseSavepoint) throw new Error("this driver has no savepoints");
    return {
      savepoint: savepoint.bind(this.driver),
      rollbackToSavepoint: rollbackToSavepoint.bind(this.driver),
      releaseSavepoint: releaseSavepoint.bind(this.driver),
    };
  }

  releaseConnection(connection: DatabaseConnection) {
    return this.driver.releaseConnection(this.#unwrap(connection));
  }

  destroy() {
    return this.driver.destroy();
  }
}
