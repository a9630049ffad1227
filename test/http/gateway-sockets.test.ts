// The gateway over real sockets, where inject cannot go: raw path spellings (inject normalizes
// URLs), upstream failures, 5 MB streamed each way, and WebSocket upgrades.
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { TestApp, TestClient } from "../support/app.js";
import { buildGatewayApp, cookieHeader, enrollThroughGateway, listen, PREFIX, rawRequest } from "../support/gateway.js";
import { patternBytes, startUpstream, type Upstream } from "../support/upstream.js";

const FIVE_MB = 5 * 1024 * 1024;

let upstream: Upstream;
let t: TestApp;
let origin: string;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  await t.close();
});

async function start(upstreamURL = upstream.url, timeoutSeconds = 1, socketRecheckMs?: number) {
  t = await buildGatewayApp({ upstream: upstreamURL, publicPaths: ["/static/*"], upstreamTimeoutSeconds: timeoutSeconds, socketRecheckMs });
  origin = await listen(t);
  upstream.seen.length = 0;
}

async function signedIn(): Promise<TestClient> {
  const client = t.client();
  await enrollThroughGateway(t, client, "alice");
  return client;
}

describe("path spellings never skip the check and never reach the upstream (400 for everyone)", () => {
  beforeEach(async () => {
    await start();
  });

  const TRICKS = [
    "/.gatehouse/../admin",
    "/.gatehouse/./login",
    "/%2egatehouse/login",
    "/%2Egatehouse/auth/verify",
    "/%2e%2egatehouse",
    "/%2e%2e/admin",
    "//admin",
    "/static//../admin",
    "/static/../admin",
    "/static/./x",
    "/static/%2e%2e/admin",
    "/static/.%2e/admin",
    "/static/..;/admin",
    "/static%2f..%2fadmin",
    "/static%2F..%2Fadmin",
    "/static/..%5cadmin",
    "/static\\..\\admin",
    "/st%61tic/x",
    "/static/x%00",
    "/admin/..",
    "/static/%252e%252e/admin",
  ];

  it.each(TRICKS)("%s answers 400 with the error page to an anonymous visitor", async (path) => {
    const res = await rawRequest(origin, path, { accept: "text/html" });
    expect(res.status).toBe(400);
    expect(res.body).toContain("not in its plain form");
    expect(upstream.seen).toHaveLength(0);
  });

  it("a signed-in user gets the same 400 and the upstream sees nothing", async () => {
    const client = await signedIn();
    for (const path of TRICKS) {
      const res = await rawRequest(origin, path, { cookie: cookieHeader(client) });
      expect(res.status, path).toBe(400);
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("an undecodable path answers 400 too", async () => {
    expect((await rawRequest(origin, "/%zz/admin")).status).toBe(400);
    expect((await rawRequest(origin, "/static/%zz")).status).toBe(400);
    expect(upstream.seen).toHaveLength(0);
  });

  it("/.gatehouse in any letter case is gatehouse's (404), never the upstream's", async () => {
    const client = await signedIn();
    for (const path of ["/.Gatehouse/login", "/.GATEHOUSE/auth/verify", "/.gatehouse/nothing-here", "/.gatehouse/"]) {
      const res = await rawRequest(origin, path, { cookie: cookieHeader(client) });
      expect(res.status === 404 || (path === "/.gatehouse/" && res.status === 200), `${path}: ${res.status}`).toBe(true);
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("ordinary paths with encoded reserved characters still reach the upstream as sent", async () => {
    const client = await signedIn();
    const res = await rawRequest(origin, "/files/a%20b%3Fc/%C3%A9t%C3%A9/100%25?x=%2F..%2F", { cookie: cookieHeader(client) });
    expect(res.status).toBe(200);
    expect(upstream.seen.map((r) => r.url)).toEqual(["/files/a%20b%3Fc/%C3%A9t%C3%A9/100%25?x=%2F..%2F"]);
  });
});

describe("upstream failures", () => {
  it("connection refused: 502 with gatehouse's page, no upstream address, and gatehouse's pages still work", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await start(`http://127.0.0.1:${port}`);
    const client = await signedIn();
    const res = await rawRequest(origin, "/app", { cookie: cookieHeader(client), accept: "text/html" });
    expect(res.status).toBe(502);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.body).toContain("not reachable");
    expect(res.body).not.toContain(String(port));
    expect(res.body).not.toContain("ECONNREFUSED");
    expect(res.body).not.toMatch(/at .*\.js:\d+/);
    expect((await rawRequest(origin, `${PREFIX}/login`)).status).toBe(200);
  });

  it("slower than GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: 504 page, while gatehouse's pages answer at once", async () => {
    await start(upstream.url, 1);
    const client = await signedIn();
    const slow = rawRequest(origin, "/slow?ms=3000", { cookie: cookieHeader(client) });
    const started = Date.now();
    const login = await rawRequest(origin, `${PREFIX}/login`);
    expect(login.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(900);
    const res = await slow;
    expect(res.status).toBe(504);
    expect(res.body).toContain("did not answer in time");
    expect(res.body).not.toContain(upstream.url);
  });

  it("an answer within the timeout passes", async () => {
    await start(upstream.url, 1);
    const client = await signedIn();
    expect((await rawRequest(origin, "/slow?ms=200", { cookie: cookieHeader(client) })).status).toBe(200);
  });
});

describe("streaming", () => {
  beforeEach(async () => {
    await start(upstream.url, 30);
  });

  it("5 MB up (chunked, unparsed) arrives intact", async () => {
    const client = await signedIn();
    const body = patternBytes(FIVE_MB);
    const { hostname, port } = new URL(origin);
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: hostname, port, path: "/upload", method: "POST", headers: { cookie: cookieHeader(client), "content-type": "application/octet-stream" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      });
      req.on("error", reject);
      for (let offset = 0; offset < body.length; offset += 256 * 1024) req.write(body.subarray(offset, offset + 256 * 1024));
      req.end();
    });
    expect(JSON.parse(answer)).toEqual({ bytes: FIVE_MB, sha256: createHash("sha256").update(body).digest("hex") });
  });

  it("5 MB down arrives intact", async () => {
    const client = await signedIn();
    const res = await fetch(`${origin}/download?bytes=${FIVE_MB}`, { headers: { cookie: cookieHeader(client) } });
    expect(res.status).toBe(200);
    const received = Buffer.from(await res.arrayBuffer());
    expect(received.length).toBe(FIVE_MB);
    expect(received.equals(patternBytes(FIVE_MB))).toBe(true);
  });

  it("an anonymous upload is refused with 401 before anything reaches the upstream", async () => {
    const res = await fetch(`${origin}/upload`, { method: "POST", body: patternBytes(1024 * 1024) });
    expect(res.status).toBe(401);
    expect(upstream.seen).toHaveLength(0);
  });
});

function connect(path: string, headers: Record<string, string>): Promise<{ socket: WebSocket; first: Record<string, unknown> } | { status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${origin.replace("http:", "ws:")}${path}`, { headers });
    socket.once("message", (data) => resolve({ socket, first: JSON.parse(String(data)) as Record<string, unknown> }));
    socket.once("unexpected-response", (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
    });
    socket.once("error", reject);
  });
}

/** The socket of an upgrade that must succeed. */
async function connected(path: string, headers: Record<string, string>) {
  const result = await connect(path, headers);
  if (!("socket" in result)) throw new Error(`upgrade answered ${result.status}`);
  return result;
}

describe("WebSocket upgrades", () => {
  beforeEach(async () => {
    await start(upstream.url, 30);
  });

  it("a fully signed-in upgrade is proxied with X-Gatehouse-User and without gatehouse's cookies, and echoes", async () => {
    const client = await signedIn();
    const result = await connect("/live?room=1", { cookie: `${cookieHeader(client)}; app_theme=dark`, "x-gatehouse-user": "admin" });
    if (!("socket" in result)) throw new Error(`upgrade answered ${result.status}`);
    const headers = result.first["headers"] as Record<string, string>;
    expect(result.first["url"]).toBe("/live?room=1");
    expect(headers["x-gatehouse-user"]).toBe("alice");
    expect(headers["cookie"]).toBe("app_theme=dark");
    const echo = new Promise<string>((resolve) => result.socket.once("message", (data) => resolve(String(data))));
    result.socket.send("ping through the gateway");
    expect(await echo).toBe("ping through the gateway");
    result.socket.close();
  });

  it("an anonymous upgrade gets 401 and never reaches the upstream", async () => {
    const result = await connect("/live", {});
    expect(result).toEqual({ status: 401 });
    expect(upstream.seen).toHaveLength(0);
  });
});

describe("WebSocket upgrades carry none of the client's identity or path-override headers (review F8)", () => {
  beforeEach(async () => {
    await start(upstream.url, 30);
  });

  it("a public path's upgrade reaches the app without X-Original-URL, Remote-User, X-Gatehouse-User and the like, in any spelling", async () => {
    const injected = {
      "X-Original-URL": "/admin",
      x_rewrite_url: "/admin",
      "Remote-User": "admin",
      "X-Forwarded-User": "admin",
      "X-Auth-Request-User": "admin",
      X_Gatehouse_User: "admin",
      "X-Gatehouse-Groups": "admins",
      "True-Client-IP": "203.0.113.66",
      "X-Forwarded-Prefix": "/admin",
    };
    const { socket, first } = await connected("/static/live", { ...injected, "x-app-theme": "dark" });
    const headers = first["headers"] as Record<string, string>;
    expect(headers["x-app-theme"], "control: the app's own headers pass").toBe("dark");
    for (const name of Object.keys(headers)) expect(Object.keys(injected).map((n) => n.toLowerCase()), name).not.toContain(name);
    expect(JSON.stringify(headers)).not.toMatch(/admin|203\.0\.113\.66/);
    socket.close();
  });
});

describe("an open WebSocket ends with its session (review F10: a proxied socket outlived sign-out)", () => {
  const RECHECK_MS = 100;
  /** Generous for a loaded machine; without the recheck the socket never closes at all. */
  const CLOSES_WITHIN_MS = 3_000;

  beforeEach(async () => {
    await start(upstream.url, 30, RECHECK_MS);
  });

  function closedWithin(socket: WebSocket, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve(true);
      const timer = setTimeout(() => resolve(false), ms);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async function echoes(socket: WebSocket): Promise<boolean> {
    const echo = new Promise<string>((resolve) => socket.once("message", (data) => resolve(String(data))));
    socket.send("still there?");
    return (await echo) === "still there?";
  }

  async function upstreamSocketsClosed(): Promise<boolean> {
    for (const deadline = Date.now() + CLOSES_WITHIN_MS; Date.now() < deadline; ) {
      if (upstream.openSockets() === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  it("signing out from another request closes the socket, and its upstream side, within the recheck interval", async () => {
    const client = await signedIn();
    const { socket } = await connected("/live", { cookie: cookieHeader(client) });
    expect(await echoes(socket)).toBe(true);
    expect(upstream.openSockets()).toBe(1);
    await client.get(`${PREFIX}/logout`);
    expect((await client.post(`${PREFIX}/logout`, {})).statusCode).toBe(303);
    expect(await closedWithin(socket, CLOSES_WITHIN_MS), "the client's socket closed").toBe(true);
    expect(await upstreamSocketsClosed(), "the upstream's socket closed").toBe(true);
  });

  it("stays open while the session lives, and its checks do not keep the session alive: it closes at the idle timeout", async () => {
    const client = await signedIn();
    const { socket } = await connected("/live", { cookie: cookieHeader(client) });
    t.clock.advanceSeconds(20 * 60);
    expect(await closedWithin(socket, RECHECK_MS * 5), "20 minutes idle, several checks later").toBe(false);
    expect(await echoes(socket)).toBe(true);
    // 31 minutes after the session's last request: past the 30-minute idle timeout (R35).
    t.clock.advanceSeconds(11 * 60);
    expect(await closedWithin(socket, CLOSES_WITHIN_MS)).toBe(true);
  });
});
