import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, codeAt, registerAndEnroll, signInPassword, type TestApp } from "../support/app.js";

describe("sign-in flow through the real app", () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it("registers, enrolls, signs out and signs in again with a fresh code", async () => {
    t = await buildTestApp();
    const client = t.client();
    const secret = await registerAndEnroll(t, client, "alice");
    expect((await client.get("/")).body).toContain("Signed in as alice");
    expect((await client.post("/logout", {})).headers.location).toBe("/login");
    expect((await client.get("/")).statusCode).toBe(303);
    t.clock.advanceSeconds(30);
    const login = await signInPassword(client, "alice");
    expect(login.headers.location).toBe("/2fa");
    const res = await client.post("/2fa", { otp: codeAt(secret, t.clock.ms) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/");
    expect((await client.get("/")).body).toContain("Signed in as alice");
  });
});
