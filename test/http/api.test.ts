// The JSON API (docs/http-interface.md "JSON API"): the sign-in by JSON alone, with the forms'
// guarantees (replay, throttling, single-use recovery codes, R19's "shown once"), its CSRF rule
// and its JSON errors, at the root and under /.gatehouse in the gateway.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_HEADERS, addUser, APIClient, backAtChallenge, enrollByAPI, HEADERS_WITHOUT_REQUEST_HEADER, json } from "../support/api-client.js";
import { buildTestApp, codeAt, STRONG_PASSWORD, type TestApp } from "../support/app.js";
import { buildGatewayApp, PREFIX } from "../support/gateway.js";
import { decodeQR, recoveryCodesIn, retryAfterSeconds, sessionCookieOf, sessionCookieSet, setCookies, wrongCodeAt } from "./helpers.js";

let t: TestApp;
let log: string[];
beforeEach(async () => {
  log = [];
  t = await buildTestApp({ logger: pino({ level: "trace" }, { write: (line: string) => log.push(line) }) });
});
afterEach(() => t.close());

const newAPI = () => new APIClient(t.client());

describe("the whole sign-in by JSON", () => {
  it("password, key, code, recovery codes in the answer, sign-out, password, a fresh code: done", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    expect(json(await api.get("/session"))).toEqual({ step: "password", user: null });

    const login = await api.post("/login", { username: "alice", password: STRONG_PASSWORD, next: "/reports" });
    expect(login.statusCode).toBe(200);
    expect(json(login)).toEqual({ step: "enroll", next: "/reports" });
    expect(sessionCookieSet(login)?.attributes.get("httponly")).toBe(true);
    expect(json(await api.get("/session"))).toEqual({ step: "enroll", user: { username: "alice" } });

    const setup = json(await api.get("/2fa/setup"));
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.otpauthURI).toContain(`secret=${setup.secret as string}`);
    expect(decodeQR(setup.qrCode as string)).toBe(setup.otpauthURI);
    expect(Date.parse(setup.expiresAt as string)).toBeGreaterThan(t.clock.ms);
    // R24: the same key until it is confirmed.
    expect(json(await api.get("/2fa/setup")).secret).toBe(setup.secret);

    const pendingCookie = sessionCookieOf(api.client)?.value;
    const confirmed = await api.post("/2fa/setup", { code: codeAt(setup.secret as string, t.clock.ms) });
    expect(confirmed.statusCode).toBe(200);
    const enrolled = json(confirmed);
    expect(enrolled).toMatchObject({ step: "done", next: "/reports" });
    expect(enrolled.recoveryCodes).toHaveLength(10);
    expect(new Set(enrolled.recoveryCodes as string[]).size).toBe(10);
    // R32: a new session token for the full sign-in.
    expect(sessionCookieOf(api.client)?.value).not.toBe(pendingCookie);
    expect(json(await api.get("/session"))).toEqual({ step: "done", user: { username: "alice" } });
    // The same cookie is the pages' session.
    expect((await api.client.get("/")).statusCode).toBe(200);

    const loggedOut = await api.post("/logout");
    expect(json(loggedOut)).toEqual({ step: "password" });
    expect(sessionCookieSet(loggedOut)?.value).toBe("");
    expect(json(await api.get("/session"))).toEqual({ step: "password", user: null });

    t.clock.advanceSeconds(30);
    expect(json(await api.post("/login", { username: "alice", password: STRONG_PASSWORD }))).toEqual({ step: "challenge", next: "/" });
    const challenged = await api.post("/2fa/challenge", { code: codeAt(setup.secret as string, t.clock.ms) });
    expect(challenged.statusCode).toBe(200);
    expect(json(challenged)).toEqual({ step: "done", next: "/" });
    expect(json(await api.get("/session")).step).toBe("done");
  });

  it("lists the account's authenticator and its recovery codes left", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const enrolledAt = new Date(t.clock.ms).toISOString();
    await enrollByAPI(t, api, "alice");
    expect(json(await api.get("/2fa/authenticators"))).toEqual({
      authenticators: [{ id: "totp", kind: "totp", createdAt: enrolledAt }],
      recoveryCodesLeft: 10,
    });
  });

  it("gives a new key on /2fa/setup/new, and the old key's code no longer confirms", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    await api.post("/login", { username: "alice", password: STRONG_PASSWORD });
    const first = json(await api.get("/2fa/setup")).secret as string;
    const renewed = json(await api.post("/2fa/setup/new"));
    expect(renewed.secret).not.toBe(first);
    expect(json(await api.get("/2fa/setup")).secret).toBe(renewed.secret);
    const refused = await api.post("/2fa/setup", { code: codeAt(first, t.clock.ms) });
    expect(refused.statusCode).toBe(401);
    expect(json(refused).error?.code).toBe("INVALID_CODE");
  });

  it("remembers the browser when asked: the next password sign-in is done at once", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret } = await enrollByAPI(t, api, "alice");
    await backAtChallenge(t, api, "alice");
    const remembered = await api.post("/2fa/challenge", { code: codeAt(secret, t.clock.ms), remember: true });
    expect(setCookies(remembered).some((cookie) => cookie.name.includes("gatehouse_device") && cookie.value !== "")).toBe(true);
    await api.post("/logout");
    expect(json(await api.post("/login", { username: "alice", password: STRONG_PASSWORD }))).toEqual({ step: "done", next: "/" });
  });

  it("turns two-factor sign-in off with the password and a code; the next sign-in enrolls again", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret } = await enrollByAPI(t, api, "alice");
    t.clock.advanceSeconds(30);
    const off = await api.post("/2fa/disable", { password: STRONG_PASSWORD, code: codeAt(secret, t.clock.ms) });
    expect(off.statusCode).toBe(200);
    expect(json(off)).toEqual({ twoFactor: false });
    expect(json(await api.get("/2fa/authenticators")).authenticators).toEqual([]);
    // The answer said so: no stale notice waits for the account page the user opens later.
    const page = await api.client.request({ method: "GET", url: "/account" });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Two-factor sign-in is off.");
    expect(page.body, "the notice of the HTML form").not.toContain("Your next sign-in will ask you to set it up again");
    await api.post("/logout");
    expect(json(await api.post("/login", { username: "alice", password: STRONG_PASSWORD })).step).toBe("enroll");
  });

  it("refuses to turn two-factor sign-in off with a wrong password, and it stays on", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret } = await enrollByAPI(t, api, "alice");
    t.clock.advanceSeconds(30);
    const res = await api.post("/2fa/disable", { password: "not-the-password-1", code: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(json(res).error?.code).toBe("INVALID_CREDENTIALS");
    expect(json(await api.get("/2fa/authenticators")).authenticators).toHaveLength(1);
  });
});

