// Bad input gets a clear 400/401/403/404/405/413/415/429 page and changes nothing (contract:
// Forms, "Never 500 for anything a client sends"; R8, R10, R31, R41, R45). Each case names the
// exact status and checks the side effect that must not happen: an account created, a session
// rotated or promoted, a second-factor attempt counted, a recovery code used up.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.js";
import {
  ARABIC_INDIC_ZERO,
  codeAt,
  expectHTMLPage,
  expectSessionUnchanged,
  FORM,
  FULLWIDTH_ZERO,
  hashToken,
  ORIGIN,
  postRaw,
  rawRequest,
  secondFactorAttemptsLeft,
  secretFromSetupPage,
  serverSession,
  sessionCookie,
  sessionCookieSet,
  STRONG_PASSWORD,
  uniqueName,
  visitorIn,
  withDigitsFrom,
  type Visitor,
} from "./support.js";

const BODY_LIMIT = 16 * 1024;
const enc = encodeURIComponent;

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  await t?.close();
});

const rightCode = (v: Visitor) => codeAt(v.secret!, t.clock.ms);
const accountExists = async (username: string) => (await t.store.users.findUserByUsernameKey(username.toLowerCase())) !== null;
const unusedRecoveryCodes = async (v: Visitor) => (await t.store.recoveryCodes.listUnused(v.userId!)).length;

/** The key the setup page shows now (R24: unchanged until confirmed or expired). */
async function shownKey(v: Visitor) {
  return secretFromSetupPage((await v.client.get("/2fa/setup")).body);
}

/** A raw POST whose whole body (CSRF token included) is exactly `bytes` long. */
function postOfLength(v: Visitor, url: string, fields: string, bytes: number) {
  const start = `_csrf=${enc(v.client.csrf!)}&${fields}&pad=`;
  return rawRequest(t, v.client, {
    url,
    body: start + "a".repeat(bytes - Buffer.byteLength(start)),
    headers: { "content-type": FORM, origin: ORIGIN },
  });
}

describe("missing fields answer 400 and change nothing", () => {
  it("POST /register without username or password answers 400 and creates no account", async () => {
    const v = await visitorIn(t, "anonymous");
    const name = uniqueName("missing");
    for (const body of ["", `username=${name}`, `password=${enc(STRONG_PASSWORD)}`, `username=&password=`]) {
      expectHTMLPage(await postRaw(t, v.client, "/register", body), 400);
    }
    expect(await accountExists(name)).toBe(false);
  });

  it("POST /2fa/setup without otp answers 400, keeps the same key and counts no attempt (R10, R24)", async () => {
    const v = await visitorIn(t, "pending-not-enrolled");
    const res = await postRaw(t, v.client, "/2fa/setup", "");
    expectHTMLPage(res, 400);
    await expectSessionUnchanged(t, v, res);
    expect(await shownKey(v)).toBe(v.secret);
    expect(await t.store.totp.findFactor(v.userId!)).toBeNull();
    expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
  });

  it("POST /2fa without otp answers 400, keeps the pending session and counts no attempt (R10)", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    const res = await postRaw(t, v.client, "/2fa", "remember=1");
    expectHTMLPage(res, 400);
    await expectSessionUnchanged(t, v, res);
    expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
  });

  it("POST /2fa/recovery without recovery_code answers 400, uses up no code and counts no attempt (R20)", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    const res = await postRaw(t, v.client, "/2fa/recovery", "otp=123456");
    expectHTMLPage(res, 400);
    await expectSessionUnchanged(t, v, res);
    expect(await unusedRecoveryCodes(v)).toBe(v.recoveryCodes!.length);
    expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
  });

  it("POST /logout without _csrf answers 403 and the session still opens the home page (R36, R41)", async () => {
    const v = await visitorIn(t, "full");
    const res = await rawRequest(t, v.client, { url: "/logout", body: "", headers: { "content-type": FORM, origin: ORIGIN } });
    expectHTMLPage(res, 403);
    await expectSessionUnchanged(t, v, res);
    expect((await v.client.get("/")).body).toContain(`Signed in as ${v.username}`);
  });

  it("malformed POST /login requests answer 400 and never count as password failures (R16)", async () => {
    const owner = await visitorIn(t, "pending-not-enrolled");
    const v = await visitorIn(t, "anonymous");
    const name = owner.username!;
    const malformed = [
      `username=${name}`,
      `password=${enc(STRONG_PASSWORD)}`,
      `username=${name}&password=`,
      `username=${name}&password=${"p".repeat(10_000)}`,
      `username=${"u".repeat(10_000)}&password=wrong-password`,
      `username=${name}%00&password=wrong-password`,
      `username=${name}&password=wrong%00password`,
      `username=${name}&username=${name}&password=wrong-password`,
      `username=${name}&password=wrong-password&password=wrong-password`,
    ];
    for (const body of malformed) expectHTMLPage(await postRaw(t, v.client, "/login", body), 400);
    // All 10 failures of the window are still available, then the 11th is throttled.
    for (let i = 0; i < 10; i++) expectHTMLPage(await postRaw(t, v.client, "/login", `username=${name}&password=wrong-${i}`), 401);
    const throttled = await postRaw(t, v.client, "/login", `username=${name}&password=wrong-x`);
    expectHTMLPage(throttled, 429);
    expect(Number(throttled.headers["retry-after"])).toBeGreaterThan(0);
  });
});

