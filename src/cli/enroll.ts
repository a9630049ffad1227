// `gatehouse enroll NAME`: enrollment at the console. Prints the QR code in the terminal (the
// tutorial's "render the QR code directly to the console"), the key in groups of four and the
// otpauth URI, reads a code from the authenticator on stdin, confirms, and prints the recovery
// codes once. The same core path as the web page: the same pending secret until it is confirmed
// or expires (R24), the same throttle (R10), the same replay guard (R7). The console's key is its
// own: no browser session of the user sees or confirms it.
import { ErrorCode, isGatehouseError, ThrottledError } from "../core/errors.js";
import { renderQRCodeTerminal } from "../core/qr.js";
import { consoleEnrollment } from "../core/two-factor.js";
import { CommandFailure, type Command } from "./command.js";
import { CLI_ORIGIN, withUser } from "./context.js";
import { formatTime, readLine, writeOut } from "./io.js";

/** As on the setup page: easier to type into an app by hand. */
export function inGroupsOfFour(key: string): string {
  return key.replace(/(.{4})(?=.)/g, "$1 ");
}

async function readCode(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("6-digit code from the authenticator app: ");
  const line = await readLine();
  if (line === null || line.trim() === "") throw new CommandFailure("no code given; nothing was changed");
  return line;
}

function failureOf(error: unknown, name: string): unknown {
  if (error instanceof ThrottledError) {
    return new CommandFailure(
      `${name}'s second factor is locked after too many wrong codes (for ${error.retryAfterSeconds} s); ` +
        `gatehouse user unlock ${name} clears the lock`,
    );
  }
  if (isGatehouseError(error) && error.code === ErrorCode.INVALID_CODE) {
    return new CommandFailure(`wrong code: it is not the current code for this key; run gatehouse enroll ${name} again`);
  }
  if (isGatehouseError(error) && error.code === ErrorCode.ENROLLMENT_EXPIRED) {
    return new CommandFailure(`the setup key expired before the code came; run gatehouse enroll ${name} again`);
  }
  return error;
}

const enroll: Command = {
  path: ["enroll"],
  positionals: ["NAME"],
  summary: "Enroll an authenticator app at the console (QR code in the terminal).",
  details:
    "Prints the QR code, the key in groups of four and the otpauth:// URI, then reads the\n" +
    "6-digit code from stdin (a prompt on a terminal, the first line of a pipe). A right code\n" +
    "turns two-factor sign-in on and prints the recovery codes, shown this once only.\n" +
    "Until it is confirmed (15 minutes), running it again shows the same key.",
  async run({ positionals: [name] }) {
    const codes = await withUser(name!, async (services, user) => {
      if (await services.twoFactor.isEnrolled(user.id)) {
        throw new CommandFailure(`${name} already has two-factor sign-in; reset it first with gatehouse user reset-2fa ${name}`);
      }
      const mode = consoleEnrollment(user.id);
      const view = await services.twoFactor.currentEnrollment(user.id, user.username, mode);
      writeOut(
        [
          `Scan this QR code with Google Authenticator (or another TOTP app), or type the key.`,
          "",
          (await renderQRCodeTerminal(view.keyURI)).trimEnd(),
          "",
          `Key:  ${inGroupsOfFour(view.secretBase32)}`,
          `URI:  ${view.keyURI}`,
          `The key is valid until ${formatTime(view.expiresAt)}.`,
        ].join("\n"),
      );
      const code = await readCode();
      try {
        const recoveryCodes = await services.twoFactor.confirmEnrollment(user.id, code, mode, CLI_ORIGIN);
        if (!recoveryCodes) throw new CommandFailure(`${name}'s enrollment changed meanwhile; nothing was changed here`);
        return recoveryCodes;
      } catch (error) {
        throw failureOf(error, name!);
      }
    });
    writeOut(
      [
        "",
        `Two-factor sign-in is on for ${name}.`,
        "Recovery codes (each works once; they are shown only now, so store them safely):",
        ...codes.map((code) => `  ${code}`),
      ].join("\n"),
    );
  },
};

export const enrollCommands: Command[] = [enroll];
