// The sign-in flow as a pure state machine (R55): anonymous -> password verified -> signed in.
// No I/O: the web layer feeds it server-side facts and follows the step it names.

export type SignInState =
  | { kind: "anonymous" }
  | { kind: "password-verified"; userId: string; enrolled: boolean }
  | { kind: "signed-in"; userId: string };

export type SignInEvent =
  | { type: "password-accepted"; userId: string; enrolled: boolean }
  | { type: "second-factor-accepted" }
  | { type: "enrollment-confirmed" }
  | { type: "signed-out" };

/** What the user must do next before the protected app opens. */
export type SignInStep = "password" | "enroll" | "challenge" | "done";

export class InvalidTransitionError extends Error {
  override name = "InvalidTransitionError";
}

export function transition(state: SignInState, event: SignInEvent): SignInState {
  switch (event.type) {
    case "signed-out":
      return { kind: "anonymous" };
    case "password-accepted":
      // A new password step always starts over, whatever came before (R32: a new session).
      return { kind: "password-verified", userId: event.userId, enrolled: event.enrolled };
    case "second-factor-accepted":
      if (state.kind === "password-verified" && state.enrolled) return { kind: "signed-in", userId: state.userId };
      break;
    case "enrollment-confirmed":
      // R26: enrollment completes a sign-in only for an account that had no active factor.
      if (state.kind === "password-verified" && !state.enrolled) return { kind: "signed-in", userId: state.userId };
      break;
  }
  throw new InvalidTransitionError(`${event.type} is not allowed in state ${state.kind}`);
}

export function nextStep(state: SignInState): SignInStep {
  switch (state.kind) {
    case "anonymous":
      return "password";
    case "password-verified":
      return state.enrolled ? "challenge" : "enroll";
    case "signed-in":
      return "done";
  }
}
