// Helpers shared by the HTTP and regression tests, on top of test/support/app.ts. They read the
// app only through HTTP (pages, headers, cookies) and the store's public ports, never its SQL.
import { createHash } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import {
  codeAt,
  ORIGIN,
  register,
  secretFromSetupPage,
  signInPassword,
  STRONG_PASSWORD,
  type TestApp,
  type TestClient,
} from "../support/app.js";

// jsqr is CommonJS with an ES-style `export default` in its types: take whichever shape arrives.
type JsQR = (typeof import("jsqr"))["default"];
const jsQR: JsQR =
  typeof jsQRModule === "function" ? (jsQRModule as JsQR) : (jsQRModule as unknown as { default: JsQR }).default;

export const STEP_MS = 30_000;

/** A parsed Set-Cookie header: name, value and its attributes (lower-cased names). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string | true>;
  raw: string;
}

export function setCookies(res: LightMyRequestResponse): SetCookie[] {
  const header = res.headers["set-cookie"];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.map((raw) => {
    const [pair = "", ...rest] = raw.split(";");
    const eq = pair.indexOf("=");
    const attributes = new Map<string, string | true>();
    for (const part of rest) {
      const [key = "", ...value] = part.trim().split("=");
      attributes.set(key.toLowerCase(), value.length > 0 ? value.join("=") : true);
    }
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw };
  });
}

/** The session cookie a response sets (its name carries "gatehouse_session"), if any. */
export function sessionCookieSet(res: LightMyRequestResponse): SetCookie | undefined {
  return setCookies(res).find((cookie) => cookie.name.includes("gatehouse_session"));
}

/** The session cookie the client holds now. */
export function sessionCookieOf(client: TestClient): { name: string; value: string } | undefined {
  for (const [name, value] of client.cookies) if (name.includes("gatehouse_session")) return { name, value };
  return undefined;
}

/** A one-off request carrying exactly this cookie (a replayed or stolen value), no client state. */
export function requestWithCookie(t: TestApp, url: string, cookie: { name: string; value: string }) {
  return t.app.inject({ method: "GET", url, headers: { cookie: `${cookie.name}=${cookie.value}` } });
}

/** The text of the page's error message (the element with role="alert"), if any. */
export function alertText(body: string): string | undefined {
  const match = /role="alert"[^>]*>([^<]*)</.exec(body);
  return match?.[1]?.trim();
}

/** Every CSRF token a page carries. */
export function csrfTokensIn(body: string): string[] {
  return [...body.matchAll(/name="_csrf" value="([^"]*)"/g)].map((m) => m[1]!);
}

/** A page with per-visitor values (CSRF tokens, echoed username) masked, to compare two answers. */
export function normalizePage(body: string, echoed: string[] = []): string {
  let out = body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="CSRF"');
  for (const value of echoed) out = out.split(value).join("ECHO");
  return out;
}

export function recoveryCodesIn(body: string): string[] {
  return [...body.matchAll(/class="recovery-code"[^>]*>([^<]+)</g)].map((m) => m[1]!.trim());
}

export function hiddenNextIn(body: string): string | undefined {
  const match = /name="next" value="([^"]*)"/.exec(body);
  return match?.[1] === undefined ? undefined : unescapeHtml(match[1]);
}

export function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** The href of the setup page's otpauth:// link. */
export function keyURIIn(body: string): string | undefined {
  const match = /href="(otpauth:\/\/[^"]+)"/.exec(body);
  return match?.[1] === undefined ? undefined : unescapeHtml(match[1]);
}

/** The src of the setup page's QR image, when it is an inline PNG. */
export function qrDataURLIn(body: string): string | undefined {
  const match = /<img[^>]+src="(data:image\/png;base64,[^"]+)"/.exec(body);
  return match?.[1];
}

/** Decodes the QR code of a PNG data URL with an independent reader (jsQR). */
export function decodeQR(dataURL: string): string | undefined {
  const png = PNG.sync.read(Buffer.from(dataURL.slice(dataURL.indexOf(",") + 1), "base64"));
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  return result?.data;
}

