// The narrow interfaces the core talks to. Adapters (src/store, src/limits) implement them;
// imports point inward, never from the core to a driver (Lucia v3 `Adapter`, Authelia regulator).

/** Milliseconds since the Unix epoch. Injected so tests can stand on a step boundary. */
export interface Clock {
  now(): number;
}

/** Cryptographically secure random bytes (node:crypto randomBytes in production). */
export type RandomSource = (byteLength: number) => Uint8Array;

/**
 * Whose second factor it is: a user id and the name their authenticator app shows. The app's
 * own users, or, with gatehouse as a library, the host app's (whose id is any string).
 */
export interface AccountHolder {
  id: string;
  /** The name in the authenticator app's key label and the gateway's X-Gatehouse-User. */
  username: string;
}

export interface UserRecord extends AccountHolder {
  passwordHash: string;
  createdAt: number;
  /** When an administrator disabled the account (no sign-in, no session); null while enabled. */
  disabledAt: number | null;
}

/** A new account starts enabled. */
export interface NewUser extends Omit<UserRecord, "disabledAt"> {
  /** Case-folded username: the unique lookup key. */
  usernameKey: string;
}

export interface UserStore {
  /** Returns false when the username key is already taken (unique-key insert, no read-then-write). */
  createUser(user: NewUser): Promise<boolean>;
  findUserByUsernameKey(usernameKey: string): Promise<UserRecord | null>;
  findUserById(id: string): Promise<UserRecord | null>;
  /**
   * With `expectedHash`, only while the stored hash is still that one (a compare-and-set: a
   * sign-in's parameter upgrade never overwrites a password an administrator set meanwhile).
   * False when nothing was written.
   */
  updatePasswordHash(userId: string, passwordHash: string, expectedHash?: string): Promise<boolean>;
  listUsers(): Promise<UserRecord[]>;
  /**
   * `at`: disables the account from then on, unless it already is; null: enables it. False when
   * nothing changed (already in that state, or no such user).
   */
  setDisabled(userId: string, at: number | null): Promise<boolean>;
  /** Removes the user and, by cascade, everything of theirs. False when there was none. */
  deleteUser(userId: string): Promise<boolean>;
  /**
   * R47: every remembered browser of the user stops working at once (their rows carry the old
   * version) and their rows are deleted.
   */
  forgetAllDevices(userId: string): Promise<number>;
}

/** A user's groups (`gatehouse user groups`); the gateway's access rules and headers read them. */
export interface GroupStore {
  /** The user's groups in code-unit order; none for an unknown user. */
  listGroups(userId: string): Promise<string[]>;
  /** Replaces the user's groups with exactly `groups` (already valid and unique), in one transaction. */
  setGroups(userId: string, groups: string[]): Promise<void>;
}

export interface TOTPFactorRecord {
  userId: string;
  sealedSecret: string;
  lastUsedStep: number;
  createdAt: number;
}

/** A first authenticator, or a new phone replacing the active one (after re-authentication). */
export type EnrollmentKind = "first" | "replace";

/**
 * A shown but unconfirmed key. It belongs to the session (hash) that shows it: no other session
 * of the user may see, replace or confirm it (F1: a known password must not read or plant a key).
 */
export interface PendingEnrollmentRecord {
  userId: string;
  sessionIdHash: string;
  kind: EnrollmentKind;
  sealedSecret: string;
  expiresAt: number;
}

export interface ActivateFactorInput {
  userId: string;
  /** The confirming session: its pending key (with `sealedSecret`) must still be there. */
  sessionIdHash: string;
  /** Re-enrollment: replace the active factor (and forget remembered browsers) instead of adding one. */
  replace: boolean;
  sealedSecret: string;
  /** The step of the confirming code: seeds the replay guard (R7). */
  usedStep: number;
  recoveryCodeHashes: string[];
  now: number;
}

/** A pending secret is one row per session, so it is named by its session too. */
export type SealedSecretRecord =
  | { userId: string; kind: "active"; sealedSecret: string }
  | { userId: string; kind: "pending"; sessionIdHash: string; sealedSecret: string };

