// Reads a QR code back from its terminal rendering (qrcode's "small" terminal renderer): each
// character is two modules stacked, drawn with the half-block glyphs ▀ ▄ █ and space, in the
// foreground or background colour the ANSI codes before it set (30/40 black, 37/47 white, 0 reset).
import jsQRModule from "jsqr";

// jsqr is CommonJS with an ES-style `export default` in its types: take whichever shape arrives.
type JsQR = (typeof import("jsqr"))["default"];
const jsQR: JsQR =
  typeof jsQRModule === "function" ? (jsQRModule as JsQR) : (jsQRModule as unknown as { default: JsQR }).default;

type Colour = "black" | "white" | "none";

const COVERS = { " ": [false, false], "▀": [true, false], "▄": [false, true], "█": [true, true] } as const;

/** Dark modules of every pixel row, quiet zone included, from the lines that carry the QR code. */
export function parseTerminalQR(output: string): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of output.split("\n")) {
    if (!line.includes("\x1b[")) continue;
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    let fg: Colour = "none";
    let bg: Colour = "none";
    for (const token of line.match(/\x1b\[[\d;]*m|./gu) ?? []) {
      if (token.startsWith("\x1b[")) {
        for (const code of token.slice(2, -1).split(";")) {
          if (code === "0" || code === "") fg = bg = "none";
          else if (code === "30") fg = "black";
          else if (code === "37") fg = "white";
          else if (code === "40") bg = "black";
          else if (code === "47") bg = "white";
        }
        continue;
      }
      const covers = COVERS[token as keyof typeof COVERS];
      if (!covers) throw new Error(`unexpected character ${JSON.stringify(token)} in the QR code`);
      top.push((covers[0] ? fg : bg) === "black");
      bottom.push((covers[1] ? fg : bg) === "black");
    }
    if (top.length > 0) rows.push(top, bottom);
  }
  return rows;
}

/** The modules inside a one-module quiet zone; throws if the quiet zone has a dark module. */
export function stripQuietZone(pixels: boolean[][]): boolean[][] {
  const width = pixels[0]?.length ?? 0;
  const size = width - 2;
  const inside = pixels.slice(1, size + 1).map((row) => row.slice(1, size + 1));
  const darkOutside = pixels.some((row, y) => row.some((dark, x) => dark && (y === 0 || y > size || x === 0 || x > size)));
  if (darkOutside || inside.length !== size) throw new Error("the QR code has no clean one-module quiet zone");
  return inside;
}

/** Decodes a module matrix with jsQR (an independent decoder), at 4 px a module and a 4-module quiet zone. */
export function decodeModules(modules: boolean[][]): string | null {
  const scale = 4;
  const quiet = 4;
  const side = (modules.length + 2 * quiet) * scale;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  modules.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const offset = (((y + quiet) * scale + dy) * side + (x + quiet) * scale + dx) * 4;
          rgba.fill(0, offset, offset + 3);
        }
      }
    }),
  );
  return jsQR(rgba, side, side)?.data ?? null;
}
