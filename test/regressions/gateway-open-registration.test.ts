// Regression suite, security review F2: on a gateway with default settings, a stranger
// registered `admin` at /.gatehouse/register, enrolled their own authenticator and reached the
// upstream app as `X-Gatehouse-User: admin`. Contract: docs/http-interface.md, Who may register.
//   - a gateway's default is `invite`: no sign-up without an invitation, nothing reaches the app
//   - `closed`: 404 for GET and POST /register, no link on /login, no user
//   - invitations: one account per token (also for two concurrent POSTs), the fixed name
//     enforced, a wrong, used, expired or revoked token answers like `closed`, a refused
//     registration (taken name, weak password) does not use the invitation up
//   - the token is stored only as its SHA-256 and never logged
import { createHash } from "node:crypto";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI_ORIGIN } from "../../src/cli/context.js";
import { loadConfig } from "../../src/config.js";
import type { RegistrationMode } from "../../src/core/invitations.js";
import { buildTestApp, STRONG_PASSWORD, type TestApp, type TestClient } from "../support/app.js";
import { PREFIX } from "../support/gateway.js";
import { startUpstream, type Upstream } from "../support/upstream.js";

const DAY_S = 86_400;

let upstream: Upstream;
const apps: TestApp[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.close()));
  upstream.seen.length = 0;
});

/** The app as `loadConfig` configures it from `env`, in front of the test upstream. */
async function gatewayFrom(env: Record<string, string>, log?: string[]): Promise<TestApp> {
  const config = loadConfig({ GATEHOUSE_UPSTREAM: upstream.url, ...env });
  const t = await buildTestApp({
    gateway: config.gateway,
    registration: config.registration,
    ...(log ? { logger: pino({ level: "trace" }, { write: (line: string) => log.push(line) }) } : {}),
  });
  apps.push(t);
  return t;
}

async function appWith(registration: RegistrationMode): Promise<TestApp> {
  const t = await buildTestApp({ registration });
  apps.push(t);
  return t;
}

async function userCount(t: TestApp): Promise<number> {
  return (await t.store.users.listUsers()).length;
}

/** GET of the form (which loads the CSRF token), then the POST; returns both answers. */
async function signUp(client: TestClient, url: string, fields: Record<string, string>, postURL = url.split("?")[0]!) {
  const form = await client.get(url);
  const posted = await client.post(postURL, { password: STRONG_PASSWORD, ...fields });
  return { form, posted };
}

function inviteTokenOf(body: string): string | undefined {
  return /name="invite" value="([^"]+)"/.exec(body)?.[1];
}

function expectClosedPage(res: { statusCode: number; body: string }) {
  expect(res.statusCode).toBe(404);
  expect(res.body).toContain("Registration is closed");
}

describe("the attack on a default gateway", () => {
  it("the gateway's default is invite; the plain app's stays open", () => {
    expect(loadConfig({ GATEHOUSE_UPSTREAM: upstream.url }).registration).toBe("invite");
    expect(loadConfig({ GATEHOUSE_FORWARD_AUTH: "true" }).registration).toBe("invite");
    expect(loadConfig({}).registration).toBe("open");
  });

  it("a stranger's sign-up as admin answers 404, creates no user, and nothing reaches the upstream", async () => {
    const t = await gatewayFrom({});
    const stranger = t.client();
    const { form, posted } = await signUp(stranger, `${PREFIX}/register`, { username: "admin" });
    expectClosedPage(form);
    // The CSRF token of the login page: the POST is refused for registration, not for CSRF.
    await stranger.get(`${PREFIX}/login`);
    expectClosedPage(await stranger.post(`${PREFIX}/register`, { username: "admin", password: STRONG_PASSWORD }));
    expectClosedPage(posted);
    expect(await userCount(t)).toBe(0);
    const probe = await stranger.request({ method: "GET", url: "/internal/admin-panel", headers: { accept: "text/html" } });
    expect(probe.statusCode).toBe(303);
    expect(upstream.seen).toHaveLength(0);
  });

  it("the gateway's login page offers no sign-up link, only the way to an invitation", async () => {
    const t = await gatewayFrom({});
    const login = await t.client().get(`${PREFIX}/login`);
    expect(login.body).not.toContain("/register");
    expect(login.body).toContain("Ask your administrator for an invitation");
  });

  it("GATEHOUSE_REGISTRATION=open on a gateway still registers (and warns at startup, see test/config)", async () => {
    const t = await gatewayFrom({ GATEHOUSE_REGISTRATION: "open" });
    const { posted } = await signUp(t.client(), `${PREFIX}/register`, { username: "alice" });
    expect(posted.statusCode).toBe(303);
  });
});

