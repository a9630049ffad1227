// The sign-in flow after the first factor, as one use case (R26, R32, R33, R46, R55): from the
// browser's session and the visitor's input to a decision that the web layer (or a host app's
// adapter) applies: the session token to set, the remembered-browser token to add, the page to
// go to. It never touches a request or a reply, and the state machine of flow.ts decides every
// session level. Whose first factor passed is the caller's to say: the app's password step
// (password-step.ts), or a host app that signs its own users in.
import { nextStep, transition, type SignInState, type SignInStep } from "./flow.js";
import type { AccountHolder, AccountStore, Clock, RequestOrigin, SessionLevel, SessionWithUser } from "./ports.js";
import type { RememberedDevices } from "./remembered-devices.js";
import type { SessionManager } from "./sessions.js";
import type { EnrollmentMode, EnrollmentView, TwoFactor } from "./two-factor.js";

/** The browser's live session and its user, from its cookie; null when nobody is signed in. */
export type Visit = SessionWithUser | null;

/** Where a browser goes: the page of a step of the flow, or a page a step ends on. */
export type Page = SignInStep | "recovery-codes" | "account" | "signed-out";

export interface Destination {
  page: Page;
  /** Where the visitor was going: what "done" opens, and what the password page returns to. */
  target: string;
}

export interface SignInDecision {
  /** R32: the browser's new session token, for its cookie; absent when its session is unchanged. */
  sessionToken?: string;
  /** R46: a token to add to the browser's remembered-browser cookie. */
  rememberToken?: string;
  /** The browser's session is over: its cookie goes. */
  signedOut?: true;
  /** R19: new recovery codes delivered "in-decision", to show in this answer (never also in the session). */
  recoveryCodes?: string[];
  go: Destination;
}

/**
 * Where what a step leaves to be shown once (new recovery codes, a notice) goes: sealed in the
 * session for the next page (forms: POST, redirect, GET), or in the decision itself for a caller
 * that shows it in this very answer (the JSON API). Never both: R19, shown once.
 */
export type Delivery = "next-page" | "in-decision";

/** A visit at the step a page serves, or where it belongs instead. */
export type StepCheck = { visit: SessionWithUser } | { go: Destination };

/** A visit that may enroll, with the mode it enrolls in. */
export interface Enrolling {
  visit: SessionWithUser;
  mode: EnrollmentMode;
}

export interface FirstFactorInput {
  /** Whose first factor passed: the user id and the name their authenticator app shows. */
  holder: AccountHolder;
  /** Where to go once signed in, already a safe same-site path (R45). */
  nextPath: string;
  /** The remembered-browser tokens the browser sent (R46); none skips nothing. */
  rememberedTokens: readonly string[];
}

