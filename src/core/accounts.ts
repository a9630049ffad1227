// Registration and the password step (R16, R17, R42-R44).
import { addressBlock } from "./address-block.js";
import { findPasswordProblem, PASSWORD_PROBLEM_MESSAGES, usernameKey } from "./credentials.js";
import { ErrorCode, GatehouseError, ThrottledError } from "./errors.js";
import type { Invitations } from "./invitations.js";
import type { PasswordHasher } from "./password.js";
import type {
  AccountHolder,
  Clock,
  EventOrigin,
  InvitationRecord,
  LoginThrottle,
  LoginThrottleKey,
  RequestOrigin,
  SecurityEventSink,
  UserRecord,
  UserStore,
} from "./ports.js";

export interface AccountsOptions {
  /** Contract: 10 failures per username and client address, 100 per address, in 15 minutes. */
  perAccountAndAddress: number;
  perAddress: number;
  /** Self-registrations per client address in the same window: each costs an Argon2 hash. */
  registrationsPerAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS = {
  perAccountAndAddress: 10,
  perAddress: 100,
  registrationsPerAddress: 1000,
  windowMs: 15 * 60_000,
};

/** Who may self-register, or the administrator adding a user (`gatehouse user add`). */
export type RegistrationSource =
  | { byAdmin: true; origin: EventOrigin }
  | { byAdmin?: false; origin: RequestOrigin; invitation?: string | undefined };

/** Registration, the password step, and the password's later changes. */
export interface Accounts {
  /**
   * A new user under the registration policy (R43), or REGISTRATION_CLOSED, THROTTLED,
   * INVALID_USERNAME, WEAK_PASSWORD or USERNAME_TAKEN; `invitation` is the token the visitor
   * holds. `byAdmin`: the CLI adds users even when self-registration is closed, unthrottled. A self-registration counts against its client address whatever its outcome,
   * so one address cannot make the server hash passwords (or create accounts) without bound.
   */
  register(username: string, password: string, from: RegistrationSource): Promise<UserRecord>;
  /**
   * The password step (R16, R44), throttled per username and address (THROTTLED): the user, or
   * INVALID_CREDENTIALS alike for an unknown name and a wrong password; ACCOUNT_DISABLED only
   * after the right password. Upgrades the hash's parameters on the way in (R42).
   */
  verifyPassword(username: string, password: string, origin: RequestOrigin): Promise<UserRecord>;
  /** Re-authentication of a signed-in user (R39): the same throttled check, bound to that user. */
  confirmPassword(user: AccountHolder, password: string, origin: RequestOrigin): Promise<void>;
  /**
   * Whether the password step `user` passed still stands now that its session exists: a
   * password change or an administrator's disable that landed during the check (an Argon2
   * verify) ended every session but the one started after it. Throws as the step would now.
   */
  confirmStillAdmitted(user: UserRecord): Promise<void>;
  /** The registration policy (R43), then Argon2id: for a password an administrator sets. */
  hashNewPassword(password: string, username: string): Promise<string>;
  /**
   * The caller has verified the current password and a second factor (R39), and ends the
   * other sessions and remembered browsers with the old password (account-changes.ts, R37, R47).
   */
  changePassword(user: AccountHolder, newPassword: string, origin: EventOrigin): Promise<void>;
}

export interface AccountsDeps {
  users: UserStore;
  throttle: LoginThrottle;
  hasher: PasswordHasher;
  clock: Clock;
  newId: () => string;
  events: SecurityEventSink;
  /** Who may register (contract: Who may register), and the invitations' one-time use. */
  admission: Pick<Invitations, "admit" | "createInvitedUser">;
}

/**
 * F7: the parts as a JSON array, so no address and username can spell another pair's key (with
 * `${address}:${username}`, `2001:db8::5` + `1:bob` was `2001:db8::5:1` + `bob`). Per-address
 * parts are address blocks: an IPv6 /64 counts as one client (address-block.ts).
 */
export const throttleKey = (kind: "login" | "register", ...parts: string[]) => `${kind}:${JSON.stringify(parts)}`;

const invalidCredentials = () =>
  new GatehouseError(ErrorCode.INVALID_CREDENTIALS, "The username or password is not right.");
const accountDisabled = () =>
  new GatehouseError(ErrorCode.ACCOUNT_DISABLED, "This account is disabled. Ask an administrator to enable it.");

export function createAccounts(deps: AccountsDeps, options: AccountsOptions): Accounts {
  const { users, throttle, hasher, clock, newId, events, admission } = deps;

  function throttleKeys(username: string, clientAddress: string): LoginThrottleKey[] {
    const { perAccountAndAddress, perAddress, windowMs } = options;
    // Keyed on the address too, so failures never lock the owner out from elsewhere (R17).
    const block = addressBlock(clientAddress);
    return [
      { key: throttleKey("login", block, username.toLowerCase()), limit: perAccountAndAddress, windowMs },
      { key: throttleKey("login", block), limit: perAddress, windowMs },
    ];
  }

  function newPasswordHash(password: string, username: string): Promise<string> {
    const problem = findPasswordProblem(password, username);
    if (problem) throw new GatehouseError(ErrorCode.WEAK_PASSWORD, PASSWORD_PROBLEM_MESSAGES[problem]);
    return hasher.hash(password);
  }

  /** The password step's check (R16, R44), throttled per username and address; no event on success. */
  async function checkPassword(username: string, password: string, origin: RequestOrigin): Promise<UserRecord> {
    const attemptId = newId();
    const decision = await throttle.charge(attemptId, throttleKeys(username, origin.clientAddress), clock.now());
    if (!decision.allowed) {
      await events.record({ type: "password-throttled", origin });
      throw new ThrottledError(decision.retryAfterSeconds);
    }
    const key = usernameKey(username);
    const user = key === null ? null : await users.findUserByUsernameKey(key);
    // R44: an unknown user costs one real argon2id verify too, and gets the same answer.
    const valid = user ? await hasher.verify(user.passwordHash, password) : await hasher.verifyDummy(password);
    if (!user || !valid) {
      await events.record({ type: "password-rejected", origin, ...(user ? { userId: user.id } : {}) });
      throw invalidCredentials();
    }
    await throttle.refund(attemptId);
    // Checked only after the right password, so an unknown name, a wrong password and a disabled
    // account cost and answer the same to anyone who does not know the password (R44).
    if (user.disabledAt !== null) {
      await events.record({ type: "disabled-account-refused", origin, userId: user.id });
      throw accountDisabled();
    }
    // R42: parameters upgraded on the way in.
    if (hasher.needsRehash(user.passwordHash)) {
      const upgraded = await hasher.hash(password);
      // Conditional: a password set meanwhile (`gatehouse user password`) is never replaced by a
      // hash of the old one; the caller's confirmStillAdmitted then sees the change and refuses.
      if (await users.updatePasswordHash(user.id, upgraded, user.passwordHash)) return { ...user, passwordHash: upgraded };
    }
    return user;
  }

  return {
    async register(username, password, from) {
      let invitation: InvitationRecord | null = null;
      if (!from.byAdmin) {
        // Before the throttle and the hash: a visitor who may not register costs nothing.
        invitation = await admission.admit(from.invitation);
        const limit = {
          key: throttleKey("register", addressBlock(from.origin.clientAddress)),
          limit: options.registrationsPerAddress,
          windowMs: options.windowMs,
        };
        const decision = await throttle.charge(newId(), [limit], clock.now());
        if (!decision.allowed) throw new ThrottledError(decision.retryAfterSeconds);
      }
      const key = usernameKey(username);
      if (key === null) {
        throw new GatehouseError(
          ErrorCode.INVALID_USERNAME,
          "Choose a username of 1 to 64 letters, digits or . _ @ + - characters.",
        );
      }
      if (invitation?.usernameKey != null && invitation.usernameKey !== key) {
        throw new GatehouseError(ErrorCode.INVALID_USERNAME, `This invitation is for the username ${invitation.username}.`);
      }
      const user: UserRecord = {
        id: newId(),
        username,
        passwordHash: await newPasswordHash(password, username),
        createdAt: clock.now(),
        disabledAt: null,
      };
      const created = invitation
        ? await admission.createInvitedUser({ ...user, usernameKey: key }, invitation, from.origin)
        : await users.createUser({ ...user, usernameKey: key });
      if (!created) {
        throw new GatehouseError(ErrorCode.USERNAME_TAKEN, "That username is taken. Choose another.");
      }
      await events.record({ type: from.byAdmin ? "admin-user-added" : "registered", origin: from.origin, userId: user.id });
      return user;
    },

    async verifyPassword(username, password, origin) {
      const user = await checkPassword(username, password, origin);
      await events.record({ type: "password-accepted", origin, userId: user.id });
      return user;
    },

    async confirmPassword(user, password, origin) {
      const checked = await checkPassword(user.username, password, origin);
      if (checked.id !== user.id) throw invalidCredentials();
    },

    async confirmStillAdmitted(user) {
      const current = await users.findUserById(user.id);
      if (!current || current.passwordHash !== user.passwordHash) throw invalidCredentials();
      if (current.disabledAt !== null) throw accountDisabled();
    },

    hashNewPassword: newPasswordHash,

    async changePassword(user, newPassword, origin) {
      await users.updatePasswordHash(user.id, await newPasswordHash(newPassword, user.username));
      await events.record({ type: "password-changed", origin, userId: user.id });
    },
  };
}
