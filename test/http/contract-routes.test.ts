// Every route and outcome row of the public contract (shared/docs/http-interface.md), through the
// real app. Markup and wording are free there, so pages are read by role, class and id only.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, register, type TestApp } from "../support/app.js";
import {
  alertText,
  codeAt,
  decodeQR,
  enroll,
  enrolledUser,
  hiddenNextIn,
  keyURIIn,
  normalizePage,
  pendingClient,
  qrDataURLIn,
  recoveryCodesIn,
  registerOnly,
  requestWithCookie,
  secretFromSetupPage,
  sessionCookieOf,
  sessionCookieSet,
  signInPassword,
  STRONG_PASSWORD,
  userIdOf,
  wrongCodeAt,
} from "./helpers.js";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

describe("GET /", () => {
  it("sends an anonymous visitor to /login?next=%2F with 303", async () => {
    const res = await t.client().get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2F");
  });

  it("sends a password-verified visitor of an unenrolled account to /2fa/setup", async () => {
    const client = t.client();
    await register(client, "alice");
    const res = await client.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
  });

  it("sends a password-verified visitor of an enrolled account to /2fa", async () => {
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.get("/");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
  });

  it("shows 'Signed in as USERNAME' after both factors", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.get("/");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Signed in as alice");
  });
});

describe("GET /register and POST /register", () => {
  it("serves a form with username, password and a hidden _csrf field", async () => {
    const res = await t.client().get("/register");
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<form[^>]+method="post"[^>]+action="\/register"/);
    expect(res.body).toContain('name="username"');
    expect(res.body).toContain('name="password"');
    expect(res.body).toMatch(/type="hidden" name="_csrf" value="[^"]+"/);
  });

  it("creates the account and answers 303 to /2fa/setup with a new session cookie", async () => {
    const client = t.client();
    await client.get("/register");
    const before = sessionCookieOf(client);
    const res = await client.post("/register", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
    const issued = sessionCookieSet(res);
    expect(issued?.value).toBeTruthy();
    expect(issued?.value).not.toBe(before?.value);
    expect(await t.store.users.findUserByUsernameKey("alice")).not.toBeNull();
  });

  it("signs the new account in for the password step only: the setup page opens, / does not", async () => {
    const client = t.client();
    await client.get("/register");
    await client.post("/register", { username: "alice", password: STRONG_PASSWORD });
    expect((await client.get("/2fa/setup")).statusCode).toBe(200);
    expect((await client.get("/")).headers.location).toBe("/2fa/setup");
  });

  it("refuses a taken username with 400 and a message about the username, creating nothing", async () => {
    await registerOnly(t.client(), "alice");
    const aliceBefore = await t.store.users.findUserByUsernameKey("alice");
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "alice", password: "another-long-passphrase-9" });
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toMatch(/username/i);
    expect(await t.store.users.findUserByUsernameKey("alice")).toEqual(aliceBefore);
  });

  it("treats usernames differing only in case as taken", async () => {
    await registerOnly(t.client(), "alice");
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "ALICE", password: "another-long-passphrase-9" });
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toMatch(/username/i);
  });

  it("keeps the first owner's password after a refused registration of the same username", async () => {
    await registerOnly(t.client(), "alice");
    const intruder = t.client();
    await intruder.get("/register");
    await intruder.post("/register", { username: "alice", password: "another-long-passphrase-9" });
    expect((await signInPassword(t.client(), "alice")).statusCode).toBe(303);
    expect((await signInPassword(t.client(), "alice", "another-long-passphrase-9")).statusCode).toBe(401);
  });

  it.each([
    ["shorter than 8 characters (R43)", "Ab3$xyz"],
    ["on the common-password list (R43)", "password123"],
    ["another common password (R43)", "iloveyou1"],
    ["the same as the username", "alice-the-user"],
  ])("refuses a password %s with 400 and a message about the password, creating no account", async (_, password) => {
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "alice-the-user", password });
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toMatch(/password/i);
    expect(await t.store.users.findUserByUsernameKey("alice-the-user")).toBeNull();
  });

  it("accepts a password of exactly 8 characters that is not a common one (R43)", async () => {
    const client = t.client();
    await client.get("/register");
    expect((await client.post("/register", { username: "alice", password: "q7#Lm2$z" })).statusCode).toBe(303);
  });

  it("does not sign in a visitor whose registration was refused", async () => {
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "alice", password: "short" });
    expect(sessionCookieSet(res)).toBeUndefined();
    expect((await client.get("/")).headers.location).toBe("/login?next=%2F");
  });

  it("accepts a long passphrase of 64 characters without truncating it (R43)", async () => {
    const long = "correct horse battery staple ".repeat(3).slice(0, 64);
    const client = t.client();
    await client.get("/register");
    expect((await client.post("/register", { username: "alice", password: long })).statusCode).toBe(303);
    await client.post("/logout", {});
    expect((await signInPassword(t.client(), "alice", long.slice(0, 63))).statusCode).toBe(401);
    expect((await signInPassword(t.client(), "alice", long)).statusCode).toBe(303);
  });

  it("does not echo the submitted password in the refusal page", async () => {
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "alice", password: "tiny7" });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain("tiny7");
  });
});