describe("oversized bodies and fields", () => {
  const cases: { route: string; state: Visitor["state"]; fields: (v: Visitor) => string }[] = [
    { route: "/register", state: "anonymous", fields: () => `username=${uniqueName("big")}&password=${enc(STRONG_PASSWORD)}` },
    { route: "/login", state: "anonymous", fields: () => `username=nobody&password=${enc(STRONG_PASSWORD)}` },
    { route: "/2fa/setup", state: "pending-not-enrolled", fields: (v) => `otp=${rightCode(v)}` },
    { route: "/2fa", state: "pending-enrolled", fields: (v) => `otp=${rightCode(v)}` },
    { route: "/2fa/recovery", state: "pending-enrolled", fields: (v) => `recovery_code=${v.recoveryCodes![0]}` },
    { route: "/logout", state: "full", fields: () => "" },
  ];

  for (const { route, state, fields } of cases) {
    it(`POST ${route} with a body over 16 KiB answers 413 and changes nothing (${state})`, async () => {
      const v = await visitorIn(t, state);
      const body = fields(v);
      const res = await postOfLength(v, route, body, BODY_LIMIT + 1);
      expectHTMLPage(res, 413);
      await expectSessionUnchanged(t, v, res);
      const username = /username=([^&]+)/.exec(body)?.[1];
      if (route === "/register") expect(await accountExists(username!)).toBe(false);
      if (v.userId) {
        if (state === "pending-not-enrolled") expect(await t.store.totp.findFactor(v.userId)).toBeNull();
        else expect(await unusedRecoveryCodes(v)).toBe(v.recoveryCodes!.length);
        expect(await secondFactorAttemptsLeft(t, v.userId)).toBe(5);
      }
    });
  }

  it("a form body of exactly 16 KiB is not refused for its size", async () => {
    const v = await visitorIn(t, "anonymous");
    const name = uniqueName("exact");
    const res = await postOfLength(v, "/register", `username=${name}&password=${enc(STRONG_PASSWORD)}`, BODY_LIMIT);
    expect(res.statusCode).toBe(303);
    expect(await accountExists(name)).toBe(true);
  });

  it("POST /register with an extremely long or over-limit username or password answers 400 and creates no account", async () => {
    const v = await visitorIn(t, "anonymous");
    const cases = [
      { username: "u".repeat(10_000), password: STRONG_PASSWORD },
      { username: "u".repeat(65), password: STRONG_PASSWORD },
      { username: uniqueName("longpw"), password: "p".repeat(10_000) },
      { username: uniqueName("longpw"), password: "correct-horse-".repeat(19) }, // 266 characters
    ];
    for (const { username, password } of cases) {
      const res = await postRaw(t, v.client, "/register", `username=${username}&password=${enc(password)}`);
      expectHTMLPage(res, 400);
      expect(await accountExists(username)).toBe(false);
    }
  });

  it("POST /2fa and /2fa/recovery with extremely long codes answer 400 and count no attempt", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    for (const [route, body] of [
      ["/2fa", `otp=${"1".repeat(10_000)}`],
      ["/2fa", `otp=${rightCode(v)}${" ".repeat(100)}`],
      ["/2fa/recovery", `recovery_code=${"A".repeat(10_000)}`],
    ] as const) {
      const res = await postRaw(t, v.client, route, body);
      expectHTMLPage(res, 400);
      await expectSessionUnchanged(t, v, res);
    }
    expect(await unusedRecoveryCodes(v)).toBe(v.recoveryCodes!.length);
    expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
  });

  it("POST /2fa/setup with an extremely long code answers 400, keeps the key and counts no attempt", async () => {
    const v = await visitorIn(t, "pending-not-enrolled");
    expectHTMLPage(await postRaw(t, v.client, "/2fa/setup", `otp=${"9".repeat(10_000)}`), 400);
    expect(await shownKey(v)).toBe(v.secret);
    expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
  });
});

