// One registry of error codes (Better Auth style). The web layer maps each code to a status and
// a page in exactly one place (src/web/errors.ts); the core never knows about HTTP.
import type { SignInStep } from "./flow.js";

export const ErrorCode = {
  MALFORMED_REQUEST: "MALFORMED_REQUEST",
  CSRF_FAILED: "CSRF_FAILED",
  INVALID_CREDENTIALS: "INVALID_CREDENTIALS",
  INVALID_CODE: "INVALID_CODE",
  INVALID_RECOVERY_CODE: "INVALID_RECOVERY_CODE",
  THROTTLED: "THROTTLED",
  USERNAME_TAKEN: "USERNAME_TAKEN",
  INVALID_USERNAME: "INVALID_USERNAME",
  WEAK_PASSWORD: "WEAK_PASSWORD",
  REGISTRATION_CLOSED: "REGISTRATION_CLOSED",
  /** The right password of an account an administrator disabled (`gatehouse user disable`). */
  ACCOUNT_DISABLED: "ACCOUNT_DISABLED",
  ENROLLMENT_EXPIRED: "ENROLLMENT_EXPIRED",
  SESSION_EXPIRED: "SESSION_EXPIRED",
  STORE_UNAVAILABLE: "STORE_UNAVAILABLE",
  /** The gateway: the protected app needs a full sign-in (both factors). */
  SIGN_IN_REQUIRED: "SIGN_IN_REQUIRED",
  /** The gateway: signed in, but the access rules do not let this user reach this path. */
  ACCESS_DENIED: "ACCESS_DENIED",
  /** The gateway: the protected app could not be reached (refused, reset, unknown host). */
  UPSTREAM_UNAVAILABLE: "UPSTREAM_UNAVAILABLE",
  /** The gateway: the protected app did not answer in time. */
  UPSTREAM_TIMEOUT: "UPSTREAM_TIMEOUT",
  /** Forward auth: the proxy's request names two different original URIs (review F4). */
  CONFLICTING_ORIGINAL_URI: "CONFLICTING_ORIGINAL_URI",
  /** The JSON API: a call for another step of the sign-in than the visitor's (pages redirect instead). */
  WRONG_STEP: "WRONG_STEP",
  /** The JSON API: a body that is not JSON (pages answer these with their own error page). */
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  /** The JSON API: a body over the size limit. */
  REQUEST_TOO_LARGE: "REQUEST_TOO_LARGE",
  /** The JSON API: no such endpoint. */
  NOT_FOUND: "NOT_FOUND",
  /** The JSON API: a fault of ours, never the client's. */
  INTERNAL_ERROR: "INTERNAL_ERROR",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class GatehouseError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    // An answer to the visitor (a wrong code, a taken name), not a fault: where it was thrown is
    // never logged nor shown, and capturing the stack was 3 % of a wrong code's CPU. A fault
    // behind it (the database's error) keeps its own stack as `cause`.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = "GatehouseError";
    this.code = code;
  }
}

export class ThrottledError extends GatehouseError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(ErrorCode.THROTTLED, "Too many attempts. Wait a moment and try again.");
    this.name = "ThrottledError";
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** Carries where the visitor was going, so the answer can offer a sign-in that returns there. */
export class SignInRequiredError extends GatehouseError {
  readonly nextPath: string;

  constructor(nextPath: string) {
    super(ErrorCode.SIGN_IN_REQUIRED, "Sign in to continue.");
    this.name = "SignInRequiredError";
    this.nextPath = nextPath;
  }
}

/** A call for a step the visitor is not at; `step` is where they are (never "password": that is SIGN_IN_REQUIRED). */
export class WrongStepError extends GatehouseError {
  readonly step: SignInStep;

  constructor(step: SignInStep) {
    super(ErrorCode.WRONG_STEP, `This sign-in is at another step: ${step}.`);
    this.name = "WrongStepError";
    this.step = step;
  }
}

export function isGatehouseError(value: unknown): value is GatehouseError {
  return value instanceof GatehouseError;
}