describe("GET /login and POST /login", () => {
  it("serves a form with username, password, next and a hidden _csrf field", async () => {
    const res = await t.client().get("/login");
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<form[^>]+method="post"[^>]+action="\/login"/);
    for (const field of ["username", "password", "next", "_csrf"]) expect(res.body).toContain(`name="${field}"`);
  });

  it("sends an enrolled account to /2fa with 303", async () => {
    await enrolledUser(t, "alice");
    const res = await signInPassword(t.client(), "alice");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
  });

  it("sends an account without a second factor to /2fa/setup with 303", async () => {
    await registerOnly(t.client(), "alice");
    const res = await signInPassword(t.client(), "alice");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
  });

  it("answers a wrong password with 401 and a clear message", async () => {
    await enrolledUser(t, "alice");
    const res = await signInPassword(t.client(), "alice", "not-the-password-at-all");
    expect(res.statusCode).toBe(401);
    expect(alertText(res.body)).toBeTruthy();
    expect(sessionCookieSet(res)).toBeUndefined();
  });

  it("answers an unknown user with 401 and the same message as a wrong password (R44)", async () => {
    await enrolledUser(t, "alice");
    const wrongPassword = await signInPassword(t.client(), "alice", "not-the-password-at-all");
    const unknownUser = await signInPassword(t.client(), "nobody", "not-the-password-at-all");
    expect(unknownUser.statusCode).toBe(401);
    expect(alertText(unknownUser.body)).toBe(alertText(wrongPassword.body));
  });

  it("answers an unknown user with the same page as a wrong password, apart from the echoed username (R44)", async () => {
    await enrolledUser(t, "alice");
    const wrongPassword = await signInPassword(t.client(), "alice", "not-the-password-at-all");
    const unknownUser = await signInPassword(t.client(), "bobby", "not-the-password-at-all");
    expect(normalizePage(unknownUser.body, ["bobby"])).toBe(normalizePage(wrongPassword.body, ["alice"]));
  });

  it("does not echo the submitted password in the 401 page", async () => {
    await enrolledUser(t, "alice");
    const res = await signInPassword(t.client(), "alice", "not-the-password-at-all");
    expect(res.body).not.toContain("not-the-password-at-all");
  });

  it("answers a form without a password with 400, not 500", async () => {
    const client = t.client();
    await client.get("/login");
    const res = await client.post("/login", { username: "alice" });
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toBeTruthy();
  });
});