describe("anything but a urlencoded form answers 415 and changes nothing", () => {
  const bodies = (fields: Record<string, string>) => ({
    "application/json": JSON.stringify(fields),
    "multipart/form-data; boundary=XyZ": Object.entries(fields)
      .map(([k, value]) => `--XyZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${value}\r\n`)
      .join("")
      .concat("--XyZ--\r\n"),
    "text/plain": new URLSearchParams(fields).toString(),
    "text/plain;charset=UTF-8": new URLSearchParams(fields).toString(),
    "application/octet-stream": new URLSearchParams(fields).toString(),
    "application/xml": `<form>${Object.entries(fields).map(([k, value]) => `<${k}>${value}</${k}>`).join("")}</form>`,
    none: new URLSearchParams(fields).toString(),
  });

  for (const [type, state, route] of [
    ["register", "anonymous", "/register"],
    ["challenge", "pending-enrolled", "/2fa"],
    ["logout", "full", "/logout"],
  ] as const) {
    it(`POST ${route} as JSON, multipart, text, XML, octet-stream or with no Content-Type answers 415 (${type})`, async () => {
      const v = await visitorIn(t, state);
      const name = uniqueName("json");
      const fields: Record<string, string> =
        route === "/register"
          ? { username: name, password: STRONG_PASSWORD, _csrf: v.client.csrf! }
          : route === "/2fa"
            ? { otp: rightCode(v), _csrf: v.client.csrf! }
            : { _csrf: v.client.csrf! };
      for (const [contentType, body] of Object.entries(bodies(fields))) {
        const res = await rawRequest(t, v.client, {
          url: route,
          body,
          headers: { origin: ORIGIN, "content-type": contentType === "none" ? undefined : contentType },
        });
        expect({ contentType, status: res.statusCode }).toEqual({ contentType, status: 415 });
        expectHTMLPage(res, 415);
        await expectSessionUnchanged(t, v, res);
      }
      if (route === "/register") expect(await accountExists(name)).toBe(false);
      if (route === "/2fa") expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
    });
  }

  it("a urlencoded form with a charset parameter is accepted (control for the 415 cases)", async () => {
    const v = await visitorIn(t, "anonymous");
    const name = uniqueName("charset");
    const res = await postRaw(
      t,
      v.client,
      "/register",
      `username=${name}&password=${enc(STRONG_PASSWORD)}`,
      "application/x-www-form-urlencoded; charset=UTF-8",
    );
    expect(res.statusCode).toBe(303);
    expect(await accountExists(name)).toBe(true);
  });
});

