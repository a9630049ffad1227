// Access rules and groups behind Debian's nginx, run from the sample users copy
// (deploy/nginx/auth-request.conf): gatehouse (GATEHOUSE_FORWARD_AUTH=true) reads the rules file,
// `gatehouse user groups` (the real binary) puts a user in a group, and nginx passes
// X-Gatehouse-Groups on to the app, or answers 403 where the rules refuse the signed-in user.
// Every rule kind: public, groups, users, and both defaults (signed-in, deny).
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatehouse } from "../cli/support.js";
import { codeAt, STRONG_PASSWORD } from "../support/app.js";
import { FetchClient } from "../support/fetch-client.js";
import { startServer, type ServerProcess } from "../support/server-process.js";
import { startUpstream, type EchoedRequest, type Upstream } from "../support/upstream.js";
import { PREFIX } from "./gateway-journey.js";
import { startNginxAuthRequest, type NginxProcess } from "./nginx.js";

const RULES = {
  default: "signed-in",
  rules: [
    { paths: ["/static/*"], public: true },
    { paths: ["/admin/*"], groups: ["admins"] },
    { paths: ["/reports/*"], users: ["Rita"] },
  ],
};

/** Every path not named by a rule is closed: only the listed user reaches /desk. */
const DENY_RULES = {
  default: "deny",
  rules: [{ paths: ["/desk", "/desk/*"], users: ["kim"] }],
};

interface RulesStack {
  workDir: string;
  app: Upstream;
  server: ServerProcess;
  nginx: NginxProcess;
}

/** The Node echo app behind nginx's auth_request sample, gatehouse reading `rules`. */
async function startRulesStack(rules: object): Promise<RulesStack> {
  const workDir = await mkdtemp(join(tmpdir(), "gatehouse-nginx-rules-"));
  const rulesFile = join(workDir, "access-rules.json");
  await writeFile(rulesFile, JSON.stringify(rules));
  const app = await startUpstream();
  const server = await startServer({
    GATEHOUSE_FORWARD_AUTH: "true",
    GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1",
    GATEHOUSE_ACCESS_RULES: rulesFile,
    // The users below sign up at /.gatehouse/register; a gateway's default is invite.
    GATEHOUSE_REGISTRATION: "open",
  });
  await mkdir(join(workDir, "nginx"));
  const nginx = await startNginxAuthRequest(server.url, app.url, join(workDir, "nginx"));
  return { workDir, app, server, nginx };
}

async function stopRulesStack(stack: RulesStack | undefined): Promise<void> {
  await stack?.nginx.stop();
  await stack?.server.stop();
  await stack?.app.close();
  if (stack) await rm(stack.workDir, { recursive: true, force: true });
}

/** Registers and enrolls through nginx, as a browser would; the client ends fully signed in. */
async function enrolledThroughNginx(nginx: NginxProcess, username: string): Promise<FetchClient> {
  const browser = new FetchClient(nginx.url);
  await browser.send(`${PREFIX}/register`);
  expect((await browser.send(`${PREFIX}/register`, { username, password: STRONG_PASSWORD })).location).toBe(`${PREFIX}/2fa/setup`);
  const setup = await browser.send(`${PREFIX}/2fa/setup`);
  const secret = (/id="secret-key">([^<]+)</.exec(setup.body)?.[1] ?? "").replace(/\s+/g, "");
  const confirmed = await browser.send(`${PREFIX}/2fa/setup`, { otp: codeAt(secret, Date.now()) });
  expect(confirmed.location).toBe(`${PREFIX}/2fa/recovery-codes`);
  return browser;
}