describe("GET /2fa/setup and POST /2fa/setup", () => {
  it("shows the QR code as an inline PNG image", async () => {
    const client = t.client();
    await register(client, "alice");
    const res = await client.get("/2fa/setup");
    expect(res.statusCode).toBe(200);
    expect(qrDataURLIn(res.body)).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]+$/);
  });

  it("shows the key as text in groups of four: 32 base32 characters, 160 bits (R4)", async () => {
    const client = t.client();
    await register(client, "alice");
    const res = await client.get("/2fa/setup");
    const shown = /id="secret-key">([^<]+)</.exec(res.body)?.[1]?.trim();
    expect(shown).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
  });

  it("links an otpauth://totp URI with the issuer, the account and the same secret (R28)", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    const uri = new URL(keyURIIn((await client.get("/2fa/setup")).body)!);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/gatehouse-test:alice");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(uri.searchParams.get("issuer")).toBe("gatehouse-test");
  });

  it("issues the Google Authenticator profile: algorithm SHA1, 6 digits, 30 s when the URI names them (R3, R28)", async () => {
    const client = t.client();
    await register(client, "alice");
    const uri = new URL(keyURIIn((await client.get("/2fa/setup")).body)!);
    expect(uri.searchParams.get("algorithm") ?? "SHA1").toBe("SHA1");
    expect(uri.searchParams.get("digits") ?? "6").toBe("6");
    expect(uri.searchParams.get("period") ?? "30").toBe("30");
  });

  it("percent-encodes an '@' in the account name of the otpauth label (R28)", async () => {
    const client = t.client();
    await register(client, "alice@example.com");
    const uri = keyURIIn((await client.get("/2fa/setup")).body)!;
    expect(uri.startsWith("otpauth://totp/gatehouse-test:alice%40example.com?")).toBe(true);
  });

  it("draws the same otpauth URI in the QR code as in the link (R28, R29)", async () => {
    const client = t.client();
    await register(client, "alice");
    const page = (await client.get("/2fa/setup")).body;
    expect(decodeQR(qrDataURLIn(page)!)).toBe(keyURIIn(page));
  });

  it("shows the same key on every reload (R24)", async () => {
    const client = t.client();
    const first = await register(client, "alice");
    t.clock.advanceSeconds(60);
    const again = secretFromSetupPage((await client.get("/2fa/setup")).body);
    expect(again).toBe(first);
  });

  it("shows another session of the account, signed in within 15 minutes, a key of its own", async () => {
    const first = await registerOnly(t.client(), "alice");
    t.clock.advanceSeconds(10 * 60);
    const client = t.client();
    await signInPassword(client, "alice");
    const own = secretFromSetupPage((await client.get("/2fa/setup")).body);
    expect(own).not.toBe(first);
    expect(secretFromSetupPage((await client.get("/2fa/setup")).body)).toBe(own);
  });

  it("shows a new key once the unconfirmed one has expired after 15 minutes (R24)", async () => {
    // A full session of an account whose 2FA was turned off outlives its key (a password-only one does not).
    const client = t.client();
    const { secret } = await enroll(t, client, "alice");
    t.clock.advanceSeconds(30);
    await client.get("/account");
    await client.post("/account/2fa/disable", { password: STRONG_PASSWORD, otp: codeAt(secret, t.clock.ms) });
    const first = secretFromSetupPage((await client.get("/2fa/setup")).body);
    t.clock.advanceSeconds(14 * 60);
    expect(secretFromSetupPage((await client.get("/2fa/setup")).body)).toBe(first);
    t.clock.advanceSeconds(60 + 1);
    expect(secretFromSetupPage((await client.get("/2fa/setup")).body)).not.toBe(first);
  });

  it("shows a different key after POST /2fa/setup/new, answering 303 to /2fa/setup", async () => {
    const client = t.client();
    const first = await register(client, "alice");
    const res = await client.post("/2fa/setup/new", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/setup");
    expect(secretFromSetupPage((await client.get("/2fa/setup")).body)).not.toBe(first);
  });

  it("refuses a code of the replaced key after POST /2fa/setup/new (R24)", async () => {
    const client = t.client();
    const first = await register(client, "alice");
    await client.post("/2fa/setup/new", {});
    await client.get("/2fa/setup");
    const res = await client.post("/2fa/setup", { otp: codeAt(first, t.clock.ms) });
    expect(res.statusCode).toBe(401);
  });

  it("accepts a code of the new key after POST /2fa/setup/new", async () => {
    const client = t.client();
    await register(client, "alice");
    await client.post("/2fa/setup/new", {});
    const second = secretFromSetupPage((await client.get("/2fa/setup")).body);
    const res = await client.post("/2fa/setup", { otp: codeAt(second, t.clock.ms) });
    expect(res.statusCode).toBe(303);
  });

  it("signs in with a code of the confirmed key: the shown key is the one that was activated", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    await client.get("/2fa/recovery-codes");
    await client.post("/logout", {});
    t.clock.advanceSeconds(30);
    const again = t.client();
    await signInPassword(again, "alice");
    expect((await again.post("/2fa", { otp: codeAt(secret, t.clock.ms) })).statusCode).toBe(303);
  });

  it("answers a wrong code with 401, a message and the same key", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    const res = await client.post("/2fa/setup", { otp: wrongCodeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(alertText(res.body)).toBeTruthy();
    expect(secretFromSetupPage(res.body)).toBe(secret);
  });

  it("does not turn on the second factor after a wrong code", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    await client.post("/2fa/setup", { otp: wrongCodeAt(secret, t.clock.ms) });
    expect(await t.store.totp.findFactor(await userIdOf(t, "alice"))).toBeNull();
    expect((await client.get("/")).headers.location).toBe("/2fa/setup");
  });

  it("answers the right code with 303 to /2fa/recovery-codes", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    const res = await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa/recovery-codes");
  });

  it("signs the visitor in fully after the right code", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    expect((await client.get("/")).body).toContain("Signed in as alice");
  });

  it("accepts the code with inner and surrounding spaces", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    const code = codeAt(secret, t.clock.ms);
    const res = await client.post("/2fa/setup", { otp: ` ${code.slice(0, 3)} ${code.slice(3)} ` });
    expect(res.statusCode).toBe(303);
  });

  it("answers 303 away from /2fa/setup once enrolled, without the key (R25)", async () => {
    const client = t.client();
    const { secret } = await enroll(t, client, "alice");
    const res = await client.get("/2fa/setup");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).not.toBe("/2fa/setup");
    expect(res.body).not.toContain(secret);
  });

  it("never shows the confirmed key again on any page (R25)", async () => {
    const client = t.client();
    const { secret } = await enroll(t, client, "alice");
    const grouped = secret.replace(/(.{4})(?=.)/g, "$1 ");
    for (const url of ["/", "/account", "/2fa", "/2fa/setup", "/2fa/recovery-codes", "/login", "/register"]) {
      const res = await client.get(url);
      expect(res.body, url).not.toContain(secret);
      expect(res.body, url).not.toContain(grouped);
      expect(res.body, url).not.toContain("otpauth:");
    }
  });

  it("refuses POST /2fa/setup/new once enrolled and keeps the factor (R25)", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const userId = await userIdOf(t, "alice");
    const factor = await t.store.totp.findFactor(userId);
    const res = await client.post("/2fa/setup/new", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).not.toBe("/2fa/setup");
    expect(await t.store.totp.findFactor(userId)).toEqual(factor);
    expect(await t.store.totp.listPendingEnrollments(userId, t.clock.ms)).toEqual([]);
  });
});