describe("invalid percent-encoding", () => {
  const BAD = ["%E0%A4%A", "%", "%zz"];

  for (const bad of BAD) {
    it(`POST /register with "${bad}" in the username answers 400 and creates no account`, async () => {
      const v = await visitorIn(t, "anonymous");
      const name = uniqueName("pct");
      expectHTMLPage(await postRaw(t, v.client, "/register", `username=${name}${bad}&password=${enc(STRONG_PASSWORD)}`), 400);
      expect(await accountExists(name)).toBe(false);
    });

    it(`POST /register with "${bad}" in the password answers 400 and creates no account`, async () => {
      const v = await visitorIn(t, "anonymous");
      const name = uniqueName("pct");
      const res = await postRaw(t, v.client, "/register", `username=${name}&password=violet-harbor${bad}-pancake`);
      expectHTMLPage(res, 400);
      expect(await accountExists(name)).toBe(false);
      await expectSessionUnchanged(t, v, res);
    });

    it(`POST /2fa with "${bad}" after the right code answers 400 and counts no attempt`, async () => {
      const v = await visitorIn(t, "pending-enrolled");
      // At the end, so the digits cannot complete the broken escape into a valid one.
      const res = await postRaw(t, v.client, "/2fa", `otp=${rightCode(v)}${bad}`);
      expectHTMLPage(res, 400);
      await expectSessionUnchanged(t, v, res);
      expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
    });

    it(`GET /login and /register with "${bad}" as next show the form with next falling back to / (R45)`, async () => {
      const v = await visitorIn(t, "anonymous");
      for (const path of ["/login", "/register"]) {
        const res = await v.client.get(`${path}?next=${bad}`);
        expectHTMLPage(res, 200);
        expect(res.body).toContain('name="next" value="/"');
      }
      const home = await v.client.get(`/?next=${bad}&x=${bad}`);
      expect({ status: home.statusCode, location: home.headers.location }).toEqual({ status: 303, location: "/login?next=%2F" });
    });
  }

  // Found by form-routes-fuzz.test.ts: a body that fails to parse is answered by the route's own
  // form page, which for /2fa/setup needs a pending user; every other visitor must get a page too.
  for (const state of ["anonymous", "pending-not-enrolled", "pending-enrolled", "full"] as const) {
    it(`a badly encoded body on each form route answers a 400 page and changes nothing (${state})`, async () => {
      const v = await visitorIn(t, state);
      for (const route of ["/register", "/login", "/2fa/setup", "/2fa/setup/new", "/2fa", "/2fa/recovery", "/logout"]) {
        const res = await postRaw(t, v.client, route, "otp=123456&username=%");
        expect({ route, status: res.statusCode }).toEqual({ route, status: 400 });
        expectHTMLPage(res, 400);
        await expectSessionUnchanged(t, v, res);
        // R25, R26: only a visitor at the enrollment step may ever be shown a setup key.
        if (state !== "pending-not-enrolled") expect({ route, key: res.body.includes('id="secret-key"') }).toEqual({ route, key: false });
      }
      if (v.userId) {
        expect(await secondFactorAttemptsLeft(t, v.userId)).toBe(5);
        // Enrolled accounts get no new pending enrollment; the enrolling one keeps its key (R24).
        const pending = await t.store.totp.listPendingEnrollments(v.userId, t.clock.ms);
        if (state === "pending-not-enrolled") expect(await shownKey(v)).toBe(v.secret);
        else expect(pending).toEqual([]);
      }
    });
  }

  it("a badly encoded body without a CSRF token, from another origin, shows no key and starts no enrollment (R26, R41)", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    const res = await rawRequest(t, v.client, {
      url: "/2fa/setup",
      body: "otp=%",
      headers: { "content-type": FORM, origin: "http://evil.example" },
    });
    // The token cannot even be read from such a body: a 400 or a 403 are both a refusal.
    expect([400, 403]).toContain(res.statusCode);
    expectHTMLPage(res, res.statusCode);
    expect(res.body).not.toMatch(/id="secret-key"|otpauth:\/\//);
    expect(await t.store.totp.listPendingEnrollments(v.userId!, t.clock.ms)).toEqual([]);
    await expectSessionUnchanged(t, v, res);
  });

  for (const path of ["/%", "/%zz", "/%E0%A4%A", "/login%zz"]) {
    it(`GET ${path} answers a 400 HTML page, not a framework JSON error`, async () => {
      const res = await rawRequest(t, null, { method: "GET", url: path });
      expectHTMLPage(res, 400);
    });
  }
});

