// Username and password rules for new accounts (R28, R43).
import commonPasswords from "fxa-common-password-list";

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
const USERNAME_PATTERN = /^[A-Za-z0-9._@+-]{1,64}$/;

/** The unique lookup key of a username, or null when it is not an acceptable username. */
export function usernameKey(username: string): string | null {
  // ':' would break the otpauth label (R28); the pattern leaves it out with every other oddity.
  if (!USERNAME_PATTERN.test(username)) return null;
  return username.toLowerCase();
}

export type PasswordProblem = "too-short" | "too-long" | "common" | "same-as-username";

/** R43: length and a common-password list only, no composition rules. */
export function findPasswordProblem(password: string, username: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return "too-short";
  if (length > PASSWORD_MAX_LENGTH) return "too-long";
  if (password.toLowerCase() === username.toLowerCase()) return "same-as-username";
  if (commonPasswords.test(password) || commonPasswords.test(password.toLowerCase())) return "common";
  return null;
}

export const PASSWORD_PROBLEM_MESSAGES: Record<PasswordProblem, string> = {
  "too-short": `Choose a password of at least ${PASSWORD_MIN_LENGTH} characters.`,
  "too-long": `Choose a password of at most ${PASSWORD_MAX_LENGTH} characters.`,
  common: "That password is on a list of commonly used passwords. Choose another.",
  "same-as-username": "The password must not be the same as the username.",
};
