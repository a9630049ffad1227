// Regression suite: reflected input. Values a visitor sends come back in pages and headers:
//   - script injection through the echoed username or the `next` hidden field (reflected XSS)
//   - header injection / response splitting through `next` in a Location header
//   - characters a header cannot carry (non-Latin-1) turning a redirect into a 500
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.js";
import {
  codeAt,
  enroll,
  enrolledUser,
  hiddenNextIn,
  recoveryCodesIn,
  registerOnly,
  secretFromSetupPage,
  signInPassword,
  STRONG_PASSWORD,
} from "../http/helpers.js";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

const PAYLOAD = '"><img src=x onerror=alert(1)>';
/** Without whitespace, so it passes as a path and reaches the pages that link to `next`. */
const PATH_PAYLOAD = '"><svg/onload=alert(1)>';

describe("reflected XSS", () => {
  it("escapes a hostile username echoed in the 401 login page", async () => {
    const res = await signInPassword(t.client(), PAYLOAD, "not-the-password-at-all");
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain("<img src=x");
    expect(res.body).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  });

  it("escapes a hostile username echoed in the 400 registration page", async () => {
    const client = t.client();
    await client.get("/register");
    const res = await client.post("/register", { username: PAYLOAD, password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain("<img src=x");
  });

  it("escapes a next path with markup in the login page's hidden field", async () => {
    const next = `/x${PATH_PAYLOAD}`;
    const res = await t.client().get(`/login?next=${encodeURIComponent(next)}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain("<svg/onload");
    expect(["/", next]).toContain(hiddenNextIn(res.body));
  });

  it("escapes a next path with markup in the recovery-codes page's onward link", async () => {
    await registerOnly(t.client(), "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, `/x${PATH_PAYLOAD}`);
    const secret = secretFromSetupPage((await client.get("/2fa/setup")).body);
    await client.post("/2fa/setup", { otp: codeAt(secret, t.clock.ms) });
    const res = await client.get("/2fa/recovery-codes");
    expect(recoveryCodesIn(res.body).length).toBeGreaterThan(0);
    expect(res.body).not.toContain("<svg/onload");
  });
});

describe("header injection through next", () => {
  it("never puts CR or LF from next into the Location header", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/x\r\nSet-Cookie: injected=1");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/");
    expect(String(res.headers["set-cookie"] ?? "")).not.toContain("injected");
  });

  it("never puts an encoded CR LF from next into the Location header decoded", async () => {
    const client = t.client();
    await enroll(t, client, "alice");
    const res = await client.get("/login?next=%2Fx%250d%250aSet-Cookie%3A%20injected%3D1");
    expect(res.statusCode).toBe(303);
    expect(String(res.headers.location)).not.toMatch(/[\r\n]/);
    expect(String(res.headers["set-cookie"] ?? "")).not.toContain("injected");
  });

  it("answers a next with a character no header can carry (U+2028) with a redirect, not 500", async () => {
    const { secret } = await enrolledUser(t, "alice");
    const client = t.client();
    await signInPassword(client, "alice", STRONG_PASSWORD, "/a\u2028b");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(["/", "/a%E2%80%A8b"]).toContain(res.headers.location);
  });
});