describe("NUL bytes in fields answer 400 and change nothing", () => {
  it("POST /register with %00 in the username or password creates no account", async () => {
    const v = await visitorIn(t, "anonymous");
    const name = uniqueName("nul");
    expectHTMLPage(await postRaw(t, v.client, "/register", `username=${name}%00x&password=${enc(STRONG_PASSWORD)}`), 400);
    expectHTMLPage(await postRaw(t, v.client, "/register", `username=${name}&password=violet%00harbor-pancake`), 400);
    for (const key of [name, `${name}\u0000x`, `${name}x`]) expect(await accountExists(key)).toBe(false);
  });

  it("POST /2fa, /2fa/recovery and /2fa/setup with %00 in the code count no attempt and use up nothing", async () => {
    const enrolled = await visitorIn(t, "pending-enrolled");
    const code = rightCode(enrolled);
    for (const [route, body] of [
      ["/2fa", `otp=${code.slice(0, 3)}%00${code.slice(3)}`],
      ["/2fa", `otp=${code}%00`],
      ["/2fa/recovery", `recovery_code=${enrolled.recoveryCodes![0]}%00`],
    ] as const) {
      const res = await postRaw(t, enrolled.client, route, body);
      expectHTMLPage(res, 400);
      await expectSessionUnchanged(t, enrolled, res);
    }
    expect(await unusedRecoveryCodes(enrolled)).toBe(enrolled.recoveryCodes!.length);
    expect(await secondFactorAttemptsLeft(t, enrolled.userId!)).toBe(5);

    const pending = await visitorIn(t, "pending-not-enrolled");
    expectHTMLPage(await postRaw(t, pending.client, "/2fa/setup", `otp=%00${codeAt(pending.secret!, t.clock.ms)}`), 400);
    expect(await t.store.totp.findFactor(pending.userId!)).toBeNull();
    expect(await secondFactorAttemptsLeft(t, pending.userId!)).toBe(5);
  });
});

describe("repeated fields answer 400 and change nothing", () => {
  it("POST /2fa with otp twice, both right, answers 400, counts nothing, and the code still works once after", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    const code = rightCode(v);
    const res = await postRaw(t, v.client, "/2fa", `otp=${code}&otp=${code}`);
    expectHTMLPage(res, 400);
    await expectSessionUnchanged(t, v, res);
    expect((await t.store.totp.findFactor(v.userId!))?.lastUsedStep).toBeLessThan(Math.floor(t.clock.ms / 30_000));
    const single = await v.client.post("/2fa", { otp: code });
    expect(single.statusCode).toBe(303);
  });

  it("POST /2fa with otp=1&otp=2 answers 400 and counts no attempt", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    expectHTMLPage(await postRaw(t, v.client, "/2fa", "otp=1&otp=2"), 400);
    expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(5);
  });

  it("POST /register with two usernames answers 400 and creates neither account", async () => {
    const v = await visitorIn(t, "anonymous");
    const [first, second] = [uniqueName("twin"), uniqueName("twin")];
    expectHTMLPage(await postRaw(t, v.client, "/register", `username=${first}&username=${second}&password=${enc(STRONG_PASSWORD)}`), 400);
    expect(await accountExists(first)).toBe(false);
    expect(await accountExists(second)).toBe(false);
  });

  it("POST /2fa/recovery with the same right code twice answers 400 and uses up no code (R20)", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    const code = v.recoveryCodes![0]!;
    const res = await postRaw(t, v.client, "/2fa/recovery", `recovery_code=${code}&recovery_code=${code}`);
    expectHTMLPage(res, 400);
    await expectSessionUnchanged(t, v, res);
    expect(await unusedRecoveryCodes(v)).toBe(v.recoveryCodes!.length);
  });

  it("a repeated _csrf field, even with the right token twice, answers 403 and creates no account (R41)", async () => {
    const v = await visitorIn(t, "anonymous");
    const name = uniqueName("csrf2");
    const res = await postRaw(t, v.client, "/register", `_csrf=${enc(v.client.csrf!)}&username=${name}&password=${enc(STRONG_PASSWORD)}`);
    expectHTMLPage(res, 403);
    expect(await accountExists(name)).toBe(false);
  });
});