describe("GET /2fa/recovery-codes", () => {
  it("shows at least 8 distinct recovery codes right after enrollment", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    const res = await client.get("/2fa/recovery-codes");
    expect(res.statusCode).toBe(200);
    const codes = recoveryCodesIn(res.body);
    expect(codes.length).toBeGreaterThanOrEqual(8);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("issues codes of at least 40 bits each: 8 or more base32 characters (R18)", async () => {
    const { recoveryCodes } = await enroll(t, t.client(), "alice");
    for (const code of recoveryCodes) expect(code.replace(/[^0-9A-Za-z]/g, "").length).toBeGreaterThanOrEqual(8);
  });

  it("shows the codes only once: a second visit shows none of them", async () => {
    const client = t.client();
    const { recoveryCodes } = await enroll(t, client, "alice");
    const again = await client.get("/2fa/recovery-codes");
    expect(recoveryCodesIn(again.body)).toEqual([]);
    for (const code of recoveryCodes) expect(again.body).not.toContain(code);
  });

  it("links onward to / by default", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    const res = await client.get("/2fa/recovery-codes");
    expect(res.body).toMatch(/<a [^>]*href="\/"/);
  });

  it("links onward to the next path given at /login", async () => {
    await registerOnly(t.client(), "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/account");
    const secret = secretFromSetupPage((await client.get("/2fa/setup")).body);
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    const res = await client.get("/2fa/recovery-codes");
    expect(recoveryCodesIn(res.body).length).toBeGreaterThanOrEqual(8);
    expect(res.body).toMatch(/<a [^>]*href="\/account"/);
  });

  it("shows no codes to a later full sign-in", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(recoveryCodesIn((await client.get("/2fa/recovery-codes")).body)).toEqual([]);
  });

  it("shows the codes to only one of two concurrent requests", async () => {
    const client = t.client();
    const secret = await register(client, "alice");
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    const pages = await Promise.all([client.get("/2fa/recovery-codes"), client.get("/2fa/recovery-codes")]);
    expect(pages.filter((page) => recoveryCodesIn(page.body).length > 0)).toHaveLength(1);
  });

  it("shows no codes to an anonymous visitor", async () => {
    const res = await t.client().get("/2fa/recovery-codes");
    expect(res.statusCode).toBe(303);
    expect(recoveryCodesIn(res.body)).toEqual([]);
  });
});

