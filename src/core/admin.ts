// What an administrator does to an account (`gatehouse user reset-2fa|disable|enable|password|
// sign-out`). Each action ends what the contract says it ends and is one admin-* event in the
// activity log; the CLI only parses, calls and prints.
//
// Order: the state that refuses new access changes first (the factor goes, the account is
// disabled, the password changes), then the sessions end. A session that existed before the
// action cannot slip through in between; one started in between needed the password as it is
// after the action.
import type { Accounts } from "./accounts.js";
import type { Clock, EventOrigin, SecondFactorThrottle, SecurityEventSink, SessionStore, TOTPStore, UserRecord, UserStore } from "./ports.js";

export interface AdministrationDeps {
  users: Pick<UserStore, "setDisabled" | "updatePasswordHash" | "forgetAllDevices">;
  totp: Pick<TOTPStore, "disableFactor">;
  sessions: Pick<SessionStore, "deleteUserSessions">;
  /** services.throttles.secondFactor: with REDIS_URL the counters live in Redis. */
  throttle: Pick<SecondFactorThrottle, "unlock">;
  accounts: Pick<Accounts, "hashNewPassword">;
  clock: Clock;
  events: SecurityEventSink;
}

export interface ResetOutcome {
  /** False when the user had no active authenticator (a pending key and the lock still go). */
  hadFactor: boolean;
  sessionsEnded: number;
}

export interface DisableOutcome {
  /** False when the account was already disabled (its sessions and browsers end again anyway). */
  changed: boolean;
  sessionsEnded: number;
}

/** An administrator's actions on one account: `gatehouse user reset-2fa|disable|enable|password|sign-out`. */
export interface Administration {
  /**
   * A lost or stolen phone (security review F3): the authenticator, pending key, recovery codes
   * and remembered browsers go, every session ends (a thief's full one, an attacker's
   * password-only one) and the second-factor lock is lifted, so the next sign-in enrolls.
   */
  resetTwoFactor(userId: string, origin: EventOrigin): Promise<ResetOutcome>;
  /** No sign-in from now on: the account's sessions and remembered browsers end at once. */
  disable(userId: string, origin: EventOrigin): Promise<DisableOutcome>;
  /** Sign-in works again; nothing that disabling ended comes back. False when it was not disabled. */
  enable(userId: string, origin: EventOrigin): Promise<boolean>;
  /**
   * Under the registration's policy; ends every session and remembered browser (R37, R47).
   * Returns how many sessions ended.
   */
  setPassword(user: UserRecord, password: string, origin: EventOrigin): Promise<number>;
  /**
   * Every session of the user ends; remembered browsers stay (they skip only the code). Returns
   * how many sessions ended.
   */
  signOut(userId: string, origin: EventOrigin): Promise<number>;
}

export function createAdministration(deps: AdministrationDeps): Administration {
  const { users, totp, sessions, throttle, accounts, clock, events } = deps;
  const endAllSessions = (userId: string) => sessions.deleteUserSessions(userId, null);

  return {
    async resetTwoFactor(userId, origin) {
      const hadFactor = await totp.disableFactor(userId);
      const sessionsEnded = await endAllSessions(userId);
      await throttle.unlock(userId);
      await events.record({ type: "admin-reset-2fa", origin, userId, detail: { hadFactor, sessionsEnded } });
      return { hadFactor, sessionsEnded };
    },

    async disable(userId, origin) {
      const changed = await users.setDisabled(userId, clock.now());
      await users.forgetAllDevices(userId);
      const sessionsEnded = await endAllSessions(userId);
      if (changed) await events.record({ type: "admin-user-disabled", origin, userId, detail: { sessionsEnded } });
      return { changed, sessionsEnded };
    },

    async enable(userId, origin) {
      const changed = await users.setDisabled(userId, null);
      if (changed) await events.record({ type: "admin-user-enabled", origin, userId });
      return changed;
    },

    async setPassword(user, password, origin) {
      await users.updatePasswordHash(user.id, await accounts.hashNewPassword(password, user.username));
      await users.forgetAllDevices(user.id);
      const sessionsEnded = await endAllSessions(user.id);
      await events.record({ type: "admin-password-set", origin, userId: user.id, detail: { sessionsEnded } });
      return sessionsEnded;
    },

    async signOut(userId, origin) {
      const sessionsEnded = await endAllSessions(userId);
      await events.record({ type: "admin-signed-out", origin, userId, detail: { sessionsEnded } });
      return sessionsEnded;
    },
  };
}
