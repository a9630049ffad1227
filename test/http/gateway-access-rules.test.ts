// Who gets in (contract: Access rules (gateway)): GATEHOUSE_ACCESS_RULES and the user's groups,
// through the built-in proxy (plain requests and WebSocket upgrades) and the forward-auth verify
// endpoint, with a real upstream that echoes what it was told (X-Gatehouse-User, -Groups).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { TestApp, TestClient } from "../support/app.js";
import { buildGatewayApp, cookieHeader, enrollThroughGateway, listen, PREFIX } from "../support/gateway.js";
import { startUpstream, type EchoedRequest, type Upstream } from "../support/upstream.js";
import { userIdOf } from "./helpers.js";

const HTML = { accept: "text/html" };
const PROXY = "10.0.0.5";

const RULES = {
  default: "deny",
  rules: [
    { paths: ["/static/*"], public: true },
    { paths: ["/admin/*"], groups: ["admins"] },
    { paths: ["/reports/*"], users: ["Alice"] },
    { paths: ["/app/*"], groups: ["staff", "admins"] },
  ],
};

let upstream: Upstream;
let t: TestApp;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  await t.close();
});

async function start(options: { forwardAuthOnly?: boolean; accessRules?: object } = {}) {
  t = await buildGatewayApp({
    upstream: options.forwardAuthOnly ? undefined : upstream.url,
    publicPaths: ["/healthz"],
    trustedProxies: ["10.0.0.0/24"],
    accessRules: options.accessRules ?? RULES,
    // These tests register their users at /.gatehouse/register.
    overrides: { registration: "open" },
  });
  upstream.seen.length = 0;
}

/** A fully signed-in user with these groups. */
async function member(username: string, groups: string[]): Promise<TestClient> {
  const client = t.client();
  await enrollThroughGateway(t, client, username);
  await t.store.groups.setGroups(await userIdOf(t, username), groups);
  upstream.seen.length = 0;
  return client;
}

function echoed(body: string): EchoedRequest {
  return JSON.parse(body) as EchoedRequest;
}