describe("GET /2fa and POST /2fa", () => {
  it("serves the challenge form with otp and _csrf to a pending sign-in", async () => {
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.get("/2fa");
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<form[^>]+method="post"[^>]+action="\/2fa"/);
    expect(res.body).toContain('name="otp"');
    expect(res.body).toContain('name="_csrf"');
  });

  it("answers the right code with 303 to / by default", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/");
    expect((await client.get("/")).body).toContain("Signed in as alice");
  });

  it("answers the right code with 303 to the next path given at /login", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/account");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.headers.location).toBe("/account");
  });

  it("answers a wrong code with 401 and a message, leaving the sign-in pending", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(401);
    expect(alertText(res.body)).toBeTruthy();
    expect((await client.get("/")).headers.location).toBe("/2fa");
  });

  it("accepts the code typed as '123 456' with an inner space", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const code = codeAt(secret, t.clock.ms);
    const res = await client.post("/2fa", { otp: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(res.statusCode).toBe(303);
  });

  it("accepts the code typed as '12 34 56' with several inner spaces", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const code = codeAt(secret, t.clock.ms);
    const res = await client.post("/2fa", { otp: `${code.slice(0, 2)} ${code.slice(2, 4)} ${code.slice(4)}` });
    expect(res.statusCode).toBe(303);
  });

  it("accepts the code with surrounding spaces", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa", { otp: `  ${codeAt(secret, t.clock.ms)} ` });
    expect(res.statusCode).toBe(303);
  });

  it.each([
    ["letters", "abcdef"],
    ["five digits", "12345"],
    ["seven digits", "1234567"],
    ["non-ASCII digits (R8)", "١٢٣٤٥٦"],
    ["an empty value", ""],
  ])("answers an otp of %s with 401, not 500", async (_, otp) => {
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa", { otp });
    expect(res.statusCode).toBe(401);
  });

  it("answers a form without the otp field with 400", async () => {
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa", {});
    expect(res.statusCode).toBe(400);
  });
});

describe("POST /2fa/recovery", () => {
  it("answers a right recovery code with 303 to / and signs in", async () => {
    const { recoveryCodes } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/");
    expect((await client.get("/")).body).toContain("Signed in as alice");
  });

  it("answers a right recovery code with 303 to the next path given at /login", async () => {
    const { recoveryCodes } = await enrolledUser(t, "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/account");
    const res = await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    expect(res.headers.location).toBe("/account");
  });

  it("uses the code up: the same code answers 401 on the next sign-in (R20)", async () => {
    const { recoveryCodes } = await enrolledUser(t, "alice");
    const first = await pendingClient(t, "alice");
    await first.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    const second = await pendingClient(t, "alice");
    const res = await second.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    expect(res.statusCode).toBe(401);
    expect((await second.get("/")).headers.location).toBe("/2fa");
  });

  it("leaves the other recovery codes usable", async () => {
    const { recoveryCodes } = await enrolledUser(t, "alice");
    await (await pendingClient(t, "alice")).post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    const res = await (await pendingClient(t, "alice")).post("/2fa/recovery", { recovery_code: recoveryCodes[1]! });
    expect(res.statusCode).toBe(303);
  });

  it("answers a wrong recovery code with 401 and a message", async () => {
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa/recovery", { recovery_code: "ZZZZZ-ZZZZ0" });
    expect(res.statusCode).toBe(401);
    expect(alertText(res.body)).toBeTruthy();
  });

  it("tells the user how many recovery codes are left right after a recovery-code sign-in (R23)", async () => {
    const { recoveryCodes } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    const landing = await client.get(res.headers.location as string);
    expect(normalizePage(landing.body)).toMatch(new RegExp(`\\b${recoveryCodes.length - 1}\\b`));
  });

  it("answers a recovery code of another account with 401 (R56)", async () => {
    await enrolledUser(t, "alice");
    const bob = await enrolledUser(t, "bob");
    const client = await pendingClient(t, "alice");
    const res = await client.post("/2fa/recovery", { recovery_code: bob.recoveryCodes[0]! });
    expect(res.statusCode).toBe(401);
  });

  it("shows one fewer recovery code left on the account page after using one", async () => {
    const { recoveryCodes } = await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    await client.post("/2fa/recovery", { recovery_code: recoveryCodes[0]! });
    const account = await client.get("/account");
    expect(account.body).toMatch(new RegExp(`id="recovery-codes-left">${recoveryCodes.length - 1}<`));
  });
});

