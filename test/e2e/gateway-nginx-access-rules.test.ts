// Access rules and groups behind Debian's nginx, run from the sample users copy
// (deploy/nginx/auth-request.conf): gatehouse (GATEHOUSE_FORWARD_AUTH=true) reads the rules file,
// `gatehouse user groups` (the real binary) puts a user in a group, and nginx passes
// X-Gatehouse-Groups on to the app, or answers 403 where the rules refuse the signed-in user.
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
  ],
};

describe("access rules and groups through nginx's auth_request", () => {
  let workDir: string;
  let app: Upstream;
  let server: ServerProcess;
  let nginx: NginxProcess;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "gatehouse-nginx-rules-"));
    const rulesFile = join(workDir, "access-rules.json");
    await writeFile(rulesFile, JSON.stringify(RULES));
    app = await startUpstream();
    server = await startServer({
      GATEHOUSE_FORWARD_AUTH: "true",
      GATEHOUSE_TRUSTED_PROXIES: "127.0.0.1",
      GATEHOUSE_ACCESS_RULES: rulesFile,
      // The users below sign up at /.gatehouse/register; a gateway's default is invite.
      GATEHOUSE_REGISTRATION: "open",
    });
    await mkdir(join(workDir, "nginx"));
    nginx = await startNginxAuthRequest(server.url, app.url, join(workDir, "nginx"));
  });
  afterAll(async () => {
    await nginx?.stop();
    await server?.stop();
    await app?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  /** Registers and enrolls through nginx, as a browser would; the client ends fully signed in. */
  async function enrolledThroughNginx(username: string): Promise<FetchClient> {
    const browser = new FetchClient(nginx.url);
    await browser.send(`${PREFIX}/register`);
    expect((await browser.send(`${PREFIX}/register`, { username, password: STRONG_PASSWORD })).location).toBe(`${PREFIX}/2fa/setup`);
    const setup = await browser.send(`${PREFIX}/2fa/setup`);
    const secret = (/id="secret-key">([^<]+)</.exec(setup.body)?.[1] ?? "").replace(/\s+/g, "");
    const confirmed = await browser.send(`${PREFIX}/2fa/setup`, { otp: codeAt(secret, Date.now()) });
    expect(confirmed.location).toBe(`${PREFIX}/2fa/recovery-codes`);
    return browser;
  }

  async function setGroups(username: string, groups: string[]) {
    const result = await gatehouse(["user", "groups", username, ...groups], { GATEHOUSE_DATA_DIR: server.dataDir });
    expect(result.code, result.stderr).toBe(0);
  }

  it("a member of the path's group reaches the app, which gets X-Gatehouse-User and X-Gatehouse-Groups from nginx", async () => {
    const admin = await enrolledThroughNginx("root");
    await setGroups("root", ["ops", "admins"]);
    const res = await admin.send("/admin/users");
    expect(res.status).toBe(200);
    const seen = (JSON.parse(res.body) as EchoedRequest).headers;
    expect(seen["x-gatehouse-user"]).toBe("root");
    expect(seen["x-gatehouse-groups"]).toBe("admins,ops");
  });

  it("a signed-in user outside the group gets 403 from nginx, and the app sees nothing", async () => {
    const outsider = await enrolledThroughNginx("sam");
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
    const plain = await enrolledThroughNginx("nogroups");
    const cookie = [...plain.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const forged = await fetch(`${nginx.url}/home`, { headers: { cookie, "X-Gatehouse-Groups": "admins" } });
    expect(forged.status).toBe(200);
    expect((JSON.parse(await forged.text()) as EchoedRequest).headers["x-gatehouse-groups"]).toBeUndefined();
    // And it opens nothing: the rules read the stored groups.
    expect((await fetch(`${nginx.url}/admin/users`, { headers: { cookie, "X-Gatehouse-Groups": "admins" } })).status).toBe(403);
  });
});