describe("the built-in proxy", () => {
  it("a public rule lets an anonymous visitor through, without identity headers", async () => {
    await start();
    const res = await t.client().request({ method: "GET", url: "/static/app.css", headers: { "x-gatehouse-groups": "admins" } });
    expect(res.statusCode).toBe(200);
    expect(echoed(res.body).headers["x-gatehouse-user"]).toBeUndefined();
    expect(echoed(res.body).headers["x-gatehouse-groups"]).toBeUndefined();
  });

  it("GATEHOUSE_PUBLIC_PATHS still work next to a rules file", async () => {
    await start();
    expect((await t.client().get("/healthz")).statusCode).toBe(200);
  });

  it("a member of a listed group is let through, and the upstream gets X-Gatehouse-User and the sorted X-Gatehouse-Groups", async () => {
    await start();
    const admin = await member("root", ["ops", "admins", "Zeta"]);
    const res = await admin.get("/admin/users");
    expect(res.statusCode).toBe(200);
    const seen = echoed(res.body).headers;
    expect(seen["x-gatehouse-user"]).toBe("root");
    expect(seen["x-gatehouse-groups"]).toBe("Zeta,admins,ops");
  });

  it("a signed-in user outside the group gets 403 with gatehouse's page, and nothing reaches the upstream", async () => {
    await start();
    const outsider = await member("sam", ["staff"]);
    for (const headers of [HTML, { accept: "application/json" }]) {
      const res = await outsider.request({ method: "GET", url: "/admin/users", headers });
      expect(res.statusCode).toBe(403);
      expect(res.headers["content-type"]).toContain("text/html");
      expect(res.body).toContain("may not open this page");
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("group changes apply to the next request of a live session", async () => {
    await start();
    const client = await member("sam", ["staff"]);
    expect((await client.get("/admin/x")).statusCode).toBe(403);
    await t.store.groups.setGroups(await userIdOf(t, "sam"), ["admins"]);
    expect((await client.get("/admin/x")).statusCode).toBe(200);
  });

  it("a users rule lets the listed user through whatever the case, and nobody else", async () => {
    await start();
    const alice = await member("alice", []);
    const res = await alice.get("/reports/q3");
    expect(res.statusCode).toBe(200);
    // A user without groups gets no X-Gatehouse-Groups at all.
    expect(echoed(res.body).headers["x-gatehouse-groups"]).toBeUndefined();
    const admin = await member("root", ["admins"]);
    expect((await admin.get("/reports/q3")).statusCode).toBe(403);
  });

  it("default deny: a path no rule names is refused to every signed-in user", async () => {
    await start();
    const admin = await member("root", ["admins"]);
    expect((await admin.get("/elsewhere")).statusCode).toBe(403);
    expect(upstream.seen).toHaveLength(0);
  });

  it("default signed-in: a path no rule names takes any full sign-in", async () => {
    await start({ accessRules: { default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] } });
    const nobody = await member("sam", []);
    expect((await nobody.get("/elsewhere")).statusCode).toBe(200);
    expect((await nobody.get("/admin")).statusCode).toBe(403);
  });

  it("a visitor who is not signed in gets the usual 303 to sign in or 401, also on a denied path", async () => {
    await start();
    for (const path of ["/admin/users", "/elsewhere"]) {
      const nav = await t.client().request({ method: "GET", url: path, headers: HTML });
      expect(nav.statusCode).toBe(303);
      expect(nav.headers.location).toBe(`${PREFIX}/login?next=${encodeURIComponent(path)}`);
      expect((await t.client().request({ method: "GET", url: path })).statusCode).toBe(401);
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("identity header forgery: a client's own X-Gatehouse-Groups, in any spelling, never reaches the upstream", async () => {
    await start();
    const staff = await member("sam", ["staff"]);
    const forged = await staff.request({
      method: "GET",
      url: "/app/home",
      headers: { "X-Gatehouse-Groups": "admins", "x_gatehouse_groups": "admins", "X-GATEHOUSE-USER": "root" },
    });
    const seen = echoed(forged.body).headers;
    expect(seen["x-gatehouse-groups"]).toBe("staff");
    expect(seen["x_gatehouse_groups"]).toBeUndefined();
    expect(seen["x-gatehouse-user"]).toBe("sam");
    // And the forged header opens nothing: the decision reads the stored groups.
    expect((await staff.request({ method: "GET", url: "/admin/x", headers: { "x-gatehouse-groups": "admins" } })).statusCode).toBe(403);
  });
});

describe("rule bypass by a second spelling of the path (letter case, ';parameters', a final '/')", () => {
  // An Express, IIS or Tomcat upstream serves each of these as /admin/... or /app/... .
  const SPELLINGS = ["/Admin/users", "/ADMIN", "/admin;x/users", "/admin/"];

  it("the proxy refuses an outsider every spelling, and nothing reaches the upstream", async () => {
    await start({ accessRules: { default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] } });
    const outsider = await member("sam", ["staff"]);
    for (const path of SPELLINGS) expect((await outsider.get(path)).statusCode, path).toBe(403);
    expect(upstream.seen).toHaveLength(0);
    expect((await outsider.get("/administrator")).statusCode).toBe(200);
  });

  it("verify answers 403, never 200, to an outsider for every spelling a trusted proxy names", async () => {
    await start({ forwardAuthOnly: true, accessRules: { default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] } });
    const outsider = await member("sam", ["staff"]);
    for (const uri of SPELLINGS) {
      const res = await outsider.request({ method: "GET", url: `${PREFIX}/auth/verify`, remoteAddress: PROXY, headers: { "x-original-uri": uri } });
      expect(res.statusCode, uri).toBe(403);
    }
  });
});

describe("WebSocket upgrades pass the same rules", () => {
  function connect(origin: string, path: string, cookie: string): Promise<{ status: number } | { headers: Record<string, string> }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${origin.replace("http:", "ws:")}${path}`, { headers: { cookie } });
      socket.once("message", (data) => {
        resolve({ headers: (JSON.parse(String(data)) as { headers: Record<string, string> }).headers });
        socket.close();
      });
      socket.once("unexpected-response", (_request, response) => {
        resolve({ status: response.statusCode ?? 0 });
        response.resume();
      });
      socket.once("error", reject);
    });
  }

  it("a group member's upgrade carries X-Gatehouse-Groups; an outsider's gets 403 and never reaches the upstream", async () => {
    await start();
    const origin = await listen(t);
    const admin = await member("root", ["admins"]);
    const outsider = await member("sam", ["staff"]);
    const allowed = await connect(origin, "/admin/live", cookieHeader(admin));
    expect(allowed).toMatchObject({ headers: { "x-gatehouse-user": "root", "x-gatehouse-groups": "admins" } });
    upstream.seen.length = 0;
    expect(await connect(origin, "/admin/live", cookieHeader(outsider))).toEqual({ status: 403 });
    expect(upstream.seen).toHaveLength(0);
  });

  it("rule bypass by a second spelling of the path: an outsider's upgrade to /Admin/... or /admin;x/... gets 403 too", async () => {
    await start({ accessRules: { default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] } });
    const origin = await listen(t);
    const outsider = await member("sam", ["staff"]);
    for (const path of ["/Admin/live", "/admin;x/live"]) expect(await connect(origin, path, cookieHeader(outsider)), path).toEqual({ status: 403 });
    expect(upstream.seen).toHaveLength(0);
  });
});

describe("forward auth (verify)", () => {
  function verify(client: TestClient, uri: string | undefined, from = PROXY) {
    return client.request({ method: "GET", url: `${PREFIX}/auth/verify`, remoteAddress: from, headers: uri === undefined ? {} : { "x-original-uri": uri } });
  }

  it("answers 200 with X-Gatehouse-User and X-Gatehouse-Groups to a member of the path's group", async () => {
    await start({ forwardAuthOnly: true });
    const admin = await member("root", ["ops", "admins"]);
    const res = await verify(admin, "/admin/users");
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-gatehouse-user"]).toBe("root");
    expect(res.headers["x-gatehouse-groups"]).toBe("admins,ops");
  });

  it("answers 403 with a page, and no identity header, to a signed-in user the rules refuse", async () => {
    await start({ forwardAuthOnly: true });
    const outsider = await member("sam", ["staff"]);
    const res = await verify(outsider, "/admin/users");
    expect(res.statusCode).toBe(403);
    expect(res.headers["x-gatehouse-user"]).toBeUndefined();
    expect(res.headers["x-gatehouse-groups"]).toBeUndefined();
    expect(res.body).toContain("may not open this page");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect((await verify(outsider, "/app/home")).headers["x-gatehouse-groups"]).toBe("staff");
  });

  it("answers 401 to a visitor who is not signed in, and 200 on a public path", async () => {
    await start({ forwardAuthOnly: true });
    expect((await verify(t.client(), "/admin/users")).statusCode).toBe(401);
    const open = await verify(t.client(), "/static/x.css");
    expect(open.statusCode).toBe(200);
    expect(open.headers["x-gatehouse-user"]).toBeUndefined();
  });

  it("a path no trusted proxy named lets through only who every rule would: a forged URI from a stranger decides nothing", async () => {
    await start({ forwardAuthOnly: true, accessRules: { default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] } });
    const staff = await member("sam", ["staff"]);
    // A stranger names a harmless path; gatehouse does not know which path is really served.
    expect((await verify(staff, "/harmless", "198.51.100.7")).statusCode).toBe(403);
    expect((await verify(staff, "/harmless")).statusCode).toBe(200);
    const admin = await member("root", ["admins"]);
    expect((await verify(admin, undefined)).statusCode).toBe(200);
  });
});
