// Builds the real app (real routes, real SQLite store in memory) with a settable clock and cheap
// argon2 parameters, plus a tiny cookie-keeping client over app.inject.
import { randomBytes } from "node:crypto";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import * as OTPAuth from "otpauth";
import { composeApp, type ComposeOptions } from "../../src/compose.js";
import type { Services } from "../../src/services.js";
import type { Store } from "../../src/store/kysely-store.js";

export const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export class TestClock {
  constructor(public ms = Date.UTC(2026, 10, 28, 12, 0, 15)) {}
  now = () => this.ms;
  advanceSeconds(seconds: number) {
    this.ms += seconds * 1000;
  }
}

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  /** The same services the app runs on (the admin actions the CLI calls, say). */
  services: Services;
  clock: TestClock;
  client(): TestClient;
  close(): Promise<void>;
}

export async function buildTestApp(overrides: Partial<ComposeOptions> = {}): Promise<TestApp> {
  const clock = new TestClock();
  const { app, store, services } = await composeApp({
    databaseFile: ":memory:",
    masterSecrets: [new Uint8Array(randomBytes(32))],
    issuer: "gatehouse-test",
    registration: "open",
    firstLockSeconds: 30,
    publicURL: undefined,
    clock,
    argon2: TEST_ARGON2,
    ...overrides,
  });
  await app.ready();
  return { app, store, services, clock, client: () => new TestClient(app), close: () => app.close() };
}

export const ORIGIN = "http://localhost:80";

/** A browser stand-in: keeps cookies, remembers the last CSRF token it saw in a page. */
export class TestClient {
  cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(private readonly app: FastifyInstance) {}

  async request(options: InjectOptions): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const res = await this.app.inject({
      ...options,
      headers: { ...(cookie ? { cookie } : {}), ...(options.headers ?? {}) },
    });
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now()) || c.value === "";
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const match = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (match) this.csrf = match[1];
    return res;
  }

  get(url: string) {
    return this.request({ method: "GET", url });
  }

  /** A form POST as a browser sends it: urlencoded, our Origin, the last CSRF token seen. */
  post(url: string, fields: Record<string, string>, options: { csrf?: string | null; origin?: string | null } = {}) {
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    const body = new URLSearchParams({ ...fields, ...(csrf ? { _csrf: csrf } : {}) }).toString();
    const origin = options.origin === undefined ? ORIGIN : options.origin;
    return this.request({
      method: "POST",
      url,
      payload: body,
      headers: { "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
    });
  }
}

export const STRONG_PASSWORD = "violet-harbor-pancake-42";

/** The base32 key shown on the setup page (groups of four, spaces removed). */
export function secretFromSetupPage(html: string): string {
  const match = /id="secret-key">([^<]+)</.exec(html);
  if (!match?.[1]) throw new Error("setup page shows no key");
  return match[1].replace(/\s+/g, "");
}

/** An independent TOTP implementation (otpauth) computes the code, not our own core. */
export function codeAt(secretBase32: string, ms: number): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secretBase32), digits: 6, period: 30, algorithm: "SHA1" });
  return totp.generate({ timestamp: ms });
}

/** Registers and stops at the setup page; returns the shown key. */
export async function register(client: TestClient, username: string, password = STRONG_PASSWORD) {
  await client.get("/register");
  const res = await client.post("/register", { username, password });
  if (res.statusCode !== 303) throw new Error(`register answered ${res.statusCode}`);
  const setup = await client.get("/2fa/setup");
  return secretFromSetupPage(setup.body);
}

/** Registers and enrolls; the client ends fully signed in. Returns the key. */
export async function registerAndEnroll(t: TestApp, client: TestClient, username: string) {
  const secret = await register(client, username);
  const res = await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
  if (res.statusCode !== 303) throw new Error(`enrollment answered ${res.statusCode}`);
  await client.get("/2fa/recovery-codes");
  return secret;
}

/** Signs in with the password only; the client ends at the challenge page (csrf loaded). */
export async function signInPassword(client: TestClient, username: string, password = STRONG_PASSWORD, next?: string) {
  await client.get(next ? `/login?next=${encodeURIComponent(next)}` : "/login");
  const res = await client.post("/login", { username, password, ...(next ? { next } : {}) });
  if (res.statusCode === 303) await client.get(res.headers.location as string);
  return res;
}