export interface SignIn {
  /** R55: the step the visit is at, from server-side state only. */
  stepOf(visit: Visit): SignInStep;
  /** The visit when it is at `step`; else the page of the step it is really at. */
  atStep(visit: Visit, step: SignInStep, target: string): StepCheck;
  /**
   * A host app's user passed its first factor: their account (created the first time), then a
   * new session (R32), pending, or full for a browser this user remembered (R46).
   */
  firstFactorPassed(visit: Visit, input: FirstFactorInput, origin: RequestOrigin): Promise<SignInDecision>;
  /**
   * The same for a holder whose account exists (the app's own users, made with one).
   * `stillAdmitted` runs once the session exists; when it throws, the session ends again.
   */
  startSession(visit: Visit, input: FirstFactorInput, origin: RequestOrigin, stillAdmitted?: () => Promise<void>): Promise<SignInDecision>;
  signOut(visit: Visit, origin: RequestOrigin): Promise<SignInDecision>;
  /** The second factor by code (R5-R8); `rememberAs` names the browser to remember (R46). */
  withCode(visit: SessionWithUser, code: string, rememberAs: string | undefined, origin: RequestOrigin): Promise<SignInDecision>;
  /** The second factor by recovery code (R20, R23): how many are left, also in the notice for the next page. */
  withRecoveryCode(
    visit: SessionWithUser,
    recoveryCode: string,
    origin: RequestOrigin,
    delivery?: Delivery,
  ): Promise<SignInDecision & { recoveryCodesLeft: number }>;
  /**
   * Who may enroll (R25, R26, F1): a password-only session of an account without a factor; a
   * full session of an account without one; a full session with a new-phone enrollment it
   * started itself after re-authenticating. Everyone else goes where they belong.
   */
  enrollment(visit: Visit): Promise<Enrolling | { go: Destination }>;
  /** This session's own key (S4: never another session's), the same on every reload (R24). */
  setupKey(visit: SessionWithUser): Promise<EnrollmentView>;
  /** A new key for this session (a new QR code). */
  restartEnrollment(enrolling: Enrolling): Promise<SignInDecision>;
  /** The code from the app confirms the key: full session, new recovery codes shown once. */
  confirmEnrollment(enrolling: Enrolling, code: string, origin: RequestOrigin, delivery?: Delivery): Promise<SignInDecision>;
  /** A notice left for the next page, taken once; new recovery codes stay for their own page. */
  takeNotice(visit: SessionWithUser): Promise<string | undefined>;
  /** The recovery codes just made, taken once (R19). */
  takeRecoveryCodes(visit: SessionWithUser): Promise<string[] | undefined>;
}

export interface SignInDeps {
  /** The second-factor accounts, which a host app's user gets at their first sign-in. */
  holders: AccountStore;
  twoFactor: TwoFactor;
  sessions: SessionManager;
  devices: RememberedDevices;
  clock: Clock;
}

export function signInStateOf(visit: Visit): SignInState {
  if (!visit) return { kind: "anonymous" };
  if (visit.session.level === "full") return { kind: "signed-in", userId: visit.user.id };
  return { kind: "password-verified", userId: visit.user.id, enrolled: visit.enrolled };
}

/** R55: the step the visit is at; "done" only for a full sign-in (the gateway's "may pass" too). */
export const stepOf = (visit: Visit): SignInStep => nextStep(signInStateOf(visit));

const levelOf = (state: SignInState): SessionLevel => (state.kind === "signed-in" ? "full" : "pending");

