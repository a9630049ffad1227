// Regression suite: password-throttle key confusion with IPv6 addresses (review F7, S6).
//   - an attacker at 2001:db8::5 signing in as "1:bob" used up the bucket of the victim at
//     2001:db8::5:1 signing in as "bob": both keys read `login:2001:db8::5:1:bob`
//   - one IPv6 customer holds a whole /64: counting each /128 as an address let one /64 make
//     2^64 times the per-address limit of attempts
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp, type TestClient } from "../support/app.js";
import { enrolledUser, getFrom, postFrom, STRONG_PASSWORD } from "../http/helpers.js";

const PER_ACCOUNT_AND_ADDRESS = 10;
const PER_ADDRESS = 100;

let t: TestApp;
let client: TestClient;
beforeEach(async () => {
  t = await buildTestApp();
  client = t.client();
  await getFrom(client, "2001:db8::1", "/login");
});
afterEach(() => t.close());

const attempt = (address: string, username: string, password = "wrong-password-123") =>
  postFrom(client, address, "/login", { username, password });

describe("address and username never spell another pair's throttle key", () => {
  it("failures of (2001:db8::5, '1:bob') leave (2001:db8::5:1, 'bob') its own bucket", async () => {
    await enrolledUser(t, "bob");
    for (let i = 0; i < PER_ACCOUNT_AND_ADDRESS; i++) expect((await attempt("2001:db8::5", "1:bob")).statusCode).toBe(401);
    expect((await attempt("2001:db8::5", "1:bob")).statusCode).toBe(429);

    const victim = await attempt("2001:db8::5:1", "bob", STRONG_PASSWORD);
    expect(victim.statusCode).toBe(303);
    expect(victim.headers.location).toBe("/2fa");
  });
});

describe("per-address limits count an IPv6 /64 as one address", () => {
  it("100 failures spread over one /64 throttle every address in it, and no other /64", async () => {
    await enrolledUser(t, "carol");
    // A fresh username per attempt: only the per-address limit can bite.
    for (let i = 0; i < PER_ADDRESS; i++) {
      const address = `2001:db8:0:7::${(i + 1).toString(16)}`;
      expect((await attempt(address, `user${i}`)).statusCode, `failure #${i + 1}`).toBe(401);
    }
    expect((await attempt("2001:db8:0:7:ffff:ffff:ffff:ffff", "carol", STRONG_PASSWORD)).statusCode).toBe(429);
    expect((await attempt("2001:db8:0:8::1", "carol", STRONG_PASSWORD)).statusCode).toBe(303);
  });

  it("counts an IPv4-mapped IPv6 peer as its IPv4 address", async () => {
    for (let i = 0; i < PER_ACCOUNT_AND_ADDRESS; i++) expect((await attempt("::ffff:203.0.113.9", "dave")).statusCode).toBe(401);
    expect((await attempt("203.0.113.9", "dave")).statusCode).toBe(429);
    expect((await attempt("203.0.113.10", "dave")).statusCode).toBe(401);
  });
});
