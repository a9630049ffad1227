// A single-page app's side of the JSON API (src/web/api/): JSON bodies, the X-Gatehouse-Request
// header and our Origin on every POST, cookies kept by the TestClient underneath. Every answer
// goes past `observe` (the OpenAPI test validates each one there).
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { codeAt, ORIGIN, STRONG_PASSWORD, type TestApp, type TestClient } from "./app.js";

export const API_HEADERS = { "x-gatehouse-request": "1", "content-type": "application/json", origin: ORIGIN } as const;

/** What a page of another site could send: everything but X-Gatehouse-Request. */
export const HEADERS_WITHOUT_REQUEST_HEADER = { "content-type": "application/json", origin: ORIGIN } as const;

export interface APIExchange {
  method: string;
  /** The path below the API's base, e.g. "/2fa/setup". */
  path: string;
  /** The JSON sent, when it was JSON. */
  sent: unknown;
  res: LightMyRequestResponse;
}

export class APIClient {
  constructor(
    readonly client: TestClient,
    readonly base = "/api",
    private readonly observe: (exchange: APIExchange) => void = () => {},
  ) {}

  /** Any request below the base, as given: for the refusals (no header, a form body, broken JSON). */
  async raw(path: string, options: Omit<InjectOptions, "url">, sent?: unknown): Promise<LightMyRequestResponse> {
    const res = await this.client.request({ ...options, url: this.base + path });
    this.observe({ method: options.method ?? "GET", path, sent, res });
    return res;
  }

  get(path: string) {
    return this.raw(path, { method: "GET" });
  }

  post(path: string, body: unknown = {}, headers: Record<string, string> = {}) {
    return this.raw(path, { method: "POST", payload: JSON.stringify(body), headers: { ...API_HEADERS, ...headers } }, body);
  }
}

/** The JSON body of an answer. */
export function json(res: LightMyRequestResponse): Record<string, unknown> & { error?: { code: string; message: string; step?: string } } {
  return JSON.parse(res.body) as never;
}

/** An account as an administrator adds it (`gatehouse user add`): the API has no registration. */
export async function addUser(t: TestApp, username: string): Promise<void> {
  await t.services.accounts.register(username, STRONG_PASSWORD, { byAdmin: true, origin: { clientAddress: null, userAgent: "test" } });
}

export interface APIEnrolled {
  secret: string;
  recoveryCodes: string[];
}

/** The password, the key, a code: the client ends fully signed in, by the API alone. */
export async function enrollByAPI(t: TestApp, api: APIClient, username: string): Promise<APIEnrolled> {
  await api.post("/login", { username, password: STRONG_PASSWORD });
  const secret = json(await api.get("/2fa/setup")).secret as string;
  const confirmed = await api.post("/2fa/setup", { code: codeAt(secret, t.clock.ms) });
  if (confirmed.statusCode !== 200) throw new Error(`enrollment answered ${confirmed.statusCode}`);
  return { secret, recoveryCodes: json(confirmed).recoveryCodes as string[] };
}

/** Signs out, moves to the next time step (R6: a fresh code), and passes the password again. */
export async function backAtChallenge(t: TestApp, api: APIClient, username: string): Promise<void> {
  await api.post("/logout");
  t.clock.advanceSeconds(30);
  const res = await api.post("/login", { username, password: STRONG_PASSWORD });
  if (json(res).step !== "challenge") throw new Error(`password step answered ${res.statusCode} ${res.body}`);
}
