// Enrollment, the code challenge, and the use of recovery codes (recovery-code-book.ts). Every
// path that accepts a second factor goes through `guarded`: charge the account's throttle first,
// then check (R10, R14, R21).
import { encodeBase32 } from "./base32.js";
import { ErrorCode, GatehouseError, ThrottledError } from "./errors.js";
import { createTOTPKeyURI } from "./key-uri.js";
import type { PasswordHasher } from "./password.js";
import type {
  Clock,
  EnrollmentKind,
  EventOrigin,
  RandomSource,
  RecoveryCodeStore,
  SecondFactorThrottle,
  SecurityEventSink,
  TOTPStore,
} from "./ports.js";
import { createRecoveryCodeBook } from "./recovery-code-book.js";
import type { RecoveryCodeHasher } from "./recovery-code-hash.js";
import type { Sealer } from "./seal.js";
import { parseOTPInput, verifyTOTP } from "./totp.js";

/** R4: 160-bit secrets, the length Google Authenticator and RFC 4226 recommend. */
const SECRET_BYTES = 20;

export interface TwoFactorOptions {
  issuer: string;
  /** R24: how long a shown but unconfirmed secret stays valid. */
  enrollmentTTLms: number;
}

/** An active authenticator as its owner may list it: never its secret. */
export interface AuthenticatorView {
  /** Today an account has at most one TOTP app, so its kind names it. */
  id: string;
  kind: "totp";
  createdAt: number;
}

export interface EnrollmentView {
  secretBase32: string;
  keyURI: string;
  expiresAt: number;
}

/**
 * Who enrolls: the session (hash) the key is shown to, which alone may confirm it, and whether
 * it is a first authenticator or a new phone replacing the active one.
 */
export interface EnrollmentMode {
  kind: EnrollmentKind;
  sessionIdHash: string;
}

/**
 * `gatehouse enroll` at the console: its own pending key, which no browser session can see or
 * confirm (session hashes are 64 hex digits, never this).
 */
export const consoleEnrollment = (userId: string): EnrollmentMode => ({ kind: "first", sessionIdHash: `console:${userId}` });

/**
 * The second factor of an account: its TOTP authenticator and its recovery codes. Every method
 * that accepts a factor charges the account's throttle first and throws THROTTLED while locked.
 */
export interface TwoFactor {
  /** Whether the account has an active authenticator. */
  isEnrolled(userId: string): Promise<boolean>;
  /** The account's active authenticators (at most its one TOTP app for now). */
  listAuthenticators(userId: string): Promise<AuthenticatorView[]>;
  /**
   * R24: the same pending secret on every reload of the session that was shown it, until it is
   * confirmed or expires; a session without one of this kind gets a fresh one (F1: never
   * another session's). The caller has checked that this session may enroll in this mode.
   */
  currentEnrollment(userId: string, username: string, mode: EnrollmentMode): Promise<EnrollmentView>;
  /** True when this session re-authenticated for a new-phone enrollment that is still open. */
  hasNewPhoneEnrollment(userId: string, sessionIdHash: string): Promise<boolean>;
  /** Copenhagen Book MFA: a new QR code means a new secret; the session's pending one is replaced. */
  restartEnrollment(userId: string, username: string, mode: EnrollmentMode): Promise<EnrollmentView>;
  /**
   * Confirms the session's pending secret with a code from the app; the code's step seeds the
   * replay guard (R7). `replace` swaps the secret of an active factor (a new phone); the old
   * secret worked until this moment. The first confirmation wins: every other session's pending
   * key is discarded with it. Returns the new recovery codes, to be shown once, or null when
   * the factor was not in the expected state (another session enrolled first, say). Throws
   * ENROLLMENT_EXPIRED without a pending key of the session's mode, INVALID_CODE for a wrong code.
   */
  confirmEnrollment(userId: string, input: string, mode: EnrollmentMode, origin: EventOrigin): Promise<string[] | null>;
  /**
   * The sign-in challenge (R5, R6, R8): ±1 step, each step usable once per account. Throws
   * INVALID_CODE for a wrong or already-used code.
   */
  verifyCode(userId: string, input: string, origin: EventOrigin): Promise<void>;
  /**
   * R20, R21: single use, atomic, on the same throttle as codes. Returns how many are left;
   * throws INVALID_RECOVERY_CODE for a wrong or already-used one.
   */
  useRecoveryCode(userId: string, input: string, origin: EventOrigin): Promise<number>;
  /**
   * Step-up for account changes (R14, R39): a current code, or an unused recovery code typed
   * in the same field; one throttled attempt either way.
   */
  verifyCodeOrRecoveryCode(userId: string, input: string, origin: EventOrigin): Promise<void>;
  /** R22: replaces every previous code. The caller has just verified a second factor. */
  regenerateRecoveryCodes(userId: string, origin: EventOrigin): Promise<string[]>;
  /**
   * Turns 2FA off: the next sign-in enrolls again. The caller has just re-authenticated. False
   * when the account had no active authenticator.
   */
  disable(userId: string, origin: EventOrigin): Promise<boolean>;
}