describe("the second factor's guarantees hold for JSON", () => {
  it("refuses a replayed code with 401 INVALID_CODE, and the session stays at the challenge", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret } = await enrollByAPI(t, api, "alice");
    await backAtChallenge(t, api, "alice");
    const code = codeAt(secret, t.clock.ms);
    expect((await api.post("/2fa/challenge", { code })).statusCode).toBe(200);
    await api.post("/logout");
    await api.post("/login", { username: "alice", password: STRONG_PASSWORD });

    const replayed = await api.post("/2fa/challenge", { code });
    expect(replayed.statusCode).toBe(401);
    expect(json(replayed).error?.code).toBe("INVALID_CODE");
    expect(json(await api.get("/session")).step).toBe("challenge");
  });

  it("locks after 5 wrong codes: 429 with Retry-After, even for the right code", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret } = await enrollByAPI(t, api, "alice");
    await backAtChallenge(t, api, "alice");
    for (let i = 0; i < 5; i++) {
      const wrong = await api.post("/2fa/challenge", { code: wrongCodeAt(secret, t.clock.ms) });
      expect(json(wrong).error?.code).toBe("INVALID_CODE");
    }
    const locked = await api.post("/2fa/challenge", { code: codeAt(secret, t.clock.ms) });
    expect(locked.statusCode).toBe(429);
    expect(json(locked).error?.code).toBe("THROTTLED");
    expect(retryAfterSeconds(locked)).toBeGreaterThanOrEqual(1);
    expect(json(await api.get("/session")).step).toBe("challenge");
  });

  it("accepts a recovery code once, and says how many are left", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { recoveryCodes } = await enrollByAPI(t, api, "alice");
    await backAtChallenge(t, api, "alice");
    const used = await api.post("/2fa/recovery", { recoveryCode: recoveryCodes[0] });
    expect(used.statusCode).toBe(200);
    expect(json(used)).toEqual({ step: "done", next: "/", recoveryCodesLeft: 9 });

    await backAtChallenge(t, api, "alice");
    const again = await api.post("/2fa/recovery", { recoveryCode: recoveryCodes[0] });
    expect(again.statusCode).toBe(401);
    expect(json(again).error?.code).toBe("INVALID_RECOVERY_CODE");
    expect(json(await api.get("/session")).step).toBe("challenge");
  });
});

