// Table types for Kysely. Times are integer milliseconds since the epoch (portable across
// SQLite and PostgreSQL, and compared against the injected clock, R9).
import type { ColumnType, Generated } from "kysely";

/**
 * A BIGINT column. Written as a number; read back as a number by better-sqlite3 but as a string
 * by pg (int8 can exceed 2^53), so the type makes every read go through Number().
 */
type BigIntColumn = ColumnType<number | string, number, number>;
/** A BIGINT column with a default. */
type GeneratedBigInt = ColumnType<number | string, number | undefined, number>;

/**
 * A second-factor account: one per user id, the app's users' and, as a library, a host app's
 * (0007_library_tables). Every second-factor table references it, never a users table.
 */
export interface AccountsTable {
  user_id: string;
  /** The name the authenticator app shows and the gateway passes on (the app's username). */
  name: string;
  /** R47: bumped when a factor changes; remembered browsers of older versions fail. */
  factor_version: Generated<number>;
  created_at: BigIntColumn;
}

/** The app's own users (the gatehouse app as a host of the library). */
export interface UsersTable {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  created_at: BigIntColumn;
  /** Set while the account is disabled (`gatehouse user disable`); null otherwise. */
  disabled_at: ColumnType<number | string | null, number | null | undefined, number | null>;
}

export interface TOTPFactorsTable {
  user_id: string;
  sealed_secret: string;
  last_used_step: GeneratedBigInt;
  created_at: BigIntColumn;
}

/** One row per session that was shown a key (0002_pending_enrollments_per_session). */
export interface PendingEnrollmentsTable {
  session_id_hash: string;
  user_id: string;
  kind: "first" | "replace";
  sealed_secret: string;
  expires_at: BigIntColumn;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: ColumnType<number | string | null, number | null, number | null>;
  created_at: BigIntColumn;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  level: "pending" | "full";
  created_at: BigIntColumn;
  last_seen_at: BigIntColumn;
  expires_at: BigIntColumn;
  next_path: string;
  flash: string | null;
}

export interface SecondFactorThrottleTable {
  user_id: string;
  failures: Generated<number>;
  locked_until: GeneratedBigInt;
  lock_seconds: Generated<number>;
}

export interface RememberedDevicesTable {
  id: string;
  token_hash: string;
  user_id: string;
  factor_version: number;
  label: string;
  created_at: BigIntColumn;
  expires_at: BigIntColumn;
}

export interface EventsTable {
  id: string;
  at: BigIntColumn;
  type: string;
  user_id: string | null;
  client_address: string | null;
  user_agent: string | null;
  /** JSON object of non-secret details. */
  detail: string;
  /** How many attempts a repeated event's row stands for (0006_events_bounded). */
  repeat_count: Generated<number>;
}

export interface LoginFailuresTable {
  attempt_id: string;
  key: string;
  at: BigIntColumn;
}

/** Invitations to register (contract: Who may register); the token is stored only as a hash. */
export interface InvitationsTable {
  id: string;
  token_hash: string;
  username: string | null;
  username_key: string | null;
  created_at: BigIntColumn;
  expires_at: BigIntColumn;
  used_at: ColumnType<number | string | null, number | null | undefined, number | null>;
  used_by_user_id: string | null;
  revoked_at: ColumnType<number | string | null, number | null | undefined, number | null>;
}

/** `gatehouse user groups`: one row per user and group. */
export interface UserGroupsTable {
  user_id: string;
  group_name: string;
}

/** Every table carries the `gatehouse_` prefix: they may share a host app's database. */
export interface Database {
  gatehouse_accounts: AccountsTable;
  gatehouse_users: UsersTable;
  gatehouse_totp_factors: TOTPFactorsTable;
  gatehouse_pending_enrollments: PendingEnrollmentsTable;
  gatehouse_recovery_codes: RecoveryCodesTable;
  gatehouse_sessions: SessionsTable;
  gatehouse_second_factor_throttle: SecondFactorThrottleTable;
  gatehouse_login_failures: LoginFailuresTable;
  gatehouse_remembered_devices: RememberedDevicesTable;
  gatehouse_events: EventsTable;
  gatehouse_invitations: InvitationsTable;
  gatehouse_user_groups: UserGroupsTable;
}