/** A 6-digit code that matches none of the steps T-2..T+2 around `ms`: surely wrong. */
export function wrongCodeAt(secret: string, ms: number): string {
  const window = new Set([-2, -1, 0, 1, 2].map((k) => codeAt(secret, ms + k * STEP_MS)));
  for (let n = 0; ; n++) {
    const candidate = String((123_456 + n * 7_919) % 1_000_000).padStart(6, "0");
    if (!window.has(candidate)) return candidate;
  }
}

/** A well-formed recovery code that was never issued (the odds of a collision are ~10 × 2^-50). */
export const UNISSUED_RECOVERY_CODE = "ZZZZZ-ZZZZ0";

export interface Enrolled {
  secret: string;
  recoveryCodes: string[];
}

/** Registers, confirms the shown key and reads the recovery codes; the client ends signed in. */
export async function enroll(t: TestApp, client: TestClient, username: string, password = STRONG_PASSWORD): Promise<Enrolled> {
  const secret = await register(client, username, password);
  const res = await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
  if (res.statusCode !== 303) throw new Error(`enrollment answered ${res.statusCode}`);
  const page = await client.get("/2fa/recovery-codes");
  return { secret, recoveryCodes: recoveryCodesIn(page.body) };
}

/** Registers without enrolling and signs out: the account has a password but no second factor. */
export async function registerOnly(client: TestClient, username: string): Promise<string> {
  const secret = await register(client, username);
  await client.post("/logout", {});
  return secret;
}

/** Enrolls, then signs out and moves to a later time step so the next code is fresh (R6). */
export async function enrolledUser(t: TestApp, username: string): Promise<Enrolled> {
  const client = t.client();
  const enrolled = await enroll(t, client, username);
  await client.post("/logout", {});
  t.clock.advanceSeconds(30);
  return enrolled;
}

/** A new browser that has passed the password step of an enrolled user and sits at /2fa. */
export async function pendingClient(t: TestApp, username: string): Promise<TestClient> {
  const client = t.client();
  const res = await signInPassword(client, username);
  if (res.statusCode !== 303 || res.headers.location !== "/2fa") {
    throw new Error(`password step answered ${res.statusCode} ${String(res.headers.location)}`);
  }
  return client;
}

/** Password and the current code: a full sign-in. Moves the clock one step first (R6). */
export async function signInFully(t: TestApp, username: string, secret: string): Promise<TestClient> {
  t.clock.advanceSeconds(30);
  const client = await pendingClient(t, username);
  const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
  if (res.statusCode !== 303) throw new Error(`second factor answered ${res.statusCode}`);
  return client;
}

/** A form POST from a given client address (remoteAddress), as TestClient.post but for R17 tests. */
export function postFrom(client: TestClient, remoteAddress: string, url: string, fields: Record<string, string>) {
  const body = new URLSearchParams({ ...fields, ...(client.csrf ? { _csrf: client.csrf } : {}) }).toString();
  return client.request({
    method: "POST",
    url,
    payload: body,
    remoteAddress,
    headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
  });
}

export function getFrom(client: TestClient, remoteAddress: string, url: string) {
  return client.request({ method: "GET", url, remoteAddress });
}

export function retryAfterSeconds(res: LightMyRequestResponse): number {
  const value = res.headers["retry-after"];
  if (value === undefined) return Number.NaN;
  return Number(value);
}

export async function userIdOf(t: TestApp, username: string): Promise<string> {
  const user = await t.store.users.findUserByUsernameKey(username.toLowerCase());
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

/** Whether the store still holds a live session for this cookie value (hash lookup, R31). */
export async function sessionExists(t: TestApp, token: string): Promise<boolean> {
  const idHash = createHash("sha256").update(token).digest("hex");
  return (await t.store.sessions.findSession(idHash, t.clock.ms, 30 * 60_000)) !== null;
}

export { codeAt, secretFromSetupPage, signInPassword, STRONG_PASSWORD };
