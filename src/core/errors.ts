// One registry of error codes (Better Auth style). The web layer maps each code to a status and
// a page in exactly one place (src/web/errors.ts); the core never knows about HTTP.

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
  ENROLLMENT_EXPIRED: "ENROLLMENT_EXPIRED",
  SESSION_EXPIRED: "SESSION_EXPIRED",
  STORE_UNAVAILABLE: "STORE_UNAVAILABLE",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class GatehouseError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
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

export function isGatehouseError(value: unknown): value is GatehouseError {
  return value instanceof GatehouseError;
}
