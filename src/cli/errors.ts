// Every failure ends as one line on stderr, never a stack trace: the one place that turns an
// error into that line.
import { ConfigError } from "../config.js";
import { ErrorCode, isGatehouseError } from "../core/errors.js";
import { CommandFailure } from "./command.js";

/** SQLite result codes an operator can act on (better-sqlite3 puts them in `code`). */
const SQLITE_MESSAGES: Record<string, string> = {
  SQLITE_READONLY: "the database is read-only (check the file's permissions and the disk)",
  SQLITE_BUSY: "the database is locked by another process; try again",
  SQLITE_CANTOPEN: "the database file cannot be opened",
  SQLITE_NOTADB: "the database file is not a SQLite database",
  SQLITE_CORRUPT: "the database file is damaged",
  SQLITE_FULL: "the disk is full",
  SQLITE_IOERR: "the database file could not be read or written",
};

/** Node file-system error codes, for the key files and the data folder. */
const ERRNO_MESSAGES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOSPC: "no space left on the device",
  EISDIR: "a directory is in the way",
};

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** `withPath: false` when the caller's sentence already names the file. */
export function describeError(error: unknown, { withPath = true } = {}): string {
  let message: string;
  if (error instanceof CommandFailure || error instanceof ConfigError) {
    message = error.message;
  } else if (isGatehouseError(error)) {
    message = error.code === ErrorCode.THROTTLED ? "too many wrong codes: the second factor is locked" : error.message;
  } else {
    const code = codeOf(error) ?? "";
    // Extended SQLite codes (SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE…) share their primary's message.
    const sqlite = Object.keys(SQLITE_MESSAGES).find((primary) => code === primary || code.startsWith(`${primary}_`));
    const known = sqlite ? SQLITE_MESSAGES[sqlite] : ERRNO_MESSAGES[code];
    const path = typeof error === "object" && error !== null ? (error as { path?: unknown }).path : undefined;
    if (known) message = withPath && typeof path === "string" ? `${known}: ${path}` : known;
    else message = error instanceof Error ? error.message : String(error);
  }
  // One line whatever the message holds.
  return message.replace(/\s*\n\s*/g, " ").trim();
}
