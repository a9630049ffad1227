// What the app writes to its log (R52, R53): every secret a browser handles during registration,
// enrollment and sign-ins is kept out of it, at the most verbose level, while security events are in.
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { buildTestApp, type TestApp, type TestClient } from "../support/app.js";
import { buildGatewayApp, cookieHeader, enrollThroughGateway, listen } from "../support/gateway.js";
import { startUpstream } from "../support/upstream.js";
import {
  codeAt,
  csrfTokensIn,
  keyURIIn,
  recoveryCodesIn,
  secretFromSetupPage,
  sessionCookieOf,
  STRONG_PASSWORD,
  UNISSUED_RECOVERY_CODE,
  wrongCodeAt,
} from "./helpers.js";

interface Captured {
  log: string[];
  passwords: string[];
  secret: string;
  keyURI: string;
  otpCodes: string[];
  recoveryCodes: string[];
  sessionValues: string[];
  csrfTokens: string[];
}

/** Runs registration, enrollment, wrong and right codes and a recovery code, logging at trace level. */
async function runFullStory(): Promise<Captured> {
  const log: string[] = [];
  const t: TestApp = await buildTestApp({ logger: pino({ level: "trace" }, { write: (line: string) => log.push(line) }) });
  const captured: Captured = {
    log,
    passwords: [STRONG_PASSWORD, "a-wrong-password-xyz"],
    secret: "",
    keyURI: "",
    otpCodes: [],
    recoveryCodes: [],
    sessionValues: [],
    csrfTokens: [],
  };
  const seen = (client: TestClient, res: { body: string }) => {
    const cookie = sessionCookieOf(client)?.value;
    if (cookie) captured.sessionValues.push(cookie);
    captured.csrfTokens.push(...csrfTokensIn(res.body));
    return res;
  };
  const otp = (client: TestClient, url: string, code: string) => {
    captured.otpCodes.push(code);
    return client.post(url, { otp: code }).then((res) => seen(client, res));
  };
  try {
    const client = t.client();
    seen(client, await client.get("/register"));
    seen(client, await client.post("/register", { username: "alice", password: STRONG_PASSWORD }));
    const setup = seen(client, await client.get("/2fa/setup"));
    captured.secret = secretFromSetupPage(setup.body);
    captured.keyURI = keyURIIn(setup.body)!;
    await otp(client, "/2fa/setup", wrongCodeAt(captured.secret, t.clock.ms));
    await otp(client, "/2fa/setup", codeAt(captured.secret, t.clock.ms));
    const codesPage = seen(client, await client.get("/2fa/recovery-codes"));
    captured.recoveryCodes = recoveryCodesIn(codesPage.body);
    seen(client, await client.get("/"));
    seen(client, await client.post("/logout", {}));

    t.clock.advanceSeconds(30);
    seen(client, await client.get("/login"));
    seen(client, await client.post("/login", { username: "alice", password: "a-wrong-password-xyz" }));
    seen(client, await client.post("/login", { username: "alice", password: STRONG_PASSWORD }));
    seen(client, await client.get("/2fa"));
    await otp(client, "/2fa", wrongCodeAt(captured.secret, t.clock.ms));
    await otp(client, "/2fa", codeAt(captured.secret, t.clock.ms));
    seen(client, await client.post("/logout", {}));

    // A replayed code, a wrong and a right recovery code.
    seen(client, await client.get("/login"));
    seen(client, await client.post("/login", { username: "alice", password: STRONG_PASSWORD }));
    seen(client, await client.get("/2fa"));
    await otp(client, "/2fa", codeAt(captured.secret, t.clock.ms));
    seen(client, await client.post("/2fa/recovery", { recovery_code: UNISSUED_RECOVERY_CODE }));
    seen(client, await client.post("/2fa/recovery", { recovery_code: captured.recoveryCodes[0]! }));
    seen(client, await client.get("/account"));
    seen(client, await client.post("/logout", {}));

    // A lockout: five wrong codes and a sixth attempt.
    seen(client, await client.get("/login"));
    seen(client, await client.post("/login", { username: "alice", password: STRONG_PASSWORD }));
    seen(client, await client.get("/2fa"));
    for (let i = 0; i < 6; i++) await otp(client, "/2fa", wrongCodeAt(captured.secret, t.clock.ms + i * 60_000));
  } finally {
    await t.close();
  }
  return captured;
}

/** A 6-digit code as a number of its own in the log, not a piece of a timestamp or a decimal. */
function containsCode(text: string, code: string): boolean {
  return new RegExp(`(?<![\\d.])${code}(?!\\d)`).test(text);
}

let story: Captured;
let text: string;
beforeAll(async () => {
  story = await runFullStory();
  text = story.log.join("");
});

