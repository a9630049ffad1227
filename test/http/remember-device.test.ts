// Contract, POST /2fa `remember`: later sign-ins of the same user in the same browser skip the
// code for 30 days (the password is still asked); other users of that browser are challenged.
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import {
  buildTestApp,
  codeAt,
  registerAndEnroll,
  signInPassword,
  STRONG_PASSWORD,
  type TestApp,
  type TestClient,
} from "../support/app.js";

let t: TestApp;
afterEach(() => t?.close());

/** Password + code with remember=1, then sign out: the browser now holds a device cookie. */
async function rememberAndSignOut(client: TestClient, username: string, secret: string) {
  t.clock.advanceSeconds(30);
  await signInPassword(client, username);
  const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms), remember: "1" });
  expect(res.statusCode).toBe(303);
  await client.get("/");
  await client.post("/logout", {});
  return res;
}

describe("remembered browsers (R46-R48)", () => {
  it("sets an HttpOnly, SameSite=Lax device cookie that lasts 30 days", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    const res = await rememberAndSignOut(client, "alice", secret);
    const device = (res.cookies as { name: string; httpOnly?: boolean; sameSite?: string; maxAge?: number }[]).find(
      (c) => c.name === "gatehouse_device",
    );
    expect(device).toBeDefined();
    expect(device?.httpOnly).toBe(true);
    expect(device?.sameSite).toBe("Lax");
    expect(device?.maxAge).toBe(30 * 24 * 60 * 60);
  });

  it("skips only the code for the same user: the password step leads straight to next with a new session", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    await rememberAndSignOut(client, "alice", secret);

    await client.get("/login?next=%2Faccount");
    const before = client.cookies.get("gatehouse_session");
    const res = await client.post("/login", { username: "alice", password: STRONG_PASSWORD, next: "/account" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(client.cookies.get("gatehouse_session")).not.toBe(before);
    expect((await client.get("/")).body).toContain("Signed in as alice");
  });

  it("still asks for the password: a wrong one is refused with 401 in a remembered browser", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    await rememberAndSignOut(client, "alice", secret);
    await client.get("/login");
    const res = await client.post("/login", { username: "alice", password: "not-the-password-at-all" });
    expect(res.statusCode).toBe(401);
    expect((await client.get("/")).statusCode).toBe(303);
  });

  it("challenges another user of the same browser", async () => {
    t = await buildTestApp();
    const client = t.client();
    const aliceSecret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    await registerAndEnroll(t, client, "bob");
    await client.post("/logout", {});
    await rememberAndSignOut(client, "alice", aliceSecret);

    const res = await signInPassword(client, "bob");
    expect(res.headers.location).toBe("/2fa");
    expect((await client.get("/")).headers.location).toBe("/2fa");
  });

  it("keeps two users remembered in one browser", async () => {
    t = await buildTestApp();
    const client = t.client();
    const aliceSecret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    const bobSecret = await registerAndEnroll(t, client, "bob");
    await client.post("/logout", {});
    await rememberAndSignOut(client, "alice", aliceSecret);
    await rememberAndSignOut(client, "bob", bobSecret);

    expect((await signInPassword(client, "alice")).headers.location).toBe("/");
    await client.post("/logout", {});
    expect((await signInPassword(client, "bob")).headers.location).toBe("/");
  });

  it("does not skip the code without remember=1", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    t.clock.advanceSeconds(30);
    await signInPassword(client, "alice");
    await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    await client.get("/");
    await client.post("/logout", {});
    expect((await signInPassword(client, "alice")).headers.location).toBe("/2fa");
  });

  it("forgets the browser after 30 days", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    await rememberAndSignOut(client, "alice", secret);
    t.clock.advanceSeconds(30 * 24 * 60 * 60 + 1);
    expect((await signInPassword(client, "alice")).headers.location).toBe("/2fa");
  });

  it("binds the token to its user: alice's device cookie in bob's browser does not skip bob's code", async () => {
    t = await buildTestApp();
    const aliceBrowser = t.client();
    const aliceSecret = await registerAndEnroll(t, aliceBrowser, "alice");
    await aliceBrowser.post("/logout", {});
    await rememberAndSignOut(aliceBrowser, "alice", aliceSecret);

    const bobBrowser = t.client();
    await registerAndEnroll(t, bobBrowser, "bob");
    await bobBrowser.post("/logout", {});
    bobBrowser.cookies.set("gatehouse_device", aliceBrowser.cookies.get("gatehouse_device") ?? "");
    expect((await signInPassword(bobBrowser, "bob")).headers.location).toBe("/2fa");
  });

  it("ignores a forged device cookie of the right shape", async () => {
    t = await buildTestApp();
    const client = t.client();
    await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    client.cookies.set("gatehouse_device", "A".repeat(43));
    expect((await signInPassword(client, "alice")).headers.location).toBe("/2fa");
  });

  it("answers 400 to a remember value other than 1 and changes nothing", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    t.clock.advanceSeconds(30);
    await signInPassword(client, "alice");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms), remember: "yes" });
    expect(res.statusCode).toBe(400);
    expect(client.cookies.has("gatehouse_device")).toBe(false);
    expect((await client.get("/")).headers.location).toBe("/2fa");
  });
});

describe("GATEHOUSE_REMEMBER_DAYS on the challenge page (review F10)", () => {
  /** The challenge page of an enrolled user, as the app built with this setting shows it. */
  async function challengeWith(rememberDays: string) {
    t = await buildTestApp({ rememberDeviceMs: loadConfig({ GATEHOUSE_REMEMBER_DAYS: rememberDays }).rememberDeviceMs });
    const client = t.client();
    await registerAndEnroll(t, client, "alice");
    await client.post("/logout", {});
    await signInPassword(client, "alice");
    return client;
  }

  it("GATEHOUSE_REMEMBER_DAYS=7: the checkbox promises 7 days, also when a wrong code shows the page again", async () => {
    const client = await challengeWith("7");
    const page = await client.get("/2fa");
    expect(page.body).toContain("Don't ask for a code on this browser for 7 days");
    expect(page.body).not.toContain("30 days");
    const wrong = await client.post("/2fa", { otp: "000000", remember: "1" });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain("for 7 days");
  });

  it("GATEHOUSE_REMEMBER_DAYS=1 says 1 day", async () => {
    const client = await challengeWith("1");
    expect((await client.get("/2fa")).body).toContain("Don't ask for a code on this browser for 1 day<");
  });
});