export interface TOTPStore {
  findFactor(userId: string): Promise<TOTPFactorRecord | null>;
  /** This session's unexpired pending enrollment, never another session's. */
  findPendingEnrollment(userId: string, sessionIdHash: string, now: number): Promise<PendingEnrollmentRecord | null>;
  /** Every unexpired pending enrollment of the user, one per session (for admin views). */
  listPendingEnrollments(userId: string, now: number): Promise<PendingEnrollmentRecord[]>;
  /**
   * Replaces the session's pending enrollment (R24: a new QR code is a new secret); the other
   * sessions' stay as they are.
   */
  savePendingEnrollment(record: PendingEnrollmentRecord): Promise<void>;
  /**
   * In one transaction: insert the active factor only if the user has none (or, with `replace`,
   * swap the secret of the existing one), delete every pending enrollment of the user (the first
   * confirmation wins), replace the recovery codes. False when the factor was not in the
   * expected state (already there, or gone) or the session's pending key was replaced or gone.
   */
  activateFactor(input: ActivateFactorInput): Promise<boolean>;
  /**
   * In one transaction: delete the factor, any pending enrollment, the recovery codes and the
   * remembered browsers, and bump the factor version. False when there was no factor.
   */
  disableFactor(userId: string): Promise<boolean>;
  /** Every sealed secret, active and pending, for key rotation. */
  listSealedSecrets(): Promise<SealedSecretRecord[]>;
  /** Compare-and-set of one sealed secret: false when it changed meanwhile. */
  resealSecret(record: SealedSecretRecord, sealedSecret: string): Promise<boolean>;
  /** Compare-and-set `last_used_step` (R6): true only if `step` is newer than the last used one. */
  consumeStep(userId: string, step: number): Promise<boolean>;
}

export interface RecoveryCodeRecord {
  id: string;
  codeHash: string;
}

export interface RecoveryCodeStore {
  listUnused(userId: string): Promise<RecoveryCodeRecord[]>;
  /** Marks the code used; true only for the one caller whose update changed the row (R20). */
  consume(codeId: string, now: number): Promise<boolean>;
  /** R22: the new set replaces every previous code, used or not, in one transaction. */
  replaceRecoveryCodes(userId: string, codeHashes: string[], now: number): Promise<void>;
  /**
   * Key rotation: how many accounts hold unused codes whose stored hash starts with `prefix` and
   * with none of `exceptPrefixes` (one query: the codes under no key of the ring, at startup).
   */
  countAccountsWithUnusedCodes(codeHashPrefix: string, exceptPrefixes?: readonly string[]): Promise<number>;
}

export type SessionLevel = "pending" | "full";

export interface SessionRecord {
  /** SHA-256 of the token, hex. The token itself is never stored (R31). */
  idHash: string;
  userId: string;
  level: SessionLevel;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute expiry; idle expiry is checked against lastSeenAt. */
  expiresAt: number;
  /** Where to go after the second factor; validated before it is stored (R45). */
  nextPath: string;
  /** Sealed one-time payload (new recovery codes to show once). */
  flash: string | null;
}

/** A live session with its account holder, read in one statement (the per-request check). */
export interface SessionWithUser {
  session: SessionRecord;
  user: AccountHolder;
  /** The user has an active authenticator: which sign-in step a pending session is at (R55). */
  enrolled: boolean;
}

/** The second-factor accounts: one per user id, which every second-factor row belongs to. */
export interface AccountStore {
  /**
   * Creates the account of `holder` unless it exists (a host app's user the first time they
   * reach the second factor), and keeps its name current. Idempotent; safe when concurrent.
   */
  ensureAccount(holder: AccountHolder, now: number): Promise<void>;
}

