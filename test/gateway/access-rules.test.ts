// GATEHOUSE_ACCESS_RULES (contract: Access rules (gateway)): who may reach which path of the app
// behind the gateway. The decision itself, without HTTP; test/http/gateway-access-rules.test.ts
// checks it through the proxy and the verify endpoint.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { AccessRulesError, createAccessPolicy, parseAccessRules, type Identity } from "../../src/gateway/access-rules.js";
import { parsePublicPathRules } from "../../src/gateway/public-paths.js";

const alice: Identity = { username: "alice", groups: [] };
const admin: Identity = { username: "root", groups: ["admins"] };
const staff: Identity = { username: "sam", groups: ["ops", "staff"] };

function policy(file: object, publicPaths: string[] = []) {
  return createAccessPolicy(parsePublicPathRules(publicPaths), parseAccessRules(JSON.stringify(file)));
}

describe("access decisions", () => {
  it("a public rule lets anyone through, signed in or not", () => {
    const decide = policy({ default: "deny", rules: [{ paths: ["/static/*"], public: true }] });
    expect(decide("/static/app.css", null)).toBe("public");
    expect(decide("/static", alice)).toBe("public");
  });

  it("a groups rule lets a member of any listed group through and refuses other signed-in users", () => {
    const decide = policy({ default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["admins", "staff"] }] });
    expect(decide("/admin/users", admin)).toBe("allow");
    expect(decide("/admin/users", staff)).toBe("allow");
    expect(decide("/admin/users", alice)).toBe("deny");
  });

  it("group names compare exactly: Admins is not admins", () => {
    const decide = policy({ default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["Admins"] }] });
    expect(decide("/admin", admin)).toBe("deny");
  });

  it("a users rule compares usernames without regard to case, as sign-in does", () => {
    const decide = policy({ default: "deny", rules: [{ paths: ["/reports"], users: ["Alice"] }] });
    expect(decide("/reports", alice)).toBe("allow");
    expect(decide("/reports", { username: "ALICE", groups: [] })).toBe("allow");
    expect(decide("/reports", admin)).toBe("deny");
  });

  it("anyone not fully signed in is sent to sign in wherever the path is not public", () => {
    const decide = policy({ default: "deny", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] });
    expect(decide("/admin", null)).toBe("sign-in");
    expect(decide("/elsewhere", null)).toBe("sign-in");
  });

  it("the first rule whose paths match decides, even when a later one would decide otherwise", () => {
    const decide = policy({
      default: "signed-in",
      rules: [
        { paths: ["/admin/public-report"], public: true },
        { paths: ["/admin/*"], groups: ["admins"] },
        { paths: ["/admin/*"], users: ["alice"] },
      ],
    });
    expect(decide("/admin/public-report", null)).toBe("public");
    expect(decide("/admin/users", admin)).toBe("allow");
    // The users rule for alice is never reached.
    expect(decide("/admin/users", alice)).toBe("deny");
  });

  it("without a matching rule, default signed-in lets any full sign-in through", () => {
    const decide = policy({ default: "signed-in", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] });
    expect(decide("/home", alice)).toBe("allow");
  });

  it("without a matching rule, default deny lets nobody through", () => {
    const decide = policy({ default: "deny", rules: [{ paths: ["/admin/*"], groups: ["admins"] }] });
    expect(decide("/home", admin)).toBe("deny");
    expect(decide("/home", alice)).toBe("deny");
  });

  it("'/*' names every path for a groups rule", () => {
    const decide = policy({ default: "signed-in", rules: [{ paths: ["/*"], groups: ["staff"] }] });
    expect(decide("/", staff)).toBe("allow");
    expect(decide("/any/thing", alice)).toBe("deny");
  });

  it("GATEHOUSE_PUBLIC_PATHS are public rules evaluated before the file's rules", () => {
    const decide = policy({ default: "deny", rules: [{ paths: ["/static/*"], groups: ["admins"] }] }, ["/static/*"]);
    expect(decide("/static/app.css", null)).toBe("public");
  });

  it("without a rules file: public paths, then any full sign-in (the gateway's behaviour before rules)", () => {
    const decide = createAccessPolicy(parsePublicPathRules(["/healthz"]), undefined);
    expect(decide("/healthz", null)).toBe("public");
    expect(decide("/app", null)).toBe("sign-in");
    expect(decide("/app", alice)).toBe("allow");
  });

  it("an unknown path (no trusted proxy named it) is never public and lets through only who every rule lets through", () => {
    const decide = policy({ default: "signed-in", rules: [{ paths: ["/static/*"], public: true }, { paths: ["/admin/*"], groups: ["admins"] }] });
    expect(decide(undefined, null)).toBe("sign-in");
    expect(decide(undefined, admin)).toBe("allow");
    expect(decide(undefined, alice)).toBe("deny");
    expect(policy({ default: "deny", rules: [] })(undefined, admin)).toBe("deny");
    expect(createAccessPolicy([], undefined)(undefined, alice)).toBe("allow");
  });
});

