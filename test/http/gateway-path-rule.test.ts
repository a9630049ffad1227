// The gateway's pure rules, one table each: which paths are in normal form (everything else is
// 400), which are gatehouse's, which are public, and which peers are trusted proxies.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePublicPathRules, publicPathMatcher } from "../../src/gateway/public-paths.js";
import { isNormalPath, isUnderPrefix } from "../../src/gateway/request-path.js";
import { trustedProxies } from "../../src/gateway/trusted-proxies.js";

describe("isNormalPath", () => {
  it.each(["/", "/a", "/a/", "/a/b.c", "/.well-known/x", "/a..b", "/...", "/a%20b", "/%C3%A9", "/a%3Fb", "/a;b=1", "/100%25", "/a%25zz"])(
    "%s is in normal form",
    (path) => expect(isNormalPath(path)).toBe(true),
  );

  it.each([
    "", "a", "*", "http://x/a", "//", "//a", "/a//b", "/.", "/..", "/a/.", "/a/..", "/./a", "/../a", "/a/..;x/b", "/a/.;x",
    "/%2e", "/%2E%2E/a", "/.%2e/a", "/%41", "/a%2fb", "/a%2Fb", "/a%5cb", "/a\\b", "/a%00", "/a%", "/a%2", "/a%zz",
    "/a%252e", "/a#b", "/a b", "/a\tb", "/a\u007fb",
  ])("%j is not", (path) => expect(isNormalPath(path)).toBe(false));

  it("a path in normal form has the same segments after decoding its unreserved escapes and resolving dots (property)", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~%;-]{0,6}$/);
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), (segments) => {
        const path = `/${segments.join("/")}`;
        if (!isNormalPath(path)) return;
        const resolved = new URL(path, "http://x.invalid").pathname;
        expect(resolved).toBe(path);
      }),
    );
  });
});

describe("isUnderPrefix", () => {
  it.each([
    ["/.gatehouse", true],
    ["/.gatehouse/", true],
    ["/.gatehouse/login", true],
    ["/.GateHouse/login", true],
    ["/.gatehousex", false],
    ["/x/.gatehouse", false],
  ])("%s → %s", (path, expected) => expect(isUnderPrefix(path, "/.gatehouse")).toBe(expected));
});

describe("public paths", () => {
  const isPublic = publicPathMatcher(parsePublicPathRules(["/static/*", "/healthz", "/a/b/*"]));

  it.each([
    ["/static", true],
    ["/static/", true],
    ["/static/app.css", true],
    ["/static/deep/er.js", true],
    ["/staticfiles", false],
    ["/healthz", true],
    ["/healthz/", false],
    ["/healthz/x", false],
    ["/a/b/c", true],
    ["/a/bc", false],
    ["/", false],
  ])("%s → %s", (path, expected) => expect(isPublic(path)).toBe(expected));
});

describe("trusted proxies", () => {
  const isTrusted = trustedProxies(["10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1"]);

  it.each([
    ["10.1.2.3", true],
    ["::ffff:10.1.2.3", true],
    ["11.0.0.1", false],
    ["192.0.2.7", true],
    ["192.0.2.8", false],
    ["fd12::1", true],
    ["fe80::1", false],
    ["::1", true],
    ["127.0.0.1", false],
    [undefined, false],
    ["not-an-address", false],
  ])("%s → %s", (address, expected) => expect(isTrusted(address)).toBe(expected));

  it("an empty list trusts nobody", () => {
    expect(trustedProxies([])("127.0.0.1")).toBe(false);
  });
});
