// Table types for Kysely. Times are integer milliseconds since the epoch (portable across
// SQLite and PostgreSQL, and compared against the injected clock, R9).
import type { Generated } from "kysely";

export interface UsersTable {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  created_at: number;
  factor_version: Generated<number>;
}

export interface TOTPFactorsTable {
  user_id: string;
  sealed_secret: string;
  last_used_step: Generated<number>;
  created_at: number;
}

export interface PendingEnrollmentsTable {
  user_id: string;
  sealed_secret: string;
  expires_at: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  level: "pending" | "full";
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  next_path: string;
  flash: string | null;
}

export interface SecondFactorThrottleTable {
  user_id: string;
  failures: Generated<number>;
  locked_until: Generated<number>;
  lock_seconds: Generated<number>;
}

export interface RememberedDevicesTable {
  id: string;
  token_hash: string;
  user_id: string;
  factor_version: number;
  label: string;
  created_at: number;
  expires_at: number;
}

export interface EventsTable {
  id: string;
  at: number;
  type: string;
  user_id: string | null;
  client_address: string | null;
  user_agent: string | null;
  /** JSON object of non-secret details. */
  detail: string;
}

export interface LoginFailuresTable {
  attempt_id: string;
  key: string;
  at: number;
}

export interface Database {
  users: UsersTable;
  totp_factors: TOTPFactorsTable;
  pending_enrollments: PendingEnrollmentsTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  second_factor_throttle: SecondFactorThrottleTable;
  login_failures: LoginFailuresTable;
  remembered_devices: RememberedDevicesTable;
  events: EventsTable;
}