describe("R19: recovery codes given by the API are shown once, in its answer", () => {
  it("after enrollment, GET /2fa/recovery-codes shows none of them", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { recoveryCodes } = await enrollByAPI(t, api, "alice");
    const page = await api.client.get("/2fa/recovery-codes");
    expect(page.statusCode).toBe(303);
    expect(recoveryCodesIn(page.body)).toEqual([]);
    for (const code of recoveryCodes) expect(page.body).not.toContain(code);
  });

  it("new codes replace the old ones, and GET /2fa/recovery-codes shows none of them", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret, recoveryCodes: old } = await enrollByAPI(t, api, "alice");
    t.clock.advanceSeconds(30);
    const res = await api.post("/2fa/recovery-codes", { code: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(200);
    const fresh = json(res).recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => old.includes(code))).toEqual([]);
    const page = await api.client.get("/2fa/recovery-codes");
    expect(page.statusCode).toBe(303);
    for (const code of fresh) expect(page.body).not.toContain(code);

    await backAtChallenge(t, api, "alice");
    expect((await api.post("/2fa/recovery", { recoveryCode: old[0] })).statusCode).toBe(401);
    expect((await api.post("/2fa/recovery", { recoveryCode: fresh[0] })).statusCode).toBe(200);
  });
});

