// The enrollment QR code must scan back to exactly the otpauth URI (R28, R29).
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { renderQRCodePNGDataURL, renderQRCodeTerminal } from "../../src/core/qr.js";
import { createTOTPKeyURI } from "../../src/core/key-uri.js";

// jsqr is CommonJS with an ES-style `export default` in its types: take whichever shape arrives.
type JsQR = (typeof import("jsqr"))["default"];
const jsQR: JsQR =
  typeof jsQRModule === "function" ? (jsQRModule as JsQR) : (jsQRModule as unknown as { default: JsQR }).default;

const PREFIX = "data:image/png;base64,";

function decodeDataURL(dataURL: string): { text: string | null; width: number; height: number; png: PNG } {
  expect(dataURL.startsWith(PREFIX)).toBe(true);
  const png = PNG.sync.read(Buffer.from(dataURL.slice(PREFIX.length), "base64"));
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  return { text: result?.data ?? null, width: png.width, height: png.height, png };
}

const URI = createTOTPKeyURI({
  issuer: "ACME Co",
  accountName: "john.doe@example.com",
  secret: Uint8Array.from({ length: 20 }, (_, i) => i * 13),
});

describe("renderQRCodePNGDataURL", () => {
  it("R29: renders a PNG data URL that decodes back to the exact otpauth URI", async () => {
    const { text } = decodeDataURL(await renderQRCodePNGDataURL(URI));
    expect(text).toBe(URI);
  });

  it("renders an enrollment URI at roughly 250 px, square", async () => {
    const { width, height } = decodeDataURL(await renderQRCodePNGDataURL(URI));
    expect(width).toBe(height);
    expect(width).toBeGreaterThanOrEqual(200);
    expect(width).toBeLessThanOrEqual(300);
  });

  it("keeps a white quiet zone of 4 modules around the symbol", async () => {
    const { png, width } = decodeDataURL(await renderQRCodePNGDataURL(URI));
    // The first dark pixel on the diagonal is the finder pattern's corner: 4 modules in.
    let firstDark = -1;
    for (let i = 0; i < width && firstDark === -1; i++) {
      if (png.data[(i * width + i) * 4]! < 128) firstDark = i;
    }
    expect(firstDark).toBeGreaterThan(0);
    // The symbol is 4 + n + 4 modules wide, so the margin is 4/(n+8) of the width for n ≥ 21.
    const moduleSize = firstDark / 4;
    expect(Number.isInteger(moduleSize)).toBe(true);
    expect((width / moduleSize - 8 - 21) % 4).toBe(0); // a QR symbol is 21 + 4k modules wide
  });

  it("decodes URIs with non-ASCII names", async () => {
    const uri = createTOTPKeyURI({ issuer: "Zürich Bank", accountName: "jürgen", secret: new Uint8Array(20).fill(7) });
    expect(decodeDataURL(await renderQRCodePNGDataURL(uri)).text).toBe(uri);
  });
});

describe("renderQRCodeTerminal", () => {
  it("renders a compact block-character QR code for a terminal", async () => {
    const art = await renderQRCodeTerminal(URI);
    const lines = art.split("\n").filter((l) => l.length > 0);
    expect(art).toMatch(/[▀▄█]/);
    // The small renderer packs two module rows into one text line.
    expect(lines.length).toBeLessThan(40);
  });
});