describe("POST /logout", () => {
  it("answers 303 to /login", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.post("/logout", {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login");
  });

  it("expires the session cookie in the browser (R36)", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.post("/logout", {});
    const cleared = sessionCookieSet(res);
    expect(cleared).toBeDefined();
    const expires = cleared!.attributes.get("expires");
    const expired = cleared!.attributes.get("max-age") === "0" || (typeof expires === "string" && Date.parse(expires) <= Date.now());
    expect(expired).toBe(true);
  });

  it("makes the old cookie value open nothing when replayed (R36)", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const old = sessionCookieOf(client)!;
    await client.post("/logout", {});
    const res = await requestWithCookie(t, "/", old);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2F");
  });

  it("makes the old cookie value of a pending sign-in open no challenge when replayed", async () => {
    await enrolledUser(t, "alice");
    const client = await pendingClient(t, "alice");
    const old = sessionCookieOf(client)!;
    await client.post("/logout", {});
    const res = await requestWithCookie(t, "/2fa", old);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
  });
});

describe("GET /account", () => {
  it("sends an anonymous visitor to /login", async () => {
    const res = await t.client().get("/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
  });

  it("shows a fully signed-in user that two-factor sign-in is on", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.get("/account");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("alice");
  });
});

describe("GET /healthz", () => {
  it('answers 200 with JSON {"status":"ok"}, and the database reported on its own', async () => {
    const res = await t.client().get("/healthz");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ status: "ok" });
    expect(res.json()).toEqual({ status: "ok", database: "ok" });
  });
});

describe("GET /healthz when the store is gone", () => {
  it("answers 503", async () => {
    await t.store.close();
    const res = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: "unavailable", database: "unavailable" });
  });
});

