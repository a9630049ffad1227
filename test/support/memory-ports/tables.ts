// The in-memory store's tables: one Map per table of the SQL store (src/store/schema.ts), shared
// by every port of a store and by every store opened over the same tables, as two gatehouse
// processes share one database.
//
// Atomicity: no port method awaits anything between its first read and its last write, so each
// call runs to completion before another starts. That stands in for the SQL store's single
// statements and transactions: a compare-and-set (consumeStep, consume, replaceSession) needs
// no lock here, and concurrent callers still see exactly one winner.
import type {
  InvitationRecord,
  PendingEnrollmentRecord,
  RememberedDeviceRecord,
  SessionRecord,
  StoredEvent,
  TOTPFactorRecord,
  UserRecord,
} from "../../../src/core/ports.js";

/** A second-factor account, one per user id (gatehouse_accounts). */
export interface AccountRow {
  /** The name the authenticator app shows (the app's username, or the host's name for its user). */
  name: string;
  /** R47: bumped when a factor changes; remembered browsers of older versions fail. */
  factorVersion: number;
  createdAt: number;
}

export interface UserRow extends UserRecord {
  usernameKey: string;
}

export interface RecoveryCodeRow {
  id: string;
  userId: string;
  codeHash: string;
  usedAt: number | null;
  createdAt: number;
}

export interface ThrottleRow {
  failures: number;
  lockedUntil: number;
  lockSeconds: number;
}

export interface LoginFailureRow {
  attemptId: string;
  key: string;
  at: number;
}

export interface DeviceRow extends RememberedDeviceRecord {
  /** The account's factor version when the browser was remembered. */
  factorVersion: number;
}

export interface MemoryTables {
  /** By user id. */
  accounts: Map<string, AccountRow>;
  /** By user id. */
  users: Map<string, UserRow>;
  /** By user id. */
  groups: Map<string, Set<string>>;
  /** By user id. */
  factors: Map<string, TOTPFactorRecord>;
  /** By session id hash: one pending key per session. */
  pendingEnrollments: Map<string, PendingEnrollmentRecord>;
  /** By code id. */
  recoveryCodes: Map<string, RecoveryCodeRow>;
  /** By id hash. */
  sessions: Map<string, SessionRecord>;
  /** By user id. */
  secondFactorThrottle: Map<string, ThrottleRow>;
  /** By attempt id and key. */
  loginFailures: Map<string, LoginFailureRow>;
  /** By device id. */
  devices: Map<string, DeviceRow>;
  /** By event id. */
  events: Map<string, StoredEvent>;
  /** By invitation id. */
  invitations: Map<string, InvitationRecord>;
}

export function createMemoryTables(): MemoryTables {
  return {
    accounts: new Map(),
    users: new Map(),
    groups: new Map(),
    factors: new Map(),
    pendingEnrollments: new Map(),
    recoveryCodes: new Map(),
    sessions: new Map(),
    secondFactorThrottle: new Map(),
    loginFailures: new Map(),
    devices: new Map(),
    events: new Map(),
    invitations: new Map(),
  };
}

/** A copy: no caller shares an object with the tables, as a database hands out fresh rows. */
export const copy = <T>(value: T): T => structuredClone(value);

/** Code-unit order, as SQLite compares text (the ids and keys compared are ASCII). */
export const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** The account of `userId`; writing a row for an id without one fails, as the SQL foreign keys do. */
export function accountOf(tables: MemoryTables, userId: string): AccountRow {
  const account = tables.accounts.get(userId);
  if (!account) throw new Error(`foreign key violation: no account ${userId}`);
  return account;
}

/** Stores a new row under a key that must be free (a primary key or unique column). */
export function insertNew<V>(table: Map<string, V>, key: string, row: V): void {
  if (table.has(key)) throw new Error(`unique violation: ${key}`);
  table.set(key, row);
}

/** Deletes the rows that match and says how many there were. */
export function deleteWhere<V>(table: Map<string, V>, matches: (row: V) => boolean): number {
  let deleted = 0;
  for (const [key, row] of table) {
    if (matches(row)) {
      table.delete(key);
      deleted++;
    }
  }
  return deleted;
}

/** R47: a new factor version (older tokens fail at once, wherever checked) and no more rows. */
export function forgetAllDevices(tables: MemoryTables, userId: string): number {
  const account = tables.accounts.get(userId);
  if (account) account.factorVersion++;
  return deleteWhere(tables.devices, (device) => device.userId === userId);
}
