// Helpers for the bad-input and fuzz suites: visitors in each sign-in state, raw requests that
// bypass the friendly TestClient, and observers for "changes nothing" that read the store only
// through its ports.
import { createHash } from "node:crypto";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
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

export const FORM = "application/x-www-form-urlencoded";
export const IDLE_MS = 30 * 60_000;

export type SignInState = "anonymous" | "pending-not-enrolled" | "pending-enrolled" | "full";
export const SIGN_IN_STATES: SignInState[] = ["anonymous", "pending-not-enrolled", "pending-enrolled", "full"];

export interface Visitor {
  state: SignInState;
  client: TestClient;
  username?: string;
  userId?: string;
  /** The base32 key: pending (not enrolled) or active. */
  secret?: string;
  /** Recovery codes shown at enrollment (enrolled states only). */
  recoveryCodes?: string[];
}

let sequence = 0;
/** Usernames unique within the test process (each app is fresh, but states share apps). */
export function uniqueName(prefix = "user"): string {
  sequence += 1;
  return `${prefix}${sequence}`;
}

/** The session cookie the client holds: its name is not part of the contract, so look it up. */
export function sessionCookie(client: TestClient): { name: string; value: string } | undefined {
  for (const [name, value] of client.cookies) if (/session/i.test(name)) return { name, value };
  return undefined;
}

export function cookieHeader(client: TestClient): string {
  return [...client.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
}

/** R31: the store keeps SHA-256(token) in hex, never the token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The server-side session behind the client's cookie, or null. */
export async function serverSession(t: TestApp, client: TestClient) {
  const cookie = sessionCookie(client);
  if (!cookie) return null;
  return t.store.sessions.findSession(hashToken(cookie.value), t.clock.ms, IDLE_MS);
}

function parseRecoveryCodes(html: string): string[] {
  return [...html.matchAll(/class="recovery-code"[^>]*>([^<]+)</g)].map((m) => m[1]!.trim());
}

/**
 * A visitor at the given step of the sign-in flow, with the CSRF token of its current page
 * loaded. For pending-enrolled the clock has moved one step on, so `codeAt(secret, t.clock.ms)`
 * is a fresh, right code (the enrollment code's step is used up, R7).
 */
export async function visitorIn(t: TestApp, state: SignInState): Promise<Visitor> {
  const client = t.client();
  if (state === "anonymous") {
    await client.get("/login");
    return { state, client };
  }
  const username = uniqueName(state === "pending-not-enrolled" ? "pending" : "enrolled");
  const secret = await register(client, username);
  const userId = (await t.store.users.findUserByUsernameKey(username.toLowerCase()))!.id;
  if (state === "pending-not-enrolled") return { state, client, username, userId, secret };

  const setup = await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
  if (setup.statusCode !== 303) throw new Error(`enrollment answered ${setup.statusCode}`);
  const recoveryCodes = parseRecoveryCodes((await client.get("/2fa/recovery-codes")).body);
  if (recoveryCodes.length === 0) throw new Error("no recovery codes shown after enrollment");
  if (state === "full") {
    await client.get("/");
    return { state, client, username, userId, secret, recoveryCodes };
  }
  await client.post("/logout", {});
  t.clock.advanceSeconds(30);
  const login = await signInPassword(client, username);
  if (login.headers.location !== "/2fa") throw new Error(`password step answered ${login.statusCode} ${login.headers.location}`);
  return { state, client, username, userId, secret, recoveryCodes };
}

/** The same code written with other digits (Arabic-Indic ٠-٩ start at U+0660, fullwidth at U+FF10). */
export function withDigitsFrom(code: string, zero: number): string {
  return [...code].map((d) => String.fromCodePoint(zero + Number(d))).join("");
}
export const ARABIC_INDIC_ZERO = 0x0660;
export const FULLWIDTH_ZERO = 0xff10;

/**
 * A request exactly as given (raw body, chosen headers), carrying the client's cookies but not
 * updating them: what a hostile or broken client sends.
 */
export function rawRequest(
  t: TestApp,
  client: TestClient | null,
  options: { method?: string; url: string; body?: string | Buffer; headers?: Record<string, string | undefined> },
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  const cookie = client ? cookieHeader(client) : "";
  if (cookie) headers.cookie = cookie;
  for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = value;
  return t.app.inject({
    method: (options.method ?? "POST") as InjectOptions["method"],
    url: options.url,
    headers,
    ...(options.body !== undefined ? { payload: options.body } : {}),
  });
}

/** A raw form POST with our Origin and the client's CSRF token prepended to `body`. */
export function postRaw(t: TestApp, client: TestClient, url: string, body: string, contentType: string | undefined = FORM) {
  const csrf = client.csrf ? `_csrf=${encodeURIComponent(client.csrf)}` : "";
  return rawRequest(t, client, {
    url,
    body: [csrf, body].filter(Boolean).join("&"),
    headers: { "content-type": contentType, origin: ORIGIN },
  });
}

/** A clear page: HTML, a full document. */
export function expectHTMLPage(res: LightMyRequestResponse, status: number) {
  expect({ status: res.statusCode, type: res.headers["content-type"] }).toEqual({
    status,
    type: expect.stringMatching(/^text\/html/),
  });
  expect(res.body).toMatch(/^<!doctype html>/i);
}

/**
 * How many second-factor checks the account has left before its lock: charges the throttle
 * port until it refuses. Destructive, so call it last. 5 means no failure was counted (R10).
 */
export async function secondFactorAttemptsLeft(t: TestApp, userId: string): Promise<number> {
  for (let allowed = 0; allowed < 10; allowed++) {
    if (!(await t.store.secondFactorThrottle.charge(userId, t.clock.ms)).allowed) return allowed;
  }
  return 10;
}

/** The session cookie a response sets, if any (its name matches the client's session cookie). */
export function sessionCookieSet(res: LightMyRequestResponse): { name: string; value: string } | undefined {
  const cookies = res.cookies as { name: string; value: string }[];
  return cookies.find((c) => /session/i.test(c.name));
}

/**
 * "Changes nothing" for the visitor's sign-in: the response hands out no other session, and the
 * session behind the visitor's cookie is still there at the same level (R32: a change would have
 * replaced it).
 */
export async function expectSessionUnchanged(t: TestApp, visitor: Visitor, res?: LightMyRequestResponse) {
  const before = sessionCookie(visitor.client)?.value;
  if (res) {
    const set = sessionCookieSet(res);
    if (set) expect(set.value).toBe(before);
  }
  const level = { anonymous: null, "pending-not-enrolled": "pending", "pending-enrolled": "pending", full: "full" }[
    visitor.state
  ];
  expect((await serverSession(t, visitor.client))?.level ?? null).toBe(level);
}

export { codeAt, ORIGIN, secretFromSetupPage, STRONG_PASSWORD };