export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  /** The live session for this hash, or null when unknown, expired or idle too long. */
  findSession(idHash: string, now: number, idleTimeoutMs: number): Promise<SessionRecord | null>;
  /**
   * `findSession` and the session's account holder in one query: null when the session is
   * unknown, expired or idle too long, or its user is gone or (an app user) disabled.
   */
  findSessionWithUser(idHash: string, now: number, idleTimeoutMs: number): Promise<SessionWithUser | null>;
  touchSession(idHash: string, now: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /**
   * Deletes the old session and creates its successor in one transaction (R32). False, and no
   * successor, when the old session was already gone: one challenge yields at most one session.
   */
  replaceSession(oldIdHash: string, next: SessionRecord): Promise<boolean>;
  /** Reads and clears the flash in one statement, so it is shown once. */
  takeFlash(idHash: string): Promise<string | null>;
  deleteExpiredSessions(now: number, idleTimeoutMs: number): Promise<number>;
  listUserSessions(userId: string, now: number, idleTimeoutMs: number): Promise<SessionRecord[]>;
  /** R37: ends every session of the user except `keepIdHash` (null: all). Returns how many. */
  deleteUserSessions(userId: string, keepIdHash: string | null): Promise<number>;
}

export type ThrottleDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; hardLocked: boolean };

export interface SecondFactorThrottlePolicy {
  /** Consecutive failures before the first lock (contract: 5). */
  freeAttempts: number;
  firstLockSeconds: number;
  maxLockSeconds: number;
  /** Consecutive failures after which only an administrator unlocks (contract: 100). */
  hardLockFailures: number;
}

/**
 * Account-scoped second-factor throttle (R10-R13). `charge` counts the attempt as a failure
 * before the code is evaluated and sets the lock in the same atomic statement, so parallel
 * requests cannot all be evaluated; `reset` follows a full sign-in only.
 */
export interface ThrottleStatus {
  consecutiveFailures: number;
  /** 0 when not locked by time. */
  lockedUntil: number;
  hardLocked: boolean;
}

export interface SecondFactorThrottle {
  charge(userId: string, now: number): Promise<ThrottleDecision>;
  /** For administrators (`gatehouse user show`): the account's count and lock. */
  status(userId: string): Promise<ThrottleStatus>;
  reset(userId: string): Promise<void>;
  unlock(userId: string): Promise<void>;
}

/**
 * Sliding-window failure counter for the password step (contract: Throttling, Password). An
 * attempt is charged as a failure before the password is checked and refunded if it was right.
 */
export interface LoginThrottle {
  /** Refused, and nothing recorded, when any key already holds its limit within its window. */
  charge(attemptId: string, keys: LoginThrottleKey[], now: number): Promise<ThrottleDecision>;
  /** Takes back a charged attempt that succeeded: only failures count. */
  refund(attemptId: string): Promise<void>;
}

export interface LoginThrottleKey {
  key: string;
  limit: number;
  windowMs: number;
}

export interface RememberedDeviceRecord {
  id: string;
  /** SHA-256 of the device token, hex (R46). */
  tokenHash: string;
  userId: string;
  label: string;
  createdAt: number;
  expiresAt: number;
}

export interface RememberedDeviceStore {
  /** Stores the device under the user's current factor version (read in the same statement). */
  rememberDevice(record: RememberedDeviceRecord): Promise<void>;
  /**
   * True when one of the hashes names an unexpired device of this user whose factor version
   * is still the user's current one (R46, R47), and the user is not disabled.
   */
  isRemembered(userId: string, tokenHashes: string[], now: number): Promise<boolean>;
  /** The user's remembered browsers that still work. */
  listDevices(userId: string, now: number): Promise<RememberedDeviceRecord[]>;
  /** Forgets one browser of this user (never another user's). False when there was none. */
  forgetDevice(userId: string, deviceId: string): Promise<boolean>;
}

/** An invitation to register (contract: Who may register). The token itself is never stored. */
export interface InvitationRecord {
  id: string;
  /** SHA-256 of the token, hex. */
  tokenHash: string;
  /** The username the invitation is for; null when the invitee chooses one. */
  username: string | null;
  usernameKey: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedByUserId: string | null;
  revokedAt: number | null;
}

/** What became of a registration by invitation; nothing is written unless "created". */
export type InvitedUserOutcome = "created" | "invitation-unusable" | "username-taken";

