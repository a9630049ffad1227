// The gatehouse app's own first factor: its users' passwords and registration (R16, R26, R43),
// on top of the one sign-in flow (sign-in.ts) a host app's users go through too.
import { toAccount, type AccountChanges, type StepUp } from "./account-changes.js";
import type { Accounts } from "./accounts.js";
import type { RequestOrigin, SessionWithUser } from "./ports.js";
import type { SignIn, SignInDecision, Visit } from "./sign-in.js";

export interface PasswordInput {
  username: string;
  password: string;
  /** Where to go once signed in, already a safe same-site path (R45). */
  nextPath: string;
  /** The remembered-browser tokens the browser sent (R46). */
  rememberedTokens: readonly string[];
}

export interface RegistrationInput {
  username: string;
  password: string;
  invitation: string | undefined;
  nextPath: string;
}

export interface PasswordStep {
  /** The password step: a new session, pending, or full for a browser this user remembered. */
  withPassword(visit: Visit, input: PasswordInput, origin: RequestOrigin): Promise<SignInDecision>;
  /** A new account, signed in with its password and sent to enroll (R26). */
  register(visit: Visit, input: RegistrationInput, origin: RequestOrigin): Promise<SignInDecision>;
  /** R39 step-up, then the new password; the other sessions and remembered browsers end (R37, R47). */
  changePassword(visit: SessionWithUser, stepUp: StepUp, newPassword: string, origin: RequestOrigin): Promise<SignInDecision>;
}

export function createPasswordStep(deps: { accounts: Accounts; signIn: SignIn; accountChanges: AccountChanges }): PasswordStep {
  const { accounts, signIn, accountChanges } = deps;
  return {
    async withPassword(visit, { username, password, nextPath, rememberedTokens }, origin) {
      const user = await accounts.verifyPassword(username, password, origin);
      // A password change or a disable that landed during the check (an Argon2 verify) ended
      // every session but the one started after it: checked once that one exists.
      return signIn.startSession(visit, { holder: user, nextPath, rememberedTokens }, origin, () => accounts.confirmStillAdmitted(user));
    },

    async register(visit, { username, password, invitation, nextPath }, origin) {
      const user = await accounts.register(username, password, { origin, invitation });
      return signIn.startSession(visit, { holder: user, nextPath, rememberedTokens: [] }, origin);
    },

    async changePassword(visit, stepUp, newPassword, origin) {
      await accountChanges.reauthenticate(visit, stepUp, origin);
      await accounts.changePassword(visit.user, newPassword, origin);
      const notice = "Your password is changed. Other sessions and remembered browsers were signed out.";
      return accountChanges.factorChanged(visit, origin, { notice }, toAccount);
    },
  };
}