describe("R8: only ASCII digits make a code; anything else is a failed attempt", () => {
  const variants: [string, (code: string) => string][] = [
    ["the right code in Arabic-Indic digits", (code) => withDigitsFrom(code, ARABIC_INDIC_ZERO)],
    ["the right code in fullwidth digits", (code) => withDigitsFrom(code, FULLWIDTH_ZERO)],
    ["the right code with one fullwidth digit", (code) => code.slice(0, 5) + withDigitsFrom(code.slice(5), FULLWIDTH_ZERO)],
    ["٠١٢٣٤٥", () => "٠١٢٣٤٥"],
    ["１２３４５６", () => "１２３４５６"],
  ];

  for (const [label, write] of variants) {
    it(`POST /2fa with ${label} answers 401 and counts one failed attempt (R10)`, async () => {
      const v = await visitorIn(t, "pending-enrolled");
      const res = await v.client.post("/2fa", { otp: write(rightCode(v)) });
      expectHTMLPage(res, 401);
      expect(res.body).toContain('name="otp"');
      await expectSessionUnchanged(t, v, res);
      expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(4);
    });
  }

  it("POST /2fa/setup with the right code in Arabic-Indic digits answers 401, keeps the key and enrolls nothing", async () => {
    const v = await visitorIn(t, "pending-not-enrolled");
    const res = await v.client.post("/2fa/setup", { otp: withDigitsFrom(rightCode(v), ARABIC_INDIC_ZERO) });
    expectHTMLPage(res, 401);
    expect(secretFromSetupPage(res.body)).toBe(v.secret);
    expect(await t.store.totp.findFactor(v.userId!)).toBeNull();
    expect(await secondFactorAttemptsLeft(t, v.userId!)).toBe(4);
  });

  it("R11: five non-ASCII attempts lock the account, so even the right ASCII code then gets 429 with Retry-After", async () => {
    const v = await visitorIn(t, "pending-enrolled");
    for (let i = 0; i < 5; i++) {
      expect((await v.client.post("/2fa", { otp: withDigitsFrom(rightCode(v), ARABIC_INDIC_ZERO) })).statusCode).toBe(401);
    }
    const res = await v.client.post("/2fa", { otp: rightCode(v) });
    expectHTMLPage(res, 429);
    expect(Number(res.headers["retry-after"])).toBe(30);
    await expectSessionUnchanged(t, v, res);
  });
});