export interface InvitationStore {
  createInvitation(record: InvitationRecord): Promise<void>;
  /** The invitation with this token hash if it is still usable: not used, revoked nor expired. */
  findUsableInvitation(tokenHash: string, now: number): Promise<InvitationRecord | null>;
  /**
   * In one transaction: use the invitation up (a compare-and-set on its being still usable and,
   * when it names a user, for that user's key) and create the user. Either both happen or
   * neither: a taken name never burns the invitation, and one invitation creates one account.
   */
  createInvitedUser(user: NewUser, tokenHash: string, now: number): Promise<InvitedUserOutcome>;
  /** Every invitation, newest first. */
  listInvitations(): Promise<InvitationRecord[]>;
  /** Revokes an invitation that is still usable. False when there is no such invitation. */
  revokeInvitation(id: string, now: number): Promise<boolean>;
}

/** The activity log: one row per security event, never a secret or a code. */
export interface StoredEvent {
  id: string;
  at: number;
  type: SecurityEventType;
  userId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  detail: Record<string, string | number | boolean>;
  /**
   * How many attempts the row stands for: 1, except for a repeated event kept as one row per
   * minute (review F5); `at`, the address and the browser are those of the first.
   */
  count: number;
}

export interface EventStore {
  appendEvent(event: StoredEvent): Promise<void>;
  /**
   * Stores the event, or, when a row with its id exists, adds one to that row's count instead
   * (atomically: concurrent writers each add one). Returns the row's count afterwards.
   */
  countEvent(event: StoredEvent): Promise<number>;
  /** Newest first. */
  listEvents(filter: { userId?: string; since?: number; limit: number }): Promise<StoredEvent[]>;
}

/**
 * When a store's writes become durable. Whoever shows a write to the outside (a response, a
 * notification) calls `watch()` when its work begins and awaits the function it returns before
 * showing anything: it resolves once every write made since is durable, and rejects with
 * STORE_UNAVAILABLE if one of them was lost. A store that commits each statement before it
 * returns resolves at once.
 */
export interface Durability {
  watch(): () => Promise<void>;
}

export interface HealthCheck {
  ping(): Promise<void>;
}

export type SecurityEventType =
  | "registered"
  | "password-accepted"
  | "password-rejected"
  | "password-throttled"
  | "second-factor-accepted"
  | "second-factor-rejected"
  | "second-factor-replayed"
  | "second-factor-locked"
  | "recovery-code-used"
  | "recovery-code-rejected"
  | "two-factor-enabled"
  | "device-remembered"
  | "remembered-device-accepted"
  | "signed-out"
  | "two-factor-disabled"
  | "two-factor-reenrolled"
  | "recovery-codes-regenerated"
  | "password-changed"
  | "device-forgotten"
  | "sessions-ended"
  | "admin-user-added"
  | "admin-user-removed"
  | "admin-reset-2fa"
  | "admin-unlocked"
  | "admin-user-disabled"
  | "admin-user-enabled"
  | "admin-password-set"
  | "admin-signed-out"
  /** `gatehouse user groups`: detail.groups is the new list, comma-separated. */
  | "admin-groups-set"
  /** The right password of a disabled account: refused, no session. */
  | "disabled-account-refused"
  | "admin-keys-rotated"
  | "admin-invitation-created"
  | "admin-invitation-revoked"
  | "invitation-used";

/**
 * R53: who caused a security event, passed down from the request (or the CLI) with every call
 * that can record one, so the activity log needs no per-request ambient context.
 */
export interface EventOrigin {
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
}

/** A web request's origin: it always has an address, which the password throttle keys on. */
export interface RequestOrigin extends EventOrigin {
  readonly clientAddress: string;
}

/** R53: security events, never carrying a secret, code or token. */
export interface SecurityEvent {
  type: SecurityEventType;
  origin: EventOrigin;
  userId?: string;
  /** Non-secret detail, e.g. the number of recovery codes left. */
  detail?: Record<string, string | number | boolean>;
}

export interface SecurityEventSink {
  /** Resolves once the event is stored: the activity log loses nothing that was acknowledged. */
  record(event: SecurityEvent): Promise<void>;
}
