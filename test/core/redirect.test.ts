// R45: `next` after sign-in. A same-origin path, or a URL on a configured return host (forward
// auth across subdomains); every open-redirect spelling falls back to "/".
import { describe, expect, it } from "vitest";
import { NO_RETURN_HOSTS, safeNextPath, safeNextTarget, type ReturnHosts } from "../../src/core/redirect.js";

const RETURN_HOSTS: ReturnHosts = { scheme: "https:", hosts: new Set(["app.example.com", "wiki.example.com:8443"]) };

describe("safeNextTarget with return hosts app.example.com and wiki.example.com:8443", () => {
  it.each([
    ["https://app.example.com/x?y=1", "https://app.example.com/x?y=1"],
    ["https://app.example.com", "https://app.example.com/"],
    ["https://app.example.com/", "https://app.example.com/"],
    ["https://APP.Example.COM/x", "https://app.example.com/x"],
    ["HTTPS://app.example.com/x", "https://app.example.com/x"],
    ["https://wiki.example.com:8443/page", "https://wiki.example.com:8443/page"],
    ["https://app.example.com/caf%C3%A9?q=%26", "https://app.example.com/caf%C3%A9?q=%26"],
    ["https://app.example.com/café", "https://app.example.com/caf%C3%A9"],
    ["/private?x=1&y=2", "/private?x=1&y=2"],
  ])("accepts %j as %j", (raw, expected) => {
    expect(safeNextTarget(raw, RETURN_HOSTS)).toBe(expected);
  });

  it.each([
    // Suffix and prefix tricks: the host must be exactly a listed one.
    "https://app.example.com.evil.com/x",
    "https://evilapp.example.com/x",
    "https://example.com/x",
    "https://app.example.com./x",
    // Userinfo: the real host is after the '@'.
    "https://evil.com@app.example.com/x",
    "https://app.example.com@evil.com/x",
    "https://app.example.com:@evil.com/x",
    // Backslashes: browsers read '\' as '/', so this is evil.com with a path.
    "https://app.example.com\\@evil.com/x",
    "https:\\\\app.example.com/x",
    "https://app.example.com\\evil.com",
    // Protocol-relative and malformed schemes.
    "//app.example.com/x",
    "///app.example.com/x",
    "https:/app.example.com/x",
    "https:app.example.com/x",
    "/\\app.example.com/x",
    // Other schemes.
    "http://app.example.com/x",
    "javascript:alert(1)",
    "javascript://app.example.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://app.example.com/x",
    // Ports: only as listed.
    "https://app.example.com:443/x",
    "https://app.example.com:8443/x",
    "https://wiki.example.com/page",
    "https://wiki.example.com:08443/page",
    // IDN and escapes: a look-alike Unicode host, its punycode, and encoded hosts.
    "https://аpp.example.com/x",
    "https://xn--pp-8cd.example.com/x",
    "https://app%2eexample.com/x",
    "https://app.example.com%2f@evil.com/x",
    "https%3A%2F%2Fapp.example.com%2Fx",
    "https://[::1]/x",
    "https://127.0.0.1/x",
    // Control characters and whitespace anywhere, raw or encoded once.
    "https://app.example.com/x\ty",
    "https://app.example.com/%09/evil.com",
    "https://app.example.com/x%0d%0aSet-Cookie:a=b",
    " https://app.example.com/x",
    "https://app.example.com /x",
    // A path on the return host that a browser reads as protocol-relative.
    "https://app.example.com//evil.com/x",
    "https://app.example.com/%2F%2Fevil.com",
    // Fragments and queries without a path: never produced by gatehouse.
    "https://app.example.com?x=1",
    "https://app.example.com#x",
    // Malformed escapes, lone surrogates, over-long values, non-strings.
    "https://app.example.com/%E0%A4%A",
    "https://app.example.com/\uD800",
    `https://app.example.com/${"a".repeat(2100)}`,
  ])("refuses %j", (raw) => {
    expect(safeNextTarget(raw, RETURN_HOSTS)).toBe("/");
  });

  it.each([undefined, null, 42, ["https://app.example.com/"], ""])("refuses the non-string or empty %j", (raw) => {
    expect(safeNextTarget(raw, RETURN_HOSTS)).toBe("/");
  });

  it("an http:// gatehouse accepts http:// return URLs and no https:// ones", () => {
    const plain: ReturnHosts = { scheme: "http:", hosts: new Set(["app.example.com"]) };
    expect(safeNextTarget("http://app.example.com/x", plain)).toBe("http://app.example.com/x");
    expect(safeNextTarget("https://app.example.com/x", plain)).toBe("/");
  });

  it("every accepted URL parses (WHATWG URL) to the listed host, without credentials", () => {
    for (const raw of ["https://app.example.com/x?y=1", "https://APP.example.com/a/b;c?d#e", "https://wiki.example.com:8443/"]) {
      const url = new URL(safeNextTarget(raw, RETURN_HOSTS));
      expect(RETURN_HOSTS.hosts.has(url.port ? `${url.hostname}:${url.port}` : url.hostname), raw).toBe(true);
      expect(url.username + url.password).toBe("");
    }
  });
});

describe("safeNextPath and no return hosts (the default)", () => {
  it("refuses every absolute URL, also on a host that would be a return host", () => {
    for (const raw of ["https://app.example.com/x", "http://app.example.com/x"]) {
      expect(safeNextPath(raw)).toBe("/");
      expect(safeNextTarget(raw, NO_RETURN_HOSTS)).toBe("/");
    }
  });

  it("keeps same-origin paths with their whole query", () => {
    expect(safeNextPath("/private?x=1&y=2")).toBe("/private?x=1&y=2");
    expect(safeNextPath("/a/é")).toBe("/a/%C3%A9");
  });
});