describe("the log (R52)", () => {
  it("is written at all: the story produced log lines", () => {
    expect(story.log.length).toBeGreaterThan(20);
    expect(story.recoveryCodes.length).toBeGreaterThanOrEqual(8);
  });

  it("contains no password, right or wrong", () => {
    for (const password of story.passwords) expect(text).not.toContain(password);
  });

  it("contains no TOTP secret, plain or in groups of four", () => {
    expect(story.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(text).not.toContain(story.secret);
    expect(text).not.toContain(story.secret.replace(/(.{4})(?=.)/g, "$1 "));
  });

  it("contains no otpauth URI", () => {
    expect(text).not.toContain(story.keyURI);
    expect(text).not.toContain("otpauth:");
  });

  it("contains no submitted OTP code, right or wrong", () => {
    expect(story.otpCodes.length).toBeGreaterThanOrEqual(5);
    for (const code of story.otpCodes) expect(containsCode(text, code), code).toBe(false);
  });

  it("contains no recovery code, formatted or compact", () => {
    for (const code of [...story.recoveryCodes, UNISSUED_RECOVERY_CODE]) {
      expect(text).not.toContain(code);
      expect(text).not.toContain(code.replace(/-/g, ""));
    }
  });

  it("contains no session cookie value", () => {
    expect(new Set(story.sessionValues).size).toBeGreaterThanOrEqual(4);
    for (const value of story.sessionValues) expect(text).not.toContain(value);
  });

  it("contains no CSRF token", () => {
    expect(story.csrfTokens.length).toBeGreaterThan(0);
    for (const token of new Set(story.csrfTokens)) expect(text).not.toContain(token);
  });

  it("contains no Cookie or Set-Cookie header", () => {
    expect(text).not.toMatch(/"cookie"\s*:/i);
    expect(text).not.toMatch(/"set-cookie"\s*:/i);
  });
});

describe("security events in the log (R53)", () => {
  /** Lines written by the app itself, not Fastify's per-request lifecycle lines. */
  const eventLines = () =>
    story.log.filter((line) => !/"msg":"(incoming request|request completed)"/.test(line)).join("\n");

  it("records a password failure", () => {
    expect(eventLines()).toMatch(/password[-_ ]?(rejected|failed|failure|wrong)/i);
  });

  it("records a second-factor failure", () => {
    expect(eventLines()).toMatch(/(second[-_ ]?factor|otp|totp|code)[-_ ]?(rejected|failed|failure|wrong)/i);
  });

  it("records a replayed code", () => {
    expect(eventLines()).toMatch(/replay/i);
  });

  it("records the use of a recovery code", () => {
    expect(eventLines()).toMatch(/recovery[-_ ]?code[-_ ]?used/i);
  });

  it("records a lockout", () => {
    expect(eventLines()).toMatch(/lock|throttl/i);
  });

  it("records the end of a session at sign-out", () => {
    expect(eventLines()).toMatch(/(sign|log)[-_ ]?(ed[-_ ]?)?out|session[-_ ]?(ended|revoked|deleted)/i);
  });

  it("records turning two-factor sign-in on", () => {
    expect(eventLines()).toMatch(/(two[-_ ]?factor|2fa|totp)[-_ ]?(enabled|enrolled|activated|on)/i);
  });
});

describe("query strings stay out of the log (review F9: upstream reset tokens and API keys were logged)", () => {
  /** Proxies a private and a public URL with secrets in their queries; returns the whole log. */
  async function logOfProxiedSecrets(level: string): Promise<string> {
    const upstream = await startUpstream();
    const log: string[] = [];
    const t = await buildGatewayApp({
      upstream: upstream.url,
      publicPaths: ["/static/*"],
      overrides: { logger: pino({ level }, { write: (line: string) => log.push(line) }) },
    });
    try {
      const client = t.client();
      await enrollThroughGateway(t, client, "alice");
      expect((await client.get("/private?reset_token=SECRET456")).statusCode).toBe(200);
      expect((await t.client().get("/static/x?api_key=SECRET123")).statusCode).toBe(200);
      expect((await t.client().get("/.gatehouse/login?next=%2Fprivate%3Fcode%3DSECRET789")).statusCode).toBe(200);
    } finally {
      await t.close();
      await upstream.close();
    }
    return log.join("");
  }

  it.each(["info", "trace"])("at %s, a proxied GET /private?reset_token=... and a public /static/x?api_key=... log their paths, never the query", async (level) => {
    const text = await logOfProxiedSecrets(level);
    expect(text, "control: the request lines are there").toContain('"/private"');
    expect(text).toContain('"/static/x"');
    expect(text).toContain('"/.gatehouse/login"');
    for (const secret of ["SECRET456", "SECRET123", "SECRET789", "reset_token", "api_key"]) expect(text).not.toContain(secret);
  });

  it("at trace, a proxied WebSocket /live?ws_token=... logs its path, never the query (the proxy logs its upstream URL)", async () => {
    const upstream = await startUpstream();
    const log: string[] = [];
    const t = await buildGatewayApp({ upstream: upstream.url, overrides: { logger: pino({ level: "trace" }, { write: (line: string) => log.push(line) }) } });
    try {
      const client = t.client();
      await enrollThroughGateway(t, client, "alice");
      const origin = await listen(t);
      const socket = new WebSocket(`${origin.replace("http:", "ws:")}/live?ws_token=SECRET246`, { headers: { cookie: cookieHeader(client) } });
      // The upstream's first message: the upgrade went all the way through.
      const first = await new Promise<string>((resolve, reject) => {
        socket.once("message", (data) => resolve(String(data)));
        socket.once("error", reject);
      });
      expect(first, "control: the upstream saw the query").toContain("SECRET246");
      socket.close();
    } finally {
      await t.close();
      await upstream.close();
    }
    const text = log.join("");
    expect(text, "control: the proxy's line is there").toContain("/live");
    expect(text).not.toContain("SECRET246");
  });
});