describe("next (R45)", () => {
  /** Signs an enrolled alice in with `next` on /login; returns the page's hidden next and the final Location. */
  async function signInWith(next: string, secret: string) {
    const client = t.client();
    const page = await client.get(`/login?next=${encodeURIComponent(next)}`);
    const hidden = hiddenNextIn(page.body);
    const login = await client.post("/login", { username: "alice", password: STRONG_PASSWORD, next });
    await client.get(login.headers.location as string);
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    t.clock.advanceSeconds(30);
    return { hidden, location: res.headers.location, status: res.statusCode };
  }

  it.each(["/account", "/x?y=1", "/a/b/c"])(
    "honours the same-origin path %s from /login through /2fa",
    async (next) => {
      const { secret } = await enrolledUser(t, "alice");
      const result = await signInWith(next, secret);
      expect(result.hidden).toBe(next);
      expect(result.status).toBe(303);
      expect(result.location).toBe(next);
    },
  );

  it.each([
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https://evil.com",
    "http://localhost:80/account",
    "/%2F%2Fevil.com",
    "/%2f%2fevil.com",
    "/%5Cevil.com",
    "/%09/evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "javascript:alert(1)",
    "evil.com",
    "",
    " /account",
  ])("falls back to / for %j", async (next) => {
    const { secret } = await enrolledUser(t, "alice");
    const result = await signInWith(next, secret);
    expect(result.status).toBe(303);
    expect(result.location).toBe("/");
  });

  it("falls back to / for a hostile next posted straight to /login, bypassing the page", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await client.get("/login");
    await client.post("/login", { username: "alice", password: STRONG_PASSWORD, next: "//evil.com" });
    await client.get("/2fa");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.headers.location).toBe("/");
  });

  it("does not carry a hostile next into the login page's hidden field", async () => {
    const page = await t.client().get(`/login?next=${encodeURIComponent("//evil.com")}`);
    expect(hiddenNextIn(page.body)).toBe("/");
    expect(page.body).not.toContain("evil.com");
  });

  it("sends a signed-in visitor of /login?next=//evil.com to /, not off-site", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.get(`/login?next=${encodeURIComponent("//evil.com")}`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/");
  });

  it("sends a signed-in visitor of /login?next=/account to /account", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.get("/login?next=%2Faccount");
    expect(res.headers.location).toBe("/account");
  });

  it("never answers 500 to a next with a character outside Latin-1 (/€): 303 to it percent-encoded, or to /", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/€");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(["/%E2%82%AC", "/"]).toContain(res.headers.location);
  });

  it("signs the visitor in after a next with a character outside Latin-1 (/€)", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/€");
    await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect((await client.get("/")).body).toContain("Signed in as alice");
  });

  it.each(["/%E2%82%AC", "/%E2%80%A8x"])("sends a signed-in visitor of /login?next=%s on with 303, never 500", async (next) => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.get(`/login?next=${next}`);
    expect(res.statusCode).toBe(303);
    expect([next, "/"]).toContain(res.headers.location);
  });

  it("carries next through a wrong code at /2fa", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/account");
    await client.post("/2fa", { otp: wrongCodeAt(secret, t.clock.ms) });
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.headers.location).toBe("/account");
  });

  it("carries next through a wrong password at /login", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await client.get("/login?next=%2Faccount");
    const refused = await client.post("/login", { username: "alice", password: "wrong-password-here", next: "/account" });
    expect(hiddenNextIn(refused.body)).toBe("/account");
    await client.post("/login", { username: "alice", password: STRONG_PASSWORD, next: "/account" });
    await client.get("/2fa");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.headers.location).toBe("/account");
  });
});

describe("malformed requests are never a 500", () => {
  it("answers a repeated username field with 400", async () => {
    const client = t.client();
    await client.get("/register");
    const res = await client.request({
      method: "POST",
      url: "/register",
      payload: `username=a&username=b&password=${STRONG_PASSWORD}&_csrf=${client.csrf}`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:80" },
    });
    expect(res.statusCode).toBe(400);
    expect(await t.store.users.findUserByUsernameKey("a")).toBeNull();
  });

  it("answers a JSON body with a 4xx", async () => {
    const client = t.client();
    await client.get("/login");
    const res = await client.request({
      method: "POST",
      url: "/login",
      payload: JSON.stringify({ username: "alice", password: STRONG_PASSWORD, _csrf: client.csrf }),
      headers: { "content-type": "application/json", origin: "http://localhost:80" },
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });

  it("answers a body with a broken percent-encoding with a 4xx", async () => {
    const client = t.client();
    await client.get("/login");
    const res = await client.request({
      method: "POST",
      url: "/login",
      payload: `username=%zz&password=%E0%A4%A&_csrf=${client.csrf}`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:80" },
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });

  it("answers a username with a NUL byte with 400", async () => {
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "ali\u0000ce", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(400);
  });

  it("answers a username with ':' (it would break the otpauth label, R28) with 400", async () => {
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: "evil:issuer", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toMatch(/username/i);
  });

  it("answers an unknown route with 404", async () => {
    expect((await t.client().get("/no-such-page")).statusCode).toBe(404);
  });

  it("answers a 2 MB form with a 4xx (400 or 413), not 500", async () => {
    const client = t.client();
    await client.get("/login");
    const res = await client.post("/login", { username: "alice", password: "x".repeat(2_000_000) });
    expect([400, 413]).toContain(res.statusCode);
  });
});