describe("access rules and groups through nginx's auth_request", () => {
  let stack: RulesStack;
  let app: Upstream;
  let server: ServerProcess;
  let nginx: NginxProcess;

  beforeAll(async () => {
    stack = await startRulesStack(RULES);
    ({ app, server, nginx } = stack);
  });
  afterAll(() => stopRulesStack(stack));

  const enrolled = (username: string) => enrolledThroughNginx(nginx, username);

  async function setGroups(username: string, groups: string[]) {
    const result = await gatehouse(["user", "groups", username, ...groups], { GATEHOUSE_DATA_DIR: server.dataDir });
    expect(result.code, result.stderr).toBe(0);
  }

  it("a member of the path's group reaches the app, which gets X-Gatehouse-User and X-Gatehouse-Groups from nginx", async () => {
    const admin = await enrolled("root");
    await setGroups("root", ["ops", "admins"]);
    const res = await admin.send("/admin/users");
    expect(res.status).toBe(200);
    const seen = (JSON.parse(res.body) as EchoedRequest).headers;
    expect(seen["x-gatehouse-user"]).toBe("root");
    expect(seen["x-gatehouse-groups"]).toBe("admins,ops");
  });

  it("a signed-in user outside the group gets 403 from nginx, and the app sees nothing", async () => {
    const outsider = await enrolled("sam");
    await setGroups("sam", ["staff"]);
    const marker = `denied-${randomBytes(4).toString("hex")}`;
    const res = await outsider.send(`/admin/users?x=${marker}`);
    expect(res.status).toBe(403);
    expect(app.seen.some((request) => request.url.includes(marker))).toBe(false);
    // Control: a path the rules leave to the default takes any full sign-in, with the user's groups.
    const home = await outsider.send("/home");
    expect(home.status).toBe(200);
    expect((JSON.parse(home.body) as EchoedRequest).headers["x-gatehouse-groups"]).toBe("staff");
  });

  it("a client's own X-Gatehouse-Groups never reaches the app: replaced by the user's, dropped for a user without groups", async () => {
    const plain = await enrolled("nogroups");
    const cookie = [...plain.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const forged = await fetch(`${nginx.url}/home`, { headers: { cookie, "X-Gatehouse-Groups": "admins" } });
    expect(forged.status).toBe(200);
    expect((JSON.parse(await forged.text()) as EchoedRequest).headers["x-gatehouse-groups"]).toBeUndefined();
    // And it opens nothing: the rules read the stored groups.
    expect((await fetch(`${nginx.url}/admin/users`, { headers: { cookie, "X-Gatehouse-Groups": "admins" } })).status).toBe(403);
  });

  it("a public rule lets an anonymous visitor through with no identity headers", async () => {
    const res = await fetch(`${nginx.url}/static/app.css`, { headers: { "X-Gatehouse-User": "root" } });
    expect(res.status).toBe(200);
    const seen = (JSON.parse(await res.text()) as EchoedRequest).headers;
    expect(seen["x-gatehouse-user"]).toBeUndefined();
    expect(seen["x-gatehouse-groups"]).toBeUndefined();
    // A path outside the public rule still asks for a sign-in.
    expect((await fetch(`${nginx.url}/home`, { redirect: "manual" })).status).toBe(401);
  });

  it("a users rule lets the listed user through (names without case) and refuses everyone else with 403", async () => {
    const other = await enrolled("rita-reports");
    const named = await enrolled("RITA");
    expect((await other.send("/reports/q4")).status).toBe(403);
    const res = await named.send("/reports/q4");
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as EchoedRequest).headers["x-gatehouse-user"]).toBe("RITA");
  });
});

describe("a default-deny rules file through nginx's auth_request", () => {
  let stack: RulesStack | undefined;

  beforeAll(async () => {
    stack = await startRulesStack(DENY_RULES);
  });
  afterAll(() => stopRulesStack(stack));

  it("only the listed user reaches the listed path; every other path is 403 for every signed-in user", async () => {
    const kim = await enrolledThroughNginx(stack!.nginx, "kim");
    const lee = await enrolledThroughNginx(stack!.nginx, "lee");
    const desk = await kim.send("/desk/today");
    expect(desk.status).toBe(200);
    expect((JSON.parse(desk.body) as EchoedRequest).headers["x-gatehouse-user"]).toBe("kim");
    expect((await kim.send("/elsewhere")).status).toBe(403);
    expect((await lee.send("/desk")).status).toBe(403);
    expect((await lee.send("/elsewhere")).status).toBe(403);
    // Not signed in: still the sign-in answer, not 403.
    expect((await fetch(`${stack!.nginx.url}/desk`, { redirect: "manual" })).status).toBe(401);
  });
});