describe("rule bypass by a second spelling of the path (letter case, ';parameters', a final '/')", () => {
  // Express and IIS ignore letter case, Tomcat drops ';x' from a segment, Express a final '/':
  // to such an app each of these is the protected path, so the rule must hold for them too.
  const decide = policy({
    default: "signed-in",
    rules: [
      { paths: ["/static/*"], public: true },
      { paths: ["/admin/*", "/exact"], groups: ["admins"] },
    ],
  });

  it("a path the rules protect is refused in every spelling a lenient upstream reads as it", () => {
    for (const path of ["/Admin/x", "/ADMIN", "/admin;x/y", "/admin;/x", "/Exact", "/exact/", "/exact;jsessionid=1", "/EXACT;x/"]) {
      expect(decide(path, alice), path).toBe("deny");
      expect(decide(path, admin), path).toBe("allow");
    }
  });

  it("is no wider than before: /administrator and other paths keep the default, anonymous visitors sign in", () => {
    expect(decide("/administrator", alice)).toBe("allow");
    expect(decide("/Admin/x", null)).toBe("sign-in");
  });

  it("a public rule needs both readings: /Static/x is not public to an app that tells case apart", () => {
    expect(decide("/static/app.css", null)).toBe("public");
    expect(decide("/Static/app.css", null)).toBe("sign-in");
    expect(decide("/static;x/app.css", null)).toBe("sign-in");
  });
});

