// What a signed-in user changes about their own account (contract: /account rows). Every change
// that weakens or replaces a factor asks for the first factor (the app's password) and a current
// code (or an unused recovery code) in the same request (R39), then ends everything else in one
// place: the other sessions and the remembered browsers (R37, R47), and this session's token is
// reissued (R32).
import type { AccountHolder, EventOrigin, RequestOrigin, SessionWithUser } from "./ports.js";
import type { Flash } from "./flash.js";
import type { RememberedDevices } from "./remembered-devices.js";
import type { SessionManager } from "./sessions.js";
import type { Delivery, Destination, SignInDecision } from "./sign-in.js";
import type { TwoFactor } from "./two-factor.js";

/** R39: the password and, while 2FA is on, a code or recovery code, in the changing request itself. */
export interface StepUp {
  /** Checked by `confirmFirstFactor` when there is one (the app's password). */
  password?: string | undefined;
  code: string | undefined;
}

/**
 * Checks the holder's first factor again (throws when it is wrong). The app checks its
 * password; a host app that wants its own first factor asked checks it before calling.
 */
export type ConfirmFirstFactor = (holder: AccountHolder, password: string, origin: RequestOrigin) => Promise<void>;

export interface AccountChanges {
  /** 2FA off: the next sign-in enrolls again; the notice saying so goes to the next page only. */
  disableTwoFactor(visit: SessionWithUser, stepUp: StepUp, origin: RequestOrigin, delivery?: Delivery): Promise<SignInDecision>;
  /** R22: new recovery codes replace every old one; shown once, on their page or in the decision. */
  newRecoveryCodes(visit: SessionWithUser, code: string, origin: RequestOrigin, delivery?: Delivery): Promise<SignInDecision>;
  /**
   * "I have a new phone": a key for this browser's (new) session only; the old secret keeps
   * working until the new one is confirmed at the setup page (R25).
   */
  startNewPhone(visit: SessionWithUser, stepUp: StepUp, origin: RequestOrigin): Promise<SignInDecision>;
  /** R39: the step-up alone, for a change made elsewhere (the app's password change). */
  reauthenticate(visit: SessionWithUser, stepUp: StepUp, origin: RequestOrigin): Promise<void>;
  /** A factor changed: only this browser stays signed in, under a new token, carrying `flash`. */
  factorChanged(visit: SessionWithUser, origin: EventOrigin, flash: Flash | undefined, go: Destination): Promise<SignInDecision>;
  /** Forgetting browsers and ending sessions only take trust away: no re-authentication. */
  forgetBrowser(visit: SessionWithUser, deviceId: string, origin: EventOrigin): Promise<SignInDecision>;
  forgetAllBrowsers(visit: SessionWithUser, origin: EventOrigin): Promise<SignInDecision>;
  endOtherSessions(visit: SessionWithUser, origin: EventOrigin): Promise<SignInDecision>;
}

export interface AccountChangesDeps {
  confirmFirstFactor?: ConfirmFirstFactor | undefined;
  twoFactor: TwoFactor;
  sessions: SessionManager;
  devices: RememberedDevices;
}

export const toAccount: Destination = { page: "account", target: "/" };

export function createAccountChanges({ confirmFirstFactor, twoFactor, sessions, devices }: AccountChangesDeps): AccountChanges {
  /** R39: no standing "sudo" window; an account whose 2FA is off has no second factor to ask for. */
  async function reauthenticate({ user }: SessionWithUser, { password, code }: StepUp, origin: RequestOrigin) {
    await confirmFirstFactor?.(user, password ?? "", origin);
    if (await twoFactor.isEnrolled(user.id)) await twoFactor.verifyCodeOrRecoveryCode(user.id, code ?? "", origin);
  }

  /** After a factor change only this browser stays signed in, under a new token. */
  async function endEverythingElse(visit: SessionWithUser, origin: EventOrigin, flash: Flash | undefined, go: Destination) {
    await sessions.endOthers(visit.session, origin);
    await devices.forgetAll(visit.user.id, origin);
    const issued = await sessions.reissue(visit.session, "full", flash);
    return { sessionToken: issued.token, go };
  }

  return {
    async disableTwoFactor(visit, stepUp, origin, delivery = "next-page") {
      await reauthenticate(visit, stepUp, origin);
      await twoFactor.disable(visit.user.id, origin);
      const notice = "Two-factor sign-in is off. Your next sign-in will ask you to set it up again.";
      return endEverythingElse(visit, origin, delivery === "next-page" ? { notice } : undefined, toAccount);
    },

    async newRecoveryCodes(visit, code, origin, delivery = "next-page") {
      await twoFactor.verifyCodeOrRecoveryCode(visit.user.id, code, origin);
      const recoveryCodes = await twoFactor.regenerateRecoveryCodes(visit.user.id, origin);
      if (delivery === "in-decision") return { ...(await endEverythingElse(visit, origin, undefined, toAccount)), recoveryCodes };
      return endEverythingElse(visit, origin, { recoveryCodes }, { page: "recovery-codes", target: "/" });
    },

    async startNewPhone(visit, stepUp, origin) {
      await reauthenticate(visit, stepUp, origin);
      const issued = await sessions.reissue(visit.session, "full");
      await twoFactor.restartEnrollment(visit.user.id, visit.user.username, { kind: "replace", sessionIdHash: issued.session.idHash });
      return { sessionToken: issued.token, go: { page: "enroll", target: "/" } };
    },

    reauthenticate,
    factorChanged: endEverythingElse,

    async forgetBrowser(visit, deviceId, origin) {
      await devices.forget(visit.user.id, deviceId, origin);
      return { go: toAccount };
    },

    async forgetAllBrowsers(visit, origin) {
      await devices.forgetAll(visit.user.id, origin);
      return { go: toAccount };
    },

    async endOtherSessions(visit, origin) {
      await sessions.endOthers(visit.session, origin);
      return { go: toAccount };
    },
  };
}