export function createSignIn({ holders, twoFactor, sessions, devices, clock }: SignInDeps): SignIn {
  const goTo = (page: Page, target = "/"): Destination => ({ page, target });

  /** R32: the second factor passed; a new full session replaces the pending one. */
  async function promote(visit: SessionWithUser, notice: string | undefined) {
    const state = transition(signInStateOf(visit), { type: "second-factor-accepted" });
    return sessions.reissue(visit.session, levelOf(state), notice ? { notice } : undefined);
  }

  async function startSession(visit: Visit, input: FirstFactorInput, origin: RequestOrigin, stillAdmitted?: () => Promise<void>) {
    const { holder, nextPath, rememberedTokens } = input;
    const enrolled = await twoFactor.isEnrolled(holder.id);
    let state = transition(signInStateOf(visit), { type: "password-accepted", userId: holder.id, enrolled });
    // R46: a browser remembered by this user skips the code; the session is still a new one.
    if (enrolled && (await devices.isRemembered(holder.id, rememberedTokens, origin))) {
      state = transition(state, { type: "second-factor-accepted" });
    }
    const issued = await sessions.start(levelOf(state), holder.id, nextPath, visit?.session ?? null);
    // Checked once the session exists: ending every session cannot miss this one then.
    await stillAdmitted?.().catch(async (error: unknown) => {
      await sessions.end(issued.session, origin);
      throw error;
    });
    return { sessionToken: issued.token, go: goTo(nextStep(state), nextPath) };
  }

  /** The mode a visit at the setup page enrolls in: a new phone while a factor is active. */
  const enrollmentModeOf = (visit: SessionWithUser): EnrollmentMode => ({
    kind: visit.enrolled ? "replace" : "first",
    sessionIdHash: visit.session.idHash,
  });

  return {
    stepOf,

    atStep(visit, step, target) {
      const actual = stepOf(visit);
      return actual === step && visit ? { visit } : { go: goTo(actual, target) };
    },

    startSession,

    async firstFactorPassed(visit, input, origin) {
      await holders.ensureAccount(input.holder, clock.now());
      return startSession(visit, input, origin);
    },

    async signOut(visit, origin) {
      if (visit) await sessions.end(visit.session, origin);
      return { signedOut: true, go: goTo("signed-out") };
    },

    async withCode(visit, code, rememberAs, origin) {
      await twoFactor.verifyCode(visit.user.id, code, origin);
      const rememberToken = rememberAs === undefined ? undefined : await devices.remember(visit.user.id, rememberAs, origin);
      const issued = await promote(visit, undefined);
      return { sessionToken: issued.token, ...(rememberToken && { rememberToken }), go: goTo("done", issued.session.nextPath) };
    },

    async withRecoveryCode(visit, recoveryCode, origin, delivery = "next-page") {
      const left = await twoFactor.useRecoveryCode(visit.user.id, recoveryCode, origin);
      const notice = `You signed in with a recovery code; ${left} ${left === 1 ? "code is" : "codes are"} left.`;
      const issued = await promote(visit, delivery === "next-page" ? notice : undefined);
      return { sessionToken: issued.token, recoveryCodesLeft: left, go: goTo("done", issued.session.nextPath) };
    },

    async enrollment(visit) {
      const state = signInStateOf(visit);
      if (visit && state.kind === "password-verified" && !visit.enrolled) return { visit, mode: enrollmentModeOf(visit) };
      if (visit && state.kind === "signed-in") {
        if (!visit.enrolled || (await twoFactor.hasNewPhoneEnrollment(visit.user.id, visit.session.idHash))) {
          return { visit, mode: enrollmentModeOf(visit) };
        }
        return { go: goTo("account") };
      }
      return { go: goTo(nextStep(state)) };
    },

    setupKey: (visit) => twoFactor.currentEnrollment(visit.user.id, visit.user.username, enrollmentModeOf(visit)),

    async restartEnrollment({ visit, mode }) {
      await twoFactor.restartEnrollment(visit.user.id, visit.user.username, mode);
      return { go: goTo("enroll") };
    },

    async confirmEnrollment({ visit, mode }, code, origin, delivery = "next-page") {
      const codes = await twoFactor.confirmEnrollment(visit.user.id, code, mode, origin);
      const signedIn = visit.session.level === "full";
      // Another session enrolled first: this one goes on as that factor now asks.
      if (!codes) return { go: goTo(signedIn ? "account" : "challenge") };
      // R26: enrollment completes a sign-in only for an account that had no active factor.
      const state = signedIn ? signInStateOf(visit) : transition(signInStateOf(visit), { type: "enrollment-confirmed" });
      // R37: a new phone ends every other session (remembered browsers ended with the swap).
      if (mode.kind === "replace") await sessions.endOthers(visit.session, origin);
      if (delivery === "in-decision") {
        const issued = await sessions.reissue(visit.session, levelOf(state));
        return { sessionToken: issued.token, recoveryCodes: codes, go: goTo("done", issued.session.nextPath) };
      }
      const issued = await sessions.reissue(visit.session, levelOf(state), { recoveryCodes: codes });
      return { sessionToken: issued.token, go: goTo("recovery-codes") };
    },

    async takeNotice(visit) {
      const { notice, recoveryCodes } = sessions.peekFlash(visit.session);
      if (recoveryCodes || !notice) return undefined;
      return (await sessions.takeFlash(visit.session)).notice;
    },

    async takeRecoveryCodes(visit) {
      return (await sessions.takeFlash(visit.session)).recoveryCodes;
    },
  };
}