describe("the API's CSRF rule", () => {
  it("refuses a POST without X-Gatehouse-Request with 403 CSRF_FAILED, and starts no session", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const res = await api.raw("/login", {
      method: "POST",
      payload: JSON.stringify({ username: "alice", password: STRONG_PASSWORD }),
      headers: HEADERS_WITHOUT_REQUEST_HEADER,
    });
    expect(res.statusCode).toBe(403);
    expect(json(res).error?.code).toBe("CSRF_FAILED");
    expect(sessionCookieSet(res)).toBeUndefined();
  });

  it.each(["https://evil.example", "null", "http://localhost:8080"])("refuses a POST with Origin %s with 403", async (origin) => {
    await addUser(t, "alice");
    const api = newAPI();
    const res = await api.post("/login", { username: "alice", password: STRONG_PASSWORD }, { origin });
    expect(res.statusCode).toBe(403);
    expect(json(res).error?.code).toBe("CSRF_FAILED");
    expect(sessionCookieSet(res)).toBeUndefined();
  });

  it("refuses a form body with 415 in the JSON shape", async () => {
    const api = newAPI();
    const res = await api.raw("/login", {
      method: "POST",
      payload: `username=alice&password=${STRONG_PASSWORD}`,
      headers: { ...API_HEADERS, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(json(res).error?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("leaves the pages as they are: a JSON body to POST /login is still 415", async () => {
    const res = await t.app.inject({ method: "POST", url: "/login", payload: "{}", headers: API_HEADERS });
    expect(res.statusCode).toBe(415);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
  });
});

describe("bad input gets 400 MALFORMED_REQUEST in JSON, never 500", () => {
  const cases: [string, string][] = [
    ["broken JSON", '{"username": "alice", '],
    ["a JSON array", "[1, 2]"],
    ["a missing field", '{"username": "alice"}'],
    ["a number for a string", '{"username": "alice", "password": 12345678}'],
    ["a field too long", JSON.stringify({ username: "a".repeat(257), password: STRONG_PASSWORD })],
    ["a NUL byte", JSON.stringify({ username: "al\u0000ice", password: STRONG_PASSWORD })],
  ];
  it.each(cases)("%s", async (_, payload) => {
    const res = await newAPI().raw("/login", { method: "POST", payload, headers: API_HEADERS });
    expect(res.statusCode).toBe(400);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(json(res).error?.code).toBe("MALFORMED_REQUEST");
  });

  it("a string for the remember flag", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret } = await enrollByAPI(t, api, "alice");
    await backAtChallenge(t, api, "alice");
    const res = await api.post("/2fa/challenge", { code: codeAt(secret, t.clock.ms), remember: "1" });
    expect(res.statusCode).toBe(400);
    expect(json(await api.get("/session")).step).toBe("challenge");
  });

  it("an unknown endpoint is 404 NOT_FOUND in JSON", async () => {
    const res = await newAPI().get("/2fa/nothing-here");
    expect(res.statusCode).toBe(404);
    expect(json(res).error?.code).toBe("NOT_FOUND");
  });
});

describe("a call at the wrong step", () => {
  it("answers 401 SIGN_IN_REQUIRED when nobody is signed in", async () => {
    const api = newAPI();
    for (const res of [await api.get("/2fa/setup"), await api.get("/2fa/authenticators"), await api.post("/2fa/challenge", { code: "123456" })]) {
      expect(res.statusCode).toBe(401);
      expect(json(res).error?.code).toBe("SIGN_IN_REQUIRED");
    }
  });

  it("answers 409 WRONG_STEP with the step the visitor is at, and changes nothing", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const { secret } = await enrollByAPI(t, api, "alice");
    const atDone = await api.get("/2fa/setup");
    expect(atDone.statusCode).toBe(409);
    expect(json(atDone).error).toMatchObject({ code: "WRONG_STEP", step: "done" });

    await backAtChallenge(t, api, "alice");
    const atChallenge = await api.post("/2fa/recovery-codes", { code: codeAt(secret, t.clock.ms) });
    expect(atChallenge.statusCode).toBe(409);
    expect(json(atChallenge).error).toMatchObject({ code: "WRONG_STEP", step: "challenge" });
    // The code was not spent: it still signs in.
    expect((await api.post("/2fa/challenge", { code: codeAt(secret, t.clock.ms) })).statusCode).toBe(200);
  });
});

describe("what the API answers and logs never repeats a password or code sent", () => {
  it("holds for wrong and right passwords, codes and recovery codes", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    const bodies: string[] = [];
    const sent = async (path: string, body: object) => bodies.push((await api.post(path, body)).body);
    const wrongPassword = "a-wrong-password-xyz";
    await sent("/login", { username: "alice", password: wrongPassword });
    const { secret, recoveryCodes } = await enrollByAPI(t, api, "alice");
    await backAtChallenge(t, api, "alice");
    const wrongCode = wrongCodeAt(secret, t.clock.ms);
    const rightCode = codeAt(secret, t.clock.ms);
    await sent("/2fa/challenge", { code: wrongCode });
    await sent("/2fa/recovery", { recoveryCode: "ZZZZZ-ZZZZ0" });
    await sent("/2fa/challenge", { code: `${rightCode}0`.repeat(10) });
    await sent("/2fa/challenge", { code: rightCode });
    await sent("/2fa/disable", { password: wrongPassword, code: rightCode });

    const text = log.join("") + bodies.join("");
    expect(log.length).toBeGreaterThan(10);
    for (const secretSent of [STRONG_PASSWORD, wrongPassword, "ZZZZZ-ZZZZ0", recoveryCodes[0]!, secret]) expect(text).not.toContain(secretSent);
    for (const code of [wrongCode, rightCode]) expect(text).not.toMatch(new RegExp(`(?<![\\d.])${code}(?!\\d)`));
  });
});

describe("in the gateway", () => {
  it("answers under /.gatehouse/api, with the same CSRF rule", async () => {
    const gateway = await buildGatewayApp({});
    try {
      await addUser(gateway, "alice");
      const api = new APIClient(gateway.client(), `${PREFIX}/api`);
      expect(json(await api.get("/session"))).toEqual({ step: "password", user: null });
      const login = await api.post("/login", { username: "alice", password: STRONG_PASSWORD });
      expect(json(login)).toEqual({ step: "enroll", next: "/" });
      const setup = json(await api.get("/2fa/setup"));
      const confirmed = await api.post("/2fa/setup", { code: codeAt(setup.secret as string, gateway.clock.ms) });
      expect(json(confirmed)).toMatchObject({ step: "done" });
      const forged = await api.post("/logout", {}, { origin: "https://evil.example" });
      expect(forged.statusCode).toBe(403);
      expect(json(forged).error?.code).toBe("CSRF_FAILED");
      expect((await gateway.app.inject({ method: "GET", url: "/api/session" })).statusCode).toBe(404);
    } finally {
      await gateway.close();
    }
  });
});
