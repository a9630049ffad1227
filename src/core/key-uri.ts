// otpauth:// key URIs in Google Authenticator's key-uri-format, the payload of the enrollment QR
// code (R28). Built by hand rather than with URLSearchParams, which writes spaces as "+": some
// authenticators show that "+" literally in the account list.
import { decodeBase32, encodeBase32 } from "./base32.js";
import type { HashAlgorithm } from "./totp.js";

export interface TOTPKeyURIInput {
  issuer: string;
  accountName: string;
  secret: Uint8Array;
  digits?: number;
  periodSeconds?: number;
  algorithm?: HashAlgorithm;
}

export interface ParsedTOTPKeyURI {
  issuer: string | null;
  accountName: string;
  secret: Uint8Array;
  digits: number;
  periodSeconds: number;
  algorithm: HashAlgorithm;
}

const PREFIX = "otpauth://totp/";
const MAX_URI_LENGTH = 4096;
const ALGORITHMS: readonly HashAlgorithm[] = ["SHA1", "SHA256", "SHA512"];
const MAX_PERIOD_SECONDS = 3600;

function isValidDigits(digits: number): boolean {
  return Number.isInteger(digits) && digits >= 6 && digits <= 8;
}

function isValidPeriod(period: number): boolean {
  return Number.isInteger(period) && period >= 1 && period <= MAX_PERIOD_SECONDS;
}

function checkLabelPart(name: string, value: string): void {
  // GA key-uri-format: "Neither issuer nor account name may themselves contain a colon".
  // A colon would make the label ambiguous, so it is a configuration/registration error (R28).
  if (typeof value !== "string" || value.length === 0) throw new TypeError(`${name} must not be empty`);
  if (value.includes(":")) throw new TypeError(`${name} must not contain ':'`);
}

function encodeLabelPart(name: string, value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    throw new TypeError(`${name} must be well-formed Unicode`); // a lone surrogate
  }
}

/**
 * Builds the otpauth://totp/ URI an enrollment QR code carries. Throws TypeError for an empty issuer
 * or account name, or one containing ':'.
 */
export function createTOTPKeyURI(input: TOTPKeyURIInput): string {
  checkLabelPart("issuer", input.issuer);
  checkLabelPart("accountName", input.accountName);
  if (!(input.secret instanceof Uint8Array) || input.secret.length === 0) {
    throw new TypeError("secret must be a non-empty Uint8Array");
  }
  const digits = input.digits ?? 6;
  const period = input.periodSeconds ?? 30;
  const algorithm = input.algorithm ?? "SHA1";
  if (!isValidDigits(digits)) throw new TypeError(`digits must be 6, 7 or 8, got ${digits}`);
  if (!isValidPeriod(period)) throw new TypeError(`periodSeconds must be 1..${MAX_PERIOD_SECONDS}, got ${period}`);
  if (!ALGORITHMS.includes(algorithm)) throw new TypeError(`unsupported algorithm ${String(algorithm)}`);

  // encodeURIComponent: space → %20 (never "+"), "@" → %40, "&" → %26 (R28).
  const issuer = encodeLabelPart("issuer", input.issuer);
  const account = encodeLabelPart("accountName", input.accountName);
  // The issuer goes in both the label prefix (older apps) and the parameter (GA's preferred).
  return (
    `${PREFIX}${issuer}:${account}?secret=${encodeBase32(input.secret)}&issuer=${issuer}` +
    `&algorithm=${algorithm}&digits=${digits}&period=${period}`
  );
}

function decodeComponent(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Parses an otpauth://totp/ URI; null for anything malformed (bad client input never throws). */
export function parseTOTPKeyURI(uri: string): ParsedTOTPKeyURI | null {
  if (typeof uri !== "string" || uri.length > MAX_URI_LENGTH) return null;
  if (uri.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return null;
  const rest = uri.slice(PREFIX.length);
  const queryStart = rest.indexOf("?");
  if (queryStart === -1) return null;
  const rawLabel = rest.slice(0, queryStart);
  const rawQuery = rest.slice(queryStart + 1);
  if (rawQuery.includes("#")) return null;

  // The separator may be a literal ':' or '%3A'; decode first, then split once.
  const label = decodeComponent(rawLabel);
  if (label === null) return null;
  const colon = label.indexOf(":");
  const labelIssuer = colon === -1 ? null : label.slice(0, colon);
  const accountName = colon === -1 ? label : label.slice(colon + 1);
  if (accountName.length === 0 || accountName.includes(":") || labelIssuer === "") return null;

  const params = new Map<string, string>();
  for (const pair of rawQuery.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq === -1) return null;
    const name = decodeComponent(pair.slice(0, eq));
    const value = decodeComponent(pair.slice(eq + 1));
    if (name === null || value === null) return null;
    const key = name.toLowerCase();
    if (params.has(key)) return null; // duplicate parameters are ambiguous
    params.set(key, value);
  }

  const secretText = params.get("secret");
  if (secretText === undefined) return null;
  const secret = decodeBase32(secretText);
  if (secret === null || secret.length === 0) return null;

  const issuerParam = params.get("issuer");
  if (issuerParam !== undefined && (issuerParam.length === 0 || issuerParam.includes(":"))) return null;
  // GA key-uri-format: when both are present they "should be equal"; disagreement is malformed.
  if (issuerParam !== undefined && labelIssuer !== null && issuerParam !== labelIssuer) return null;

  const algorithmText = (params.get("algorithm") ?? "SHA1").toUpperCase();
  const algorithm = ALGORITHMS.find((a) => a === algorithmText);
  if (algorithm === undefined) return null;

  const digitsText = params.get("digits") ?? "6";
  const periodText = params.get("period") ?? "30";
  if (!/^[0-9]{1,4}$/.test(digitsText) || !/^[0-9]{1,6}$/.test(periodText)) return null;
  const digits = Number(digitsText);
  const periodSeconds = Number(periodText);
  if (!isValidDigits(digits) || !isValidPeriod(periodSeconds)) return null;

  return { issuer: issuerParam ?? labelIssuer, accountName, secret, digits, periodSeconds, algorithm };
}