export interface TwoFactorDeps {
  totp: TOTPStore;
  recoveryCodes: RecoveryCodeStore;
  throttle: SecondFactorThrottle;
  sealer: Sealer;
  /** Stores and checks codes as keyed hashes: no Argon2 (review F6). */
  recoveryCodeHasher: RecoveryCodeHasher;
  /** Checks only the Argon2id hashes of codes issued before keyed hashes (never makes one). */
  legacyRecoveryCodeHasher: PasswordHasher;
  clock: Clock;
  random: RandomSource;
  events: SecurityEventSink;
}

const invalidCode = () => new GatehouseError(ErrorCode.INVALID_CODE, "That code is not right. Try the current code.");

/**
 * R27: the secret is bound to its user, so a sealed value copied to another row does not open.
 * Exported for key rotation, which reseals under the same binding.
 */
export const secretAAD = (userId: string) => `totp-secret:${userId}`;

export function createTwoFactor(deps: TwoFactorDeps, options: TwoFactorOptions): TwoFactor {
  const { totp, recoveryCodes, throttle, sealer, clock, random, events } = deps;
  const book = createRecoveryCodeBook({
    recoveryCodes,
    hasher: deps.recoveryCodeHasher,
    legacyHasher: deps.legacyRecoveryCodeHasher,
    clock,
    random,
    events,
  });

  /** Charges the throttle, runs the check, and resets the count only when the check passed. */
  async function guarded<T>(userId: string, origin: EventOrigin, check: () => Promise<T>): Promise<T> {
    const decision = await throttle.charge(userId, clock.now());
    if (!decision.allowed) {
      await events.record({ type: "second-factor-locked", origin, userId, detail: { hardLocked: decision.hardLocked } });
      throw new ThrottledError(decision.retryAfterSeconds);
    }
    const result = await check();
    // R13: only a full sign-in (password earlier in this session, this factor now) resets it.
    await throttle.reset(userId);
    return result;
  }

  function openSecret(userId: string, sealed: string): Uint8Array {
    const secret = sealer.open(sealed, secretAAD(userId));
    if (!secret) throw new Error("a stored TOTP secret does not open with the configured keys");
    return secret;
  }

  function matchStep(secret: Uint8Array, input: string): number | null {
    const code = parseOTPInput(input);
    return code === null ? null : verifyTOTP(secret, code, clock.now() / 1000);
  }

  function viewOf(username: string, secret: Uint8Array, expiresAt: number): EnrollmentView {
    return {
      secretBase32: encodeBase32(secret),
      keyURI: createTOTPKeyURI({ issuer: options.issuer, accountName: username, secret }),
      expiresAt,
    };
  }

  /** A new key for the session, replacing only that session's previous one. */
  async function startEnrollment(userId: string, username: string, { kind, sessionIdHash }: EnrollmentMode): Promise<EnrollmentView> {
    const secret = random(SECRET_BYTES);
    const expiresAt = clock.now() + options.enrollmentTTLms;
    const sealedSecret = sealer.seal(secret, secretAAD(userId));
    await totp.savePendingEnrollment({ userId, sessionIdHash, kind, sealedSecret, expiresAt });
    return viewOf(username, secret, expiresAt);
  }

  /** The TOTP check inside `guarded`: ±1 step (R5), each step once per account (R6). */
  async function checkCode(userId: string, input: string, origin: EventOrigin): Promise<void> {
    const factor = await totp.findFactor(userId);
    const step = factor ? matchStep(openSecret(userId, factor.sealedSecret), input) : null;
    if (step === null) {
      await events.record({ type: "second-factor-rejected", origin, userId });
      throw invalidCode();
    }
    if (!(await totp.consumeStep(userId, step))) {
      await events.record({ type: "second-factor-replayed", origin, userId, detail: { step } });
      throw invalidCode();
    }
    await events.record({ type: "second-factor-accepted", origin, userId });
  }

  return {
    async isEnrolled(userId) {
      return (await totp.findFactor(userId)) !== null;
    },

    async listAuthenticators(userId) {
      const factor = await totp.findFactor(userId);
      return factor ? [{ id: "totp", kind: "totp", createdAt: factor.createdAt }] : [];
    },

    async currentEnrollment(userId, username, mode) {
      const pending = await totp.findPendingEnrollment(userId, mode.sessionIdHash, clock.now());
      if (pending?.kind === mode.kind) return viewOf(username, openSecret(userId, pending.sealedSecret), pending.expiresAt);
      return startEnrollment(userId, username, mode);
    },

    async hasNewPhoneEnrollment(userId, sessionIdHash) {
      const pending = await totp.findPendingEnrollment(userId, sessionIdHash, clock.now());
      return pending?.kind === "replace";
    },

    restartEnrollment: startEnrollment,

    async confirmEnrollment(userId, input, mode, origin) {
      return guarded(userId, origin, async () => {
        // Only the session's own key, of the mode the session is in (F1, R25).
        const pending = await totp.findPendingEnrollment(userId, mode.sessionIdHash, clock.now());
        if (pending?.kind !== mode.kind) {
          throw new GatehouseError(ErrorCode.ENROLLMENT_EXPIRED, "The setup key expired. Scan the new QR code.");
        }
        const step = matchStep(openSecret(userId, pending.sealedSecret), input);
        if (step === null) {
          await events.record({ type: "second-factor-rejected", origin, userId, detail: { during: "enrollment" } });
          throw invalidCode();
        }
        const { codes, hashes } = book.issue(userId);
        const activated = await totp.activateFactor({
          userId,
          sessionIdHash: mode.sessionIdHash,
          replace: mode.kind === "replace",
          sealedSecret: pending.sealedSecret,
          usedStep: step,
          recoveryCodeHashes: hashes,
          now: clock.now(),
        });
        if (!activated) return null;
        await events.record({ type: mode.kind === "replace" ? "two-factor-reenrolled" : "two-factor-enabled", origin, userId });
        return codes;
      });
    },

    async verifyCode(userId, input, origin) {
      await guarded(userId, origin, () => checkCode(userId, input, origin));
    },

    async useRecoveryCode(userId, input, origin) {
      return guarded(userId, origin, () => book.use(userId, input, origin));
    },

    async verifyCodeOrRecoveryCode(userId, input, origin) {
      await guarded(userId, origin, async () => {
        if (parseOTPInput(input) !== null) await checkCode(userId, input, origin);
        else await book.use(userId, input, origin);
      });
    },

    async regenerateRecoveryCodes(userId, origin) {
      const { codes, hashes } = book.issue(userId);
      await recoveryCodes.replaceRecoveryCodes(userId, hashes, clock.now());
      await events.record({ type: "recovery-codes-regenerated", origin, userId });
      return codes;
    },

    async disable(userId, origin) {
      const disabled = await totp.disableFactor(userId);
      if (disabled) await events.record({ type: "two-factor-disabled", origin, userId });
      return disabled;
    },
  };
}