describe("bad rules files: one line naming the problem", () => {
  const problems: [string, string, RegExp][] = [
    ["not JSON", '{"default": "deny",', /^not valid JSON: /],
    ["an unknown field at the top", '{"default": "deny", "rules": [], "rule": []}', /^unknown field "rule"$/],
    ["an unknown field in a rule", '{"default": "deny", "rules": [{"paths": ["/a"], "groups": ["x"], "group": "y"}]}', /^rules\[0\]: unknown field "group"$/],
    ["an unknown default", '{"default": "allow", "rules": []}', /^default: must be "signed-in" or "deny"$/],
    ["no default", '{"rules": []}', /^default: /],
    ["no rules", '{"default": "deny"}', /^rules: must be a list of rules$/],
    ["a list instead of the object", "[]", /^the file must hold one object/],
    ["a rule of no kind", '{"default": "deny", "rules": [{"paths": ["/a"]}]}', /exactly one of public, groups or users \(found none\)/],
    ["a rule of two kinds", '{"default": "deny", "rules": [{"paths": ["/a"], "public": true, "users": ["x"]}]}', /found public and users/],
    ["public: false", '{"default": "deny", "rules": [{"paths": ["/a"], "public": false}]}', /^rules\[0\]\.public: may only be true/],
    ["a path not in normal form", '{"default": "deny", "rules": [{"paths": ["/a/../b"], "users": ["x"]}]}', /^rules\[0\]\.paths\[0\]: '\/a\/\.\.\/b' is not a path in normal form/],
    ["'*' inside a path", '{"default": "deny", "rules": [{"paths": ["/a*"], "users": ["x"]}]}', /only as a final/],
    ["every path public", '{"default": "deny", "rules": [{"paths": ["/*"], "public": true}]}', /would make every path public/],
    ["no paths", '{"default": "deny", "rules": [{"paths": [], "users": ["x"]}]}', /^rules\[0\]\.paths: must name at least one path$/],
    ["a bad group name", '{"default": "deny", "rules": [{"paths": ["/a"], "groups": ["a,b"]}]}', /^rules\[0\]\.groups\[0\]: "a,b" is not a group name/],
    ["an empty group list", '{"default": "deny", "rules": [{"paths": ["/a"], "groups": []}]}', /must name at least one group/],
    ["a bad username", '{"default": "deny", "rules": [{"paths": ["/a"], "users": ["a:b"]}]}', /^rules\[0\]\.users\[0\]: "a:b" is not a username$/],
  ];

  it.each(problems)("%s", (_what, text, message) => {
    let thrown: unknown;
    try {
      parseAccessRules(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AccessRulesError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain("\n");
  });
});

describe("GATEHOUSE_ACCESS_RULES", () => {
  const folder = mkdtempSync(join(tmpdir(), "gatehouse-access-rules-"));
  const gateway = { GATEHOUSE_UPSTREAM: "http://127.0.0.1:5000" };

  function rulesFile(name: string, text: string) {
    const file = join(folder, name);
    writeFileSync(file, text);
    return file;
  }

  it("the sample in deploy/ parses with the real parser and says what the docs say", () => {
    const sample = new URL("../../deploy/access-rules.example.json", import.meta.url);
    const config = loadConfig({ ...gateway, GATEHOUSE_ACCESS_RULES: sample.pathname });
    const decide = createAccessPolicy([], config.gateway?.accessRules);
    expect(decide("/static/app.css", null)).toBe("public");
    expect(decide("/admin/users", admin)).toBe("allow");
    expect(decide("/admin/users", staff)).toBe("deny");
    expect(decide("/reports/quarterly", { username: "Bob", groups: [] })).toBe("allow");
    expect(decide("/app/orders", staff)).toBe("allow");
    expect(decide("/app/orders", alice)).toBe("deny");
    expect(decide("/elsewhere", admin)).toBe("deny");
    // docs/gateway.md ("Who can get in") quotes the sample as it is.
    expect(readFileSync(new URL("../../docs/gateway.md", import.meta.url), "utf8")).toContain(readFileSync(sample, "utf8"));
  });

  it("a file with a problem stops startup with one line naming the variable, the file and the problem", () => {
    const file = rulesFile("bad.json", '{"default": "deny", "rules": [{"paths": ["/a"], "groups": ["x"], "colour": "red"}]}');
    expect(() => loadConfig({ ...gateway, GATEHOUSE_ACCESS_RULES: file })).toThrow(ConfigError);
    expect(() => loadConfig({ ...gateway, GATEHOUSE_ACCESS_RULES: file })).toThrow(
      new ConfigError(`GATEHOUSE_ACCESS_RULES: ${file}: rules[0]: unknown field "colour"`),
    );
  });

  it("a missing file stops startup with one line", () => {
    const file = join(folder, "missing.json");
    expect(() => loadConfig({ ...gateway, GATEHOUSE_ACCESS_RULES: file })).toThrow(new ConfigError(`GATEHOUSE_ACCESS_RULES: cannot read ${file} (ENOENT)`));
  });

  it("is refused without the gateway, where no rule would ever apply", () => {
    const file = rulesFile("ok.json", '{"default": "deny", "rules": []}');
    expect(() => loadConfig({ GATEHOUSE_ACCESS_RULES: file })).toThrow(/GATEHOUSE_ACCESS_RULES needs GATEHOUSE_UPSTREAM or GATEHOUSE_FORWARD_AUTH=true/);
  });
});
