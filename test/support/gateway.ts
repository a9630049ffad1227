// The app in gateway mode for the HTTP tests (test/http/gateway-*.test.ts): the same real app
// as buildTestApp, with the gateway settings, plus the sign-in steps under /.gatehouse.
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { parseAccessRules } from "../../src/gateway/access-rules.js";
import { parsePublicPathRules } from "../../src/gateway/public-paths.js";
import type { ReturnTargets } from "../../src/gateway/settings.js";
import type { ComposeOptions } from "../../src/compose.js";
import { buildTestApp, codeAt, secretFromSetupPage, STRONG_PASSWORD, type TestApp, type TestClient } from "./app.js";

export const PREFIX = "/.gatehouse";

export interface GatewayTestOptions {
  /** The upstream's URL; forward-auth only when undefined. */
  upstream?: string | undefined;
  publicPaths?: string[];
  /** The content of a GATEHOUSE_ACCESS_RULES file, parsed by the real parser. */
  accessRules?: object;
  trustedProxies?: string[];
  upstreamTimeoutSeconds?: number;
  /** How often an open WebSocket's session is checked again (default: the server's 30 s). */
  socketRecheckMs?: number;
  /** GATEHOUSE_RETURN_HOSTS as loadConfig builds it. */
  returnTo?: ReturnTargets | undefined;
  overrides?: Partial<ComposeOptions>;
}

export async function buildGatewayApp(options: GatewayTestOptions): Promise<TestApp> {
  return buildTestApp({
    gateway: {
      upstream: options.upstream === undefined ? undefined : new URL(options.upstream),
      publicPaths: parsePublicPathRules(options.publicPaths ?? []),
      accessRules: options.accessRules === undefined ? undefined : parseAccessRules(JSON.stringify(options.accessRules)),
      upstreamTimeoutMs: (options.upstreamTimeoutSeconds ?? 30) * 1000,
      returnTo: options.returnTo,
      socketRecheckMs: options.socketRecheckMs,
    },
    trustedProxies: options.trustedProxies ?? [],
    ...options.overrides,
  });
}

/** Registers and enrolls under /.gatehouse; the client ends fully signed in. Returns the key. */
export async function enrollThroughGateway(t: TestApp, client: TestClient, username: string, origin?: string): Promise<string> {
  await client.get(`${PREFIX}/register`);
  const registered = await client.post(`${PREFIX}/register`, { username, password: STRONG_PASSWORD }, { origin });
  if (registered.statusCode !== 303) throw new Error(`register answered ${registered.statusCode}`);
  const secret = secretFromSetupPage((await client.get(`${PREFIX}/2fa/setup`)).body);
  const confirmed = await client.post(`${PREFIX}/2fa/setup`, { otp: codeAt(secret, t.clock.ms) }, { origin });
  if (confirmed.statusCode !== 303) throw new Error(`enrollment answered ${confirmed.statusCode}`);
  await client.get(`${PREFIX}/2fa/recovery-codes`);
  return secret;
}

/** The password step under /.gatehouse, then the page it leads to (which loads the new CSRF token). */
export async function passwordStep(client: TestClient, username: string, next?: string) {
  await client.get(next === undefined ? `${PREFIX}/login` : `${PREFIX}/login?next=${encodeURIComponent(next)}`);
  const res = await client.post(`${PREFIX}/login`, { username, password: STRONG_PASSWORD, ...(next === undefined ? {} : { next }) });
  if (res.statusCode === 303) await client.get(res.headers.location as string);
  return res;
}

/** Listens on 127.0.0.1:0 for tests that need a real socket; returns the origin. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A request whose path goes on the wire exactly as written (no URL normalization); headers as an
 * object, or as a flat [name, value, ...] list sent line by line (letter case and repeats kept).
 */
export function rawRequest(origin: string, path: string, headers: OutgoingHttpHeaders | string[] = {}, method = "GET"): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The Cookie header a TestClient would send, for raw requests and WebSockets. */
export function cookieHeader(client: TestClient): string {
  return [...client.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
}
