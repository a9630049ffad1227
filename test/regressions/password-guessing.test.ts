// Regression suite: online password guessing at POST /login (contract "Throttling"; R16, R17).
//   - hammering one account from one address (credential guessing)
//   - spraying many usernames from one address (password spraying)
//   - locking the owner out by failing on purpose from elsewhere (lockout DoS, R17)
//   - escaping the per-username limit by changing the username's case
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp, type TestClient } from "../support/app.js";
import { enrolledUser, getFrom, normalizePage, postFrom, retryAfterSeconds, STRONG_PASSWORD } from "../http/helpers.js";

const WINDOW_SECONDS = 15 * 60;
const ATTACKER = "203.0.113.7";
const OWNER = "198.51.100.20";

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

/** A browser at the login page, seen from `address`. */
async function browserAt(address: string): Promise<TestClient> {
  const client = t.client();
  await getFrom(client, address, "/login");
  return client;
}

async function failPasswords(client: TestClient, address: string, username: string, count: number) {
  for (let i = 0; i < count; i++) {
    const res = await postFrom(client, address, "/login", { username, password: `wrong-password-${i}` });
    expect(res.statusCode, `failure #${i + 1} for ${username}`).toBe(401);
  }
}

describe("per username and address: 10 failures in 15 minutes", () => {
  it("answers the 11th attempt with 429 and a Retry-After of at most 15 minutes, even with the right password", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    const res = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(0);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(WINDOW_SECONDS);
  });

  it("starts no session for the right password while throttled", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect((await getFrom(client, ATTACKER, "/2fa")).headers.location).toMatch(/^\/login/);
  });

  it("answers a throttled right password exactly like a throttled wrong one", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    const right = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    const wrong = await postFrom(client, ATTACKER, "/login", { username: "alice", password: "still-wrong-password" });
    expect(wrong.statusCode).toBe(right.statusCode);
    expect(wrong.headers["retry-after"]).toBe(right.headers["retry-after"]);
    expect(normalizePage(wrong.body)).toBe(normalizePage(right.body));
  });

  it("lets another username in from the same address", async () => {
    await enrolledUser(t, "alice");
    await enrolledUser(t, "bob");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    const res = await postFrom(client, ATTACKER, "/login", { username: "bob", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(303);
  });

  it("lets the owner in from another address (R17: no lockout of the account itself)", async () => {
    await enrolledUser(t, "alice");
    await failPasswords(await browserAt(ATTACKER), ATTACKER, "alice", 10);
    const owner = await browserAt(OWNER);
    const res = await postFrom(owner, OWNER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/2fa");
  });

  it("does not let a change of case in the username escape the limit", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    const res = await postFrom(client, ATTACKER, "/login", { username: "ALICE", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(429);
  });

  it("lifts after the 15-minute window has passed", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    const throttled = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    t.clock.advanceSeconds(retryAfterSeconds(throttled) + 1);
    const res = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(303);
  });

  it("lifts at the latest 15 minutes after the 10th failure", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    t.clock.advanceSeconds(WINDOW_SECONDS + 1);
    const res = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(303);
  });

  it("does not throttle 10 failures spread over more than 15 minutes", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 5);
    t.clock.advanceSeconds(WINDOW_SECONDS + 60);
    await failPasswords(client, ATTACKER, "alice", 5);
    const res = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(303);
  });

  it("counts any 10 failures within 15 minutes, also across a window boundary: 1 early, 9 near its end and 1 just after", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 1);
    t.clock.advanceSeconds(WINDOW_SECONDS - 2);
    await failPasswords(client, ATTACKER, "alice", 9);
    t.clock.advanceSeconds(3);
    // The first failure has left the last 15 minutes, the other 9 have not: one more makes 10.
    await failPasswords(client, ATTACKER, "alice", 1);
    const res = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(429);
  });

  it("does not count a successful sign-in as a failure: 9 failures, a success, then 1 failure are all checked", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 9);
    expect((await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD })).statusCode).toBe(303);
    await getFrom(client, ATTACKER, "/2fa");
    const res = await postFrom(client, ATTACKER, "/login", { username: "alice", password: "wrong-password-10" });
    expect(res.statusCode).toBe(401);
  });

  it("throttles an unknown username like a known one (no enumeration through the limit, R44)", async () => {
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "ghost", 10);
    const res = await postFrom(client, ATTACKER, "/login", { username: "ghost", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(429);
  });
});

describe("per address: 100 failures across usernames in 15 minutes", () => {
  /** One failure each for 100 different (unknown) usernames: a password spray. */
  async function spray(client: TestClient) {
    for (let i = 0; i < 100; i++) {
      const res = await postFrom(client, ATTACKER, "/login", { username: `sprayed${i}`, password: "Winter2026!" });
      expect(res.statusCode, `spray #${i + 1}`).toBe(401);
    }
  }

  it("answers 429 with Retry-After to any username after 100 failures from one address", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await spray(client);
    const res = await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD });
    expect(res.statusCode).toBe(429);
    expect(retryAfterSeconds(res)).toBeGreaterThan(0);
    expect(retryAfterSeconds(res)).toBeLessThanOrEqual(WINDOW_SECONDS);
  });

  it("still lets the owner in from another address after a spray", async () => {
    await enrolledUser(t, "alice");
    await spray(await browserAt(ATTACKER));
    const owner = await browserAt(OWNER);
    expect((await postFrom(owner, OWNER, "/login", { username: "alice", password: STRONG_PASSWORD })).statusCode).toBe(303);
  });

  it("lifts after 15 minutes", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await spray(client);
    t.clock.advanceSeconds(WINDOW_SECONDS + 1);
    expect((await postFrom(client, ATTACKER, "/login", { username: "alice", password: STRONG_PASSWORD })).statusCode).toBe(303);
  });

  it("ignores X-Forwarded-For: a spoofed header does not give a fresh address (R48, R50)", async () => {
    await enrolledUser(t, "alice");
    const client = await browserAt(ATTACKER);
    await failPasswords(client, ATTACKER, "alice", 10);
    const res = await client.request({
      method: "POST",
      url: "/login",
      remoteAddress: ATTACKER,
      payload: new URLSearchParams({ username: "alice", password: STRONG_PASSWORD, _csrf: client.csrf! }).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://localhost:80",
        "x-forwarded-for": "192.0.2.99",
      },
    });
    expect(res.statusCode).toBe(429);
  });
});

describe("registration flood: 1000 self-registrations per address in 15 minutes", () => {
  /** Registers `username` from `address` in a fresh browser; the answer to the form POST. */
  async function registerFrom(address: string, username: string) {
    const client = t.client();
    await getFrom(client, address, "/register");
    return postFrom(client, address, "/register", { username, password: STRONG_PASSWORD });
  }

  it("answers the 1001st registration from one address with 429 (nothing created), others register, and the window passes", async () => {
    for (let i = 0; i < 1000; i++) {
      expect((await registerFrom(ATTACKER, `flood_${i}`)).statusCode, `registration #${i + 1}`).toBe(303);
    }
    const refused = await registerFrom(ATTACKER, "flood_1000");
    expect(refused.statusCode).toBe(429);
    expect(retryAfterSeconds(refused)).toBeGreaterThan(0);
    expect(retryAfterSeconds(refused)).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(await t.store.users.findUserByUsernameKey("flood_1000")).toBeNull();

    expect((await registerFrom(OWNER, "someone_else")).statusCode).toBe(303);
    t.clock.advanceSeconds(WINDOW_SECONDS + 1);
    expect((await registerFrom(ATTACKER, "flood_1000")).statusCode).toBe(303);
  });
});
