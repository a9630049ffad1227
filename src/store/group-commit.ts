// The embedded database's Kysely driver, with group commit.
//
// Why: every commit waits for fsync (synchronous=FULL keeps acknowledged enrollments and used
// codes through a power cut), and better-sqlite3 waits on the event loop. With one commit per
// statement a right code cost about 6.5 fsyncs (throttle charge, replay guard, event, throttle
// reset, session reissue), and the second-factor step ran at a few hundred requests a second
// whatever the CPU. Here every write of the same event-loop turn joins one transaction (a
// batch), committed with one fsync in the check phase of that turn.
//
// The price is that a statement returns before it is durable. Whoever shows a write to the
// outside (a response, a notification) first awaits the settle function that `watch()` gave it
// when its work began: it resolves once every batch since is committed, and rejects if any of
// them was lost. The web layer does this for every response in one hook (src/web/app.ts).
//
// What stays true:
// - The statements still run one at a time on the single connection, in the order they arrive,
//   so the replay guard's compare-and-set and the throttle's charge see every earlier write,
//   committed or not, exactly as with one commit per statement.
// - A Kysely transaction is a SAVEPOINT inside the batch, with the connection to itself until it
//   ends (other statements wait), so it commits or rolls back as a whole.
// - A statement that fails (a unique violation) undoes only itself, as SQLite does inside any
//   transaction. A batch SQLite rolled back as a whole (disk full, I/O error), or whose COMMIT
//   failed, fails every settle function watching since before it: those answers become 503.
// - When the ROLLBACK of a lost batch fails too, every statement answers STORE_UNAVAILABLE until a
//   ROLLBACK, tried again before each, succeeds: no read sees the lost writes meanwhile.
// - Other processes (the CLI) see the write lock held only from a batch's first write to its
//   COMMIT, in the same turn; they wait for it through busy_timeout as before.
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from "kysely";
import type { Durability } from "../core/ports.js";
import type { StatementSource } from "./statement-cache.js";
import { storeUnavailable } from "./unavailable.js";

export interface GroupCommitStatement {
  /** True when the statement returns rows (a SELECT, or a write with RETURNING). */
  readonly reader: boolean;
  /** True when the statement cannot change the database. */
  readonly readonly: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** What the driver needs of a better-sqlite3 Database besides its statements. */
export interface GroupCommitDatabase {
  exec(sql: string): unknown;
  readonly inTransaction: boolean;
}

const SAVEPOINT = "gatehouse_transaction";

/** How long a batch waits for another connection's write lock: the busy_timeout set on open. */
export const LOCK_WAIT_MS = 5_000;

/** More handles than queries are ever in flight at once under load (one per request step). */
const MAX_IDLE_CONNECTIONS = 256;

/** A batch lost after its statements returned: the answer that relied on it is refused (503). */
const batchLost = (why: string) => storeUnavailable(new Error(why));

/** The dialect (for Kysely) and the durability of its writes (for whoever answers). */
export function groupCommitSqlite(
  database: GroupCommitDatabase,
  statements: StatementSource<GroupCommitStatement>,
): { dialect: Dialect; durability: Durability } {
  const driver = new GroupCommitDriver(database, statements);
  return {
    dialect: {
      createDriver: () => driver,
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createAdapter: () => new SqliteAdapter(),
      createIntrospector: (db) => new SqliteIntrospector(db),
    },
    durability: { watch: () => driver.watch() },
  };
}

class BatchConnection implements DatabaseConnection {
  /** Inside a Kysely transaction, which has the connection to itself until it ends. */
  inTransaction = false;

  constructor(private readonly driver: GroupCommitDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.inTransaction ? this.driver.runInTransaction<R>(query) : this.driver.run<R>(query);
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    // Streaming would keep a cached statement busy across turns; the stores never stream.
    throw new Error("the SQLite store does not stream queries");
  }
}

class GroupCommitDriver implements Driver {
  /** True between our BEGIN IMMEDIATE and the COMMIT (or the rollback SQLite did by itself). */
  #batchOpen = false;
  #commitScheduled = false;
  /**
   * Handles for Kysely, all on the one SQLite connection; one per query in flight. Reused so that
   * the outage wrapper (src/store/unavailable.ts) finds its wrapper of each in its WeakMap
   * instead of building one per query.
   */
  readonly #idleConnections: BatchConnection[] = [];
  /** The BEGIN IMMEDIATE under way, shared by every statement that needs the batch meanwhile. */
  #opening: Promise<void> | undefined;
  /** Settles at the end of the next COMMIT: resolved with whether batches were lost by then. */
  #nextCommit: { promise: Promise<void>; resolve(): void } | undefined;
  /** How many batches were lost since the start: a settle function compares it with its own. */
  #lostBatches = 0;
  /** Settles when the Kysely transaction that has the connection ends; undefined when none has. */
  #transactionEnded: Promise<void> | undefined;
  #endTransaction: (() => void) | undefined;
  /**
   * A lost batch's ROLLBACK failed too (review S1): the connection is still inside that
   * transaction. Its reads would see the lost writes and every BEGIN would fail ("cannot start a
   * transaction within a transaction"), so no statement runs until a ROLLBACK succeeds.
   */
  #rollbackOwed = false;

