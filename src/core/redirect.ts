// R45: `next` is honoured only as a same-origin path. Checked when stored and again when used.
const FALLBACK = "/";
const MAX_LENGTH = 2048;

function decodeOnce(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function isSafePath(value: string): boolean {
  if (!value.startsWith("/")) return false;
  // "//host" and "/\host" are protocol-relative in browsers.
  if (value[1] === "/" || value[1] === "\\") return false;
  if (value.includes("\\")) return false;
  // Control characters and whitespace: browsers strip tabs/newlines, turning "/\t/evil" into "//evil".
  return !/[\u0000-\u0020\u007f-\u009f]/.test(value);
}

export function safeNextPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return FALLBACK;
  // Lone surrogates cannot be percent-encoded (encodeURIComponent throws on them).
  if (!raw.isWellFormed()) return FALLBACK;
  const decoded = decodeOnce(raw);
  if (decoded === null) return FALLBACK;
  if (!isSafePath(raw) || !isSafePath(decoded)) return FALLBACK;
  // A Location header carries ASCII only: non-ASCII characters (and U+2028 and the like) travel
  // percent-encoded, exactly as a browser would send them.
  return raw.replace(/[^\u0000-\u007f]+/gu, (text) => encodeURIComponent(text));
}
