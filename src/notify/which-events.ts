// Which security events a user is told about (activity-log feature). The rest (a wrong password,
// a sign-out, a remembered browser accepted) stay in the log: telling the user about every
// password typo is noise that teaches them to ignore the messages that matter.

export const NOTIFY_USER_ABOUT: ReadonlySet<string> = new Set([
  "two-factor-enabled",
  "two-factor-disabled",
  "two-factor-reenrolled",
  "recovery-codes-regenerated",
  "recovery-code-used",
  "second-factor-locked",
  // The password was right but the code failed: someone else may know the password
  // (Copenhagen Book, MFA: tell the user so they can change it).
  "second-factor-rejected",
  "password-changed",
  "device-forgotten",
  "admin-reset-2fa",
  // Set by an administrator: the user learns of it from us, not from a refused sign-in.
  "admin-password-set",
]);

export function shouldNotify(type: string): boolean {
  return NOTIFY_USER_ABOUT.has(type);
}