describe("GATEHOUSE_REGISTRATION=closed", () => {
  it("GET and POST /register answer 404 with a page saying so, /login has no link, nothing is created", async () => {
    const t = await appWith("closed");
    const client = t.client();
    const login = await client.get("/login");
    expect(login.body).not.toContain('href="/register');
    expect(login.body).not.toContain("invitation");
    expectClosedPage(await client.get("/register"));
    expectClosedPage(await client.post("/register", { username: "mallory", password: STRONG_PASSWORD }));
    expect(await userCount(t)).toBe(0);
  });

  it("even a valid invitation does not open it", async () => {
    const t = await appWith("closed");
    const { token } = await t.services.invitations.issue(null, 7, CLI_ORIGIN);
    const { form, posted } = await signUp(t.client(), `/register?invite=${token}`, { username: "dave", invite: token });
    expectClosedPage(form);
    expectClosedPage(posted);
    expect(await userCount(t)).toBe(0);
  });
});

describe("registration by invitation", () => {
  it("the URL shows the form with the token in a hidden field; it creates the account once, then answers 404", async () => {
    const t = await gatewayFrom({});
    const { token } = await t.services.invitations.issue(null, 7, CLI_ORIGIN);
    const url = `${PREFIX}/register?invite=${token}`;
    const first = await signUp(t.client(), url, { username: "newcomer", invite: token });
    expect(first.form.statusCode).toBe(200);
    expect(inviteTokenOf(first.form.body)).toBe(token);
    expect(first.posted.statusCode).toBe(303);
    expect(first.posted.headers.location).toBe(`${PREFIX}/2fa/setup`);
    expect((await t.store.users.listUsers()).map((u) => u.username)).toEqual(["newcomer"]);

    const second = await signUp(t.client(), url, { username: "intruder", invite: token });
    expectClosedPage(second.form);
    expectClosedPage(second.posted);
    expect(await userCount(t)).toBe(1);
  });

  it("two concurrent registrations with one invitation create one account; the other gets 404", async () => {
    const t = await gatewayFrom({});
    const { token } = await t.services.invitations.issue(null, 7, CLI_ORIGIN);
    const [a, b] = [t.client(), t.client()];
    await Promise.all([a.get(`${PREFIX}/register?invite=${token}`), b.get(`${PREFIX}/register?invite=${token}`)]);
    const answers = await Promise.all([
      a.post(`${PREFIX}/register`, { username: "first", password: STRONG_PASSWORD, invite: token }),
      b.post(`${PREFIX}/register`, { username: "second", password: STRONG_PASSWORD, invite: token }),
    ]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([303, 404]);
    expect(await userCount(t)).toBe(1);
  });

  it("an invitation for one name shows it fixed and refuses any other, without using the invitation up", async () => {
    const t = await gatewayFrom({});
    const { token } = await t.services.invitations.issue("dave", 7, CLI_ORIGIN);
    const client = t.client();
    const form = await client.get(`${PREFIX}/register?invite=${token}`);
    expect(form.body).toMatch(/<input type="text" id="username" name="username" value="dave"[^>]* readonly/);
    const other = await client.post(`${PREFIX}/register`, { username: "admin", password: STRONG_PASSWORD, invite: token });
    expect(other.statusCode).toBe(400);
    expect(other.body).toContain("This invitation is for the username dave.");
    expect(inviteTokenOf(other.body)).toBe(token);
    expect(await userCount(t)).toBe(0);
    const right = await client.post(`${PREFIX}/register`, { username: "dave", password: STRONG_PASSWORD, invite: token });
    expect(right.statusCode).toBe(303);
    expect((await t.store.users.listUsers()).map((u) => u.username)).toEqual(["dave"]);
  });

  it("a taken name or a weak password is refused with the form again, and the invitation still works", async () => {
    const t = await gatewayFrom({});
    await t.services.accounts.register("carol", STRONG_PASSWORD, { byAdmin: true, origin: CLI_ORIGIN });
    const { token } = await t.services.invitations.issue(null, 7, CLI_ORIGIN);
    const client = t.client();
    await client.get(`${PREFIX}/register?invite=${token}`);
    const taken = await client.post(`${PREFIX}/register`, { username: "Carol", password: STRONG_PASSWORD, invite: token });
    expect(taken.statusCode).toBe(400);
    expect(inviteTokenOf(taken.body)).toBe(token);
    const weak = await client.post(`${PREFIX}/register`, { username: "erin", password: "password", invite: token });
    expect(weak.statusCode).toBe(400);
    const right = await client.post(`${PREFIX}/register`, { username: "erin", password: STRONG_PASSWORD, invite: token });
    expect(right.statusCode).toBe(303);
  });

  it("a wrong, malformed, expired or revoked token, or none, gets the same 404 page as closed registration", async () => {
    const t = await gatewayFrom({});
    const closed = await (await appWith("closed")).client().get("/register");
    const expired = await t.services.invitations.issue(null, 1, CLI_ORIGIN);
    const revoked = await t.services.invitations.issue(null, 7, CLI_ORIGIN);
    expect(await t.services.invitations.revoke(revoked.invitation.id, CLI_ORIGIN)).toBe(true);
    t.clock.advanceSeconds(DAY_S);
    const wrong = "A".repeat(43);
    for (const token of [wrong, "not-a-token", expired.token, revoked.token, ""]) {
      const { form, posted } = await signUp(t.client(), `${PREFIX}/register?invite=${token}`, { username: "x", invite: token });
      expectClosedPage(form);
      expectClosedPage(posted);
      // The same page as `closed` (the gateway's prefix in its links aside).
      expect(form.body.replace(/<input type="hidden" name="_csrf"[^>]*>|\/\.gatehouse/g, "")).toBe(
        closed.body.replace(/<input type="hidden" name="_csrf"[^>]*>/g, ""),
      );
    }
    expect(await userCount(t)).toBe(0);
  });

  it("works in open mode too, and the activity log records it without the token", async () => {
    const t = await appWith("open");
    const { token, invitation } = await t.services.invitations.issue(null, 7, CLI_ORIGIN);
    const { posted } = await signUp(t.client(), `/register?invite=${token}`, { username: "frank", invite: token });
    expect(posted.statusCode).toBe(303);
    const events = await t.store.events.listEvents({ limit: 50 });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["admin-invitation-created", "invitation-used", "registered"]));
    expect(events.find((e) => e.type === "invitation-used")?.detail).toEqual({ invitationId: invitation.id });
    expect(JSON.stringify(events)).not.toContain(token);
  });
});

describe("the token's secrecy", () => {
  it("is stored only as its SHA-256: no column of the invitation holds the token", async () => {
    const t = await appWith("invite");
    const { token } = await t.services.invitations.issue("dave", 7, CLI_ORIGIN);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits, base64url
    const [stored] = await t.store.invitations.listInvitations();
    expect(stored?.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("never reaches the log: request URLs are logged without their query", async () => {
    const log: string[] = [];
    const t = await gatewayFrom({}, log);
    const { token } = await t.services.invitations.issue(null, 7, CLI_ORIGIN);
    const { posted } = await signUp(t.client(), `${PREFIX}/register?invite=${token}&next=%2Fwiki`, { username: "grace", invite: token });
    expect(posted.statusCode).toBe(303);
    await t.client().get(`${PREFIX}/register?invite=${token}`); // used: the 404 path
    expect(log.join("\n")).toContain(`"url":"${PREFIX}/register"`);
    expect(log.join("\n")).not.toContain(token);
  });
});
