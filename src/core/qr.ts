// Server-side QR rendering of the otpauth URI (R29: no third-party QR service ever sees the
// secret; the image travels as a data: URI inside a no-store response).
import QRCode from "qrcode";

/** Error correction M (15 %), the usual choice for screen-to-camera scanning. */
const ERROR_CORRECTION = "M" as const;
/** ISO/IEC 18004 asks for a 4-module quiet zone; scanners fail more often without it. */
const QUIET_ZONE_MODULES = 4;
const TARGET_WIDTH_PX = 250;

/** A QR code of `text` as a `data:image/png;base64,...` URL (about 250 px wide), rendered locally. */
export async function renderQRCodePNGDataURL(text: string): Promise<string> {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: ERROR_CORRECTION });
  // An integer scale keeps every module the same number of pixels (crisper for cameras than
  // qrcode's fractional `width` option); a 20-byte-secret URI lands at ~250 px.
  const scale = Math.max(2, Math.round(TARGET_WIDTH_PX / (modules.size + 2 * QUIET_ZONE_MODULES)));
  return QRCode.toDataURL(text, {
    type: "image/png",
    errorCorrectionLevel: ERROR_CORRECTION,
    margin: QUIET_ZONE_MODULES,
    scale,
  });
}

/** Compact half-block rendering for a terminal (CLI enrollment). */
export async function renderQRCodeTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: "terminal", small: true, errorCorrectionLevel: ERROR_CORRECTION });
}
