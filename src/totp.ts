// The "./totp" entry: gatehouse's pure building blocks (codes, secrets, key URIs, QR, recovery codes), no I/O.
export {
  generateHOTP,
  generateTOTP,
  verifyTOTP,
  parseOTPInput,
  timeStepAt,
  type HashAlgorithm,
  type TOTPOptions,
} from "./core/totp.js";
export { encodeBase32, decodeBase32 } from "./core/base32.js";
export { createTOTPKeyURI, parseTOTPKeyURI, type TOTPKeyURIInput, type ParsedTOTPKeyURI } from "./core/key-uri.js";
export { renderQRCodePNGDataURL, renderQRCodeTerminal } from "./core/qr.js";
export { generateRecoveryCodes, normalizeRecoveryCode } from "./core/recovery-codes.js";
export type { RandomSource } from "./core/ports.js";