  constructor(
    private readonly database: GroupCommitDatabase,
    private readonly statements: StatementSource<GroupCommitStatement>,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#idleConnections.pop() ?? new BatchConnection(this);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (this.#idleConnections.length < MAX_IDLE_CONNECTIONS) this.#idleConnections.push(connection as BatchConnection);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // Checked and taken with no await in between (see #transactionFree).
    while (this.#transactionEnded !== undefined) await this.#transactionEnded;
    this.#transactionEnded = new Promise((resolve) => (this.#endTransaction = resolve));
    try {
      this.#assertOutOfLostBatch();
      await this.#openBatch();
      this.database.exec(`SAVEPOINT ${SAVEPOINT}`);
    } catch (error) {
      this.#releaseTransaction();
      throw error;
    }
    (connection as BatchConnection).inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as BatchConnection).inTransaction = false;
    try {
      this.#assertBatchAlive();
      this.database.exec(`RELEASE ${SAVEPOINT}`);
    } finally {
      this.#releaseTransaction();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as BatchConnection).inTransaction = false;
    try {
      // Already gone if SQLite rolled the whole batch back.
      if (this.#batchOpen && this.database.inTransaction) this.database.exec(`ROLLBACK TO ${SAVEPOINT}; RELEASE ${SAVEPOINT}`);
    } finally {
      this.#releaseTransaction();
    }
  }

  async destroy(): Promise<void> {
    await this.#transactionFree();
    if (this.#batchOpen) await this.#committed();
    this.statements.close();
  }

  /** A settle function: resolves once every write made so far is committed (see the top). */
  watch(): () => Promise<void> {
    const lostBefore = this.#lostBatches;
    return async () => {
      if (this.#batchOpen) await this.#committed();
      if (this.#lostBatches !== lostBefore) throw batchLost("a write could not be committed");
    };
  }

  /** A statement outside any transaction. */
  async run<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.statements.prepare(query.sql);
    for (;;) {
      // Checked right before the statement runs (see #transactionFree): a statement run inside
      // another caller's transaction would be undone by its ROLLBACK TO.
      while (this.#transactionEnded !== undefined) await this.#transactionEnded;
      this.#assertOutOfLostBatch();
      if (statement.readonly || this.#batchOpen) return this.#execute<R>(statement, query);
      await this.#openBatch();
    }
  }

  /** A statement of the transaction that has the connection. */
  async runInTransaction<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.#assertBatchAlive();
    return this.#execute<R>(this.statements.prepare(query.sql), query);
  }

  #execute<R>(statement: GroupCommitStatement, { parameters }: CompiledQuery): QueryResult<R> {
    try {
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } catch (error) {
      if (this.#batchOpen && !this.database.inTransaction) this.#loseBatch();
      throw error;
    }
  }

  /**
   * Resolves once no Kysely transaction has the connection; NOT a lock: the caller resumes a few
   * microtasks later, when another waiter may have begun one. Whoever must act with the
   * connection free loops on `#transactionEnded` itself, with no await between its last check
   * and its action: two waiters woken together once both began, interleaving two transactions
   * on the one connection, and a ROLLBACK TO of one undid the other's writes.
   */
  async #transactionFree(): Promise<void> {
    while (this.#transactionEnded !== undefined) await this.#transactionEnded;
  }

  #releaseTransaction(): void {
    const end = this.#endTransaction;
    this.#transactionEnded = undefined;
    this.#endTransaction = undefined;
    end?.();
  }

  async #openBatch(): Promise<void> {
    while (!this.#batchOpen) {
      if (this.#opening === undefined) {
        this.#opening = this.#begin().finally(() => (this.#opening = undefined));
      }
      await this.#opening;
    }
  }

  /**
   * BEGIN IMMEDIATE takes the write lock now, so a later write of the batch cannot fail on a
   * snapshot another process has moved past. While another connection holds the lock (the CLI,
   * or a second store on the same file in this process) it is retried from a timer, never by
   * SQLite's busy handler, which would block the event loop, and with it that other store's
   * COMMIT when it lives in this process.
   */
  async #begin(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      try {
        this.database.exec("PRAGMA busy_timeout = 0");
        try {
          this.database.exec("BEGIN IMMEDIATE");
        } finally {
          this.database.exec(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`);
        }
        break;
      } catch (error) {
        if ((error as { code?: unknown }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    this.#batchOpen = true;
    if (!this.#commitScheduled) {
      this.#commitScheduled = true;
      setImmediate(() => void this.#commit());
    }
  }

  #assertBatchAlive(): void {
    if (!this.#batchOpen || !this.database.inTransaction) throw batchLost("the transaction was rolled back by SQLite");
  }

  #committed(): Promise<void> {
    if (this.#nextCommit === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#nextCommit = { promise, resolve };
    }
    return this.#nextCommit.promise;
  }

  async #commit(): Promise<void> {
    // A transaction in progress belongs to this batch: commit once it has ended (checked with
    // no await before the COMMIT, see #transactionFree).
    while (this.#transactionEnded !== undefined) await this.#transactionEnded;
    this.#commitScheduled = false;
    if (this.#batchOpen) {
      this.#batchOpen = false;
      try {
        this.database.exec("COMMIT");
      } catch {
        this.#lostBatches++;
        this.#rollBackLostBatch();
      }
    }
    const waiting = this.#nextCommit;
    this.#nextCommit = undefined;
    waiting?.resolve();
  }

  /** Leaves the lost batch's transaction if SQLite has not already; false while it cannot. */
  #rollBackLostBatch(): boolean {
    try {
      if (this.database.inTransaction) this.database.exec("ROLLBACK");
      this.#rollbackOwed = false;
    } catch {
      // An I/O fault may pass: the ROLLBACK is tried again before the next statement.
      this.#rollbackOwed = this.database.inTransaction;
    }
    return !this.#rollbackOwed;
  }

  /** Refuses (STORE_UNAVAILABLE) while the connection is stuck inside a lost batch. */
  #assertOutOfLostBatch(): void {
    if (this.#rollbackOwed && !this.#rollBackLostBatch()) throw batchLost("a lost transaction could not be rolled back");
  }

  #loseBatch(): void {
    this.#batchOpen = false;
    this.#lostBatches++;
  }
}