describe("contract: otp accepts the digits with surrounding or inner spaces", () => {
  const spaced: [string, (code: string) => string][] = [
    ["123+456 (form-encoded space)", (code) => `${code.slice(0, 3)}+${code.slice(3)}`],
    ["123%20456", (code) => `${code.slice(0, 3)}%20${code.slice(3)}`],
    ["surrounding spaces", (code) => `++${code}+`],
    ["12 34 56", (code) => code.replace(/(\d\d)(?=\d)/g, "$1+")],
  ];

  for (const [label, write] of spaced) {
    it(`POST /2fa with the right code as ${label} signs in`, async () => {
      const v = await visitorIn(t, "pending-enrolled");
      const res = await postRaw(t, v.client, "/2fa", `otp=${write(rightCode(v))}`);
      expect({ status: res.statusCode, location: res.headers.location }).toEqual({ status: 303, location: "/" });
      expect(sessionCookieSet(res)?.value).toBeDefined();
      expect(sessionCookieSet(res)?.value).not.toBe(sessionCookie(v.client)?.value);
    });
  }

  it("POST /2fa/setup with the right code as 123 456 enrolls", async () => {
    const v = await visitorIn(t, "pending-not-enrolled");
    const code = rightCode(v);
    const res = await v.client.post("/2fa/setup", { otp: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect({ status: res.statusCode, location: res.headers.location }).toEqual({ status: 303, location: "/2fa/recovery-codes" });
    expect(await t.store.totp.findFactor(v.userId!)).not.toBeNull();
  });
});

describe("usernames outside the allowed set are refused cleanly at registration", () => {
  const names = ["zoë", "用户", "ａｄｍｉｎ", "admin\u200b", "Ǆemal", "emoji😀", "two words", "name:colon", "İstanbul", "a\u0301", "\u202eevil"];

  for (const name of names) {
    it(`POST /register as ${JSON.stringify(name)} answers 400 with the form again and creates no account`, async () => {
      const v = await visitorIn(t, "anonymous");
      const res = await postRaw(t, v.client, "/register", `username=${enc(name)}&password=${enc(STRONG_PASSWORD)}`);
      expectHTMLPage(res, 400);
      expect(res.body).toContain('name="username"');
      await expectSessionUnchanged(t, v, res);
      for (const key of new Set([name, name.toLowerCase(), name.normalize("NFKC").toLowerCase()])) {
        expect(await accountExists(key)).toBe(false);
      }
    });
  }

  it("a lookalike of a taken username is refused too, and the owner's account is untouched", async () => {
    const owner = await visitorIn(t, "pending-not-enrolled");
    const v = await visitorIn(t, "anonymous");
    // Fullwidth forms sit at ASCII + 0xFEE0 and fold to ASCII under NFKC.
    const lookalike = [...owner.username!].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join("");
    expectHTMLPage(await postRaw(t, v.client, "/register", `username=${enc(lookalike)}&password=${enc(STRONG_PASSWORD)}`), 400);
    expect((await t.store.users.findUserByUsernameKey(owner.username!.toLowerCase()))?.id).toBe(owner.userId);
  });

  it("POST /login with a unicode username answers 401 like an unknown user", async () => {
    const v = await visitorIn(t, "anonymous");
    const res = await postRaw(t, v.client, "/login", `username=${enc("zoë")}&password=${enc(STRONG_PASSWORD)}`);
    expectHTMLPage(res, 401);
    await expectSessionUnchanged(t, v, res);
  });
});

describe("methods other than GET and POST", () => {
  const ROUTES = ["/", "/login", "/register", "/2fa", "/2fa/setup", "/2fa/recovery", "/2fa/recovery-codes", "/logout", "/account"];

  it("PUT, DELETE, PATCH and OPTIONS on every route answer a 404 or 405 page and sign nobody out", async () => {
    const v = await visitorIn(t, "full");
    for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
      for (const url of ROUTES) {
        const res = await rawRequest(t, v.client, {
          method,
          url,
          body: `_csrf=${enc(v.client.csrf!)}`,
          headers: { "content-type": FORM, origin: ORIGIN },
        });
        expect({ method, url, status: [404, 405].includes(res.statusCode) }).toEqual({ method, url, status: true });
        expectHTMLPage(res, res.statusCode);
      }
    }
    await expectSessionUnchanged(t, v);
    expect((await v.client.get("/")).body).toContain(`Signed in as ${v.username}`);
  });

  it("PUT /register with a valid form answers 404 or 405 and creates no account", async () => {
    const v = await visitorIn(t, "anonymous");
    const name = uniqueName("put");
    const res = await rawRequest(t, v.client, {
      method: "PUT",
      url: "/register",
      body: `_csrf=${enc(v.client.csrf!)}&username=${name}&password=${enc(STRONG_PASSWORD)}`,
      headers: { "content-type": FORM, origin: ORIGIN },
    });
    expect([404, 405]).toContain(res.statusCode);
    expect(await accountExists(name)).toBe(false);
  });

  for (const state of ["anonymous", "pending-not-enrolled", "pending-enrolled", "full"] as const) {
    it(`HEAD answers like GET without a body and never 5xx (${state})`, async () => {
      const v = await visitorIn(t, state);
      for (const url of [...ROUTES, "/healthz", "/assets/style.css"]) {
        const head = await rawRequest(t, v.client, { method: "HEAD", url });
        const get = await rawRequest(t, v.client, { method: "GET", url });
        expect({ url, head: head.statusCode, body: head.body }).toEqual({ url, head: get.statusCode, body: "" });
        expect(head.statusCode).toBeLessThan(500);
      }
      await expectSessionUnchanged(t, v);
    });
  }
});

describe("weird paths answer a clear page, never 5xx and never a file", () => {
  const NOT_FOUND = [
    "/..%2f",
    "//",
    "///",
    "/%00",
    "/login%00",
    "//login",
    "//evil.example/",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/assets/..%2f..%2fpackage.json",
    "/assets/%2e%2e/%2e%2e/package.json",
    "/assets/style.css%00",
    "/login%2f..%2f..%2fpackage.json",
  ];

  for (const path of NOT_FOUND) {
    it(`GET ${path} answers a 404 page`, async () => {
      const res = await rawRequest(t, null, { method: "GET", url: path });
      expectHTMLPage(res, 404);
      expect(res.body).not.toContain('"devDependencies"');
    });
  }
});

describe("invalid cookie values are treated as no session", () => {
  const VALUES: [string, () => string][] = [
    ["garbage", () => "!!not-a-token!!"],
    ["10 KB long", () => "x".repeat(10 * 1024)],
    ["well-formed but unknown", () => randomBytes(32).toString("base64url")],
    ["badly percent-encoded", () => "%E0%A4%A"],
    ["a quoted string", () => '"abc"'],
    ["empty", () => ""],
  ];

  for (const [label, make] of VALUES) {
    it(`a session cookie that is ${label} opens nothing, and signing in issues a new token (R31, R32)`, async () => {
      const owner = await visitorIn(t, "pending-not-enrolled");
      const name = sessionCookie(owner.client)!.name;
      const planted = make();
      const client = t.client();
      client.cookies.set(name, planted);
      const home = await client.get("/");
      expect({ status: home.statusCode, location: home.headers.location }).toEqual({ status: 303, location: "/login?next=%2F" });
      expectHTMLPage(await client.get("/login"), 200);
      expect(await t.store.sessions.findSession(hashToken(planted), t.clock.ms, 30 * 60_000)).toBeNull();

      const login = await client.post("/login", { username: owner.username!, password: STRONG_PASSWORD });
      expect({ status: login.statusCode, location: login.headers.location }).toEqual({ status: 303, location: "/2fa/setup" });
      const issued = sessionCookie(client)!.value;
      expect(issued).not.toBe(planted);
      expect((await serverSession(t, client))?.level).toBe("pending");
      expect(await t.store.sessions.findSession(hashToken(planted), t.clock.ms, 30 * 60_000)).toBeNull();
    });
  }

  it("POST /2fa with an unknown session token and the right code signs nobody in and counts nothing", async () => {
    const owner = await visitorIn(t, "pending-enrolled");
    const name = sessionCookie(owner.client)!.name;
    const client = t.client();
    client.cookies.set(name, randomBytes(32).toString("base64url"));
    await client.get("/login");
    const res = await client.post("/2fa", { otp: rightCode(owner) });
    expect({ status: res.statusCode, location: res.headers.location }).toEqual({ status: 303, location: "/login?next=%2F" });
    expect(await serverSession(t, client)).toBeNull();
    expect(await secondFactorAttemptsLeft(t, owner.userId!)).toBe(5);
  });

  it("two session cookies in one header open nothing and never cause a 5xx", async () => {
    const v = await visitorIn(t, "full");
    const { name, value } = sessionCookie(v.client)!;
    for (const cookie of [`${name}=garbage; ${name}=${value}`, `${name}=${value}; ${name}=garbage`, `${name}=${value};${name}=`]) {
      const res = await rawRequest(t, null, { method: "GET", url: "/", headers: { cookie } });
      expect([200, 303]).toContain(res.statusCode);
    }
  });

  it("a forged remembered-device cookie skips nothing: the password step still leads to /2fa (R46)", async () => {
    // Learn the device cookie's name from a real "remember this browser" sign-in.
    const owner = await visitorIn(t, "pending-enrolled");
    const before = new Set(owner.client.cookies.keys());
    const remembered = await owner.client.post("/2fa", { otp: rightCode(owner), remember: "1" });
    expect(remembered.statusCode).toBe(303);
    const deviceCookie = [...owner.client.cookies.keys()].find((n) => !before.has(n) && !/session/i.test(n));
    expect(deviceCookie).toBeDefined();

    for (const forged of ["!!garbage!!", "x".repeat(10 * 1024), randomBytes(32).toString("base64url"), "a.b.c.d.e.f.g", "%E0%A4%A"]) {
      const client = t.client();
      client.cookies.set(deviceCookie!, forged);
      await client.get("/login");
      const login = await client.post("/login", { username: owner.username!, password: STRONG_PASSWORD });
      expect({ forged: forged.slice(0, 16), location: login.headers.location }).toEqual({ forged: forged.slice(0, 16), location: "/2fa" });
      expect((await serverSession(t, client))?.level).toBe("pending");
    }
  });
});
