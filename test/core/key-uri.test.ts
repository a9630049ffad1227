import fc from "fast-check";
import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import { decodeBase32 } from "../../src/core/base32.js";
import { createTOTPKeyURI, parseTOTPKeyURI } from "../../src/core/key-uri.js";

const SECRET = new TextEncoder().encode("12345678901234567890");

describe("createTOTPKeyURI (R28)", () => {
  it("R28: builds the exact Google Authenticator key URI with %20, %40 and %26 escapes", () => {
    const uri = createTOTPKeyURI({ issuer: "ACME Co & Sons", accountName: "john doe@example.com", secret: SECRET });
    expect(uri).toBe(
      "otpauth://totp/ACME%20Co%20%26%20Sons:john%20doe%40example.com" +
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co%20%26%20Sons&algorithm=SHA1&digits=6&period=30",
    );
  });

  it("R28: never encodes a space as '+'", () => {
    const uri = createTOTPKeyURI({ issuer: "a b", accountName: "c d", secret: SECRET });
    expect(uri).not.toContain("+");
    expect(uri).toContain("a%20b:c%20d");
  });

  it("R3/R4: writes the issued profile and a 32-character unpadded secret for 20 bytes", () => {
    const uri = createTOTPKeyURI({ issuer: "gatehouse", accountName: "alice", secret: SECRET });
    const secret = /[?&]secret=([^&]*)/.exec(uri)?.[1];
    expect(secret).toHaveLength(32);
    expect(secret).not.toContain("=");
    expect(uri).toMatch(/&algorithm=SHA1&digits=6&period=30$/);
  });

  it("escapes non-ASCII names as UTF-8", () => {
    const uri = createTOTPKeyURI({ issuer: "Zürich", accountName: "Ünal", secret: SECRET });
    expect(uri.startsWith("otpauth://totp/Z%C3%BCrich:%C3%9Cnal?")).toBe(true);
  });

  it("produces a URI that the otpauth package reads back with the same fields", () => {
    const uri = createTOTPKeyURI({ issuer: "ACME Co", accountName: "john@example.com", secret: SECRET });
    const parsed = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    expect(parsed.issuer).toBe("ACME Co");
    expect(parsed.label).toBe("john@example.com");
    expect(parsed.secret.base32).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    expect(parsed.digits).toBe(6);
    expect(parsed.period).toBe(30);
  });

  it.each([
    ["an issuer containing ':'", { issuer: "ACME:Co", accountName: "alice" }],
    ["an account name containing ':'", { issuer: "ACME", accountName: "alice:admin" }],
    ["an empty issuer", { issuer: "", accountName: "alice" }],
    ["an empty account name", { issuer: "ACME", accountName: "" }],
    ["a lone surrogate", { issuer: "ACME", accountName: "al\ud800ice" }],
  ])("R28: throws TypeError for %s", (_label, names) => {
    expect(() => createTOTPKeyURI({ ...names, secret: SECRET })).toThrow(TypeError);
  });

  it.each([
    ["an empty secret", { secret: new Uint8Array(0) }],
    ["5 digits", { secret: SECRET, digits: 5 }],
    ["a zero period", { secret: SECRET, periodSeconds: 0 }],
  ])("throws TypeError for %s", (_label, extra) => {
    expect(() => createTOTPKeyURI({ issuer: "ACME", accountName: "alice", ...extra })).toThrow(TypeError);
  });
});

describe("parseTOTPKeyURI", () => {
  const nameArb = fc.string({ minLength: 1, maxLength: 30, unit: "grapheme" }).filter((s) => !s.includes(":"));

  it("reads back whatever createTOTPKeyURI wrote", () => {
    fc.assert(
      fc.property(
        nameArb,
        nameArb,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 6, max: 8 }),
        fc.constantFrom(30, 60),
        fc.constantFrom("SHA1", "SHA256", "SHA512" as const),
        (issuer, accountName, secret, digits, periodSeconds, algorithm) => {
          const uri = createTOTPKeyURI({ issuer, accountName, secret, digits, periodSeconds, algorithm });
          expect(parseTOTPKeyURI(uri)).toEqual({ issuer, accountName, secret, digits, periodSeconds, algorithm });
        },
      ),
    );
  });

  it("fills in the Google Authenticator defaults and accepts a label without an issuer", () => {
    expect(parseTOTPKeyURI("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP")).toEqual({
      issuer: null,
      accountName: "alice",
      secret: decodeBase32("JBSWY3DPEHPK3PXP"),
      digits: 6,
      periodSeconds: 30,
      algorithm: "SHA1",
    });
  });

  it("takes the issuer from the parameter or from the label prefix (encoded colon allowed)", () => {
    expect(parseTOTPKeyURI("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME")?.issuer).toBe("ACME");
    expect(parseTOTPKeyURI("otpauth://totp/ACME%3Aalice?secret=JBSWY3DPEHPK3PXP")).toMatchObject({
      issuer: "ACME",
      accountName: "alice",
    });
  });

  it("accepts lowercase and padded secrets and a lowercase algorithm", () => {
    const parsed = parseTOTPKeyURI("otpauth://totp/A:b?secret=mzxw6ytboi%3D%3D%3D%3D%3D%3D&algorithm=sha256");
    expect(parsed?.secret).toEqual(new TextEncoder().encode("foobar"));
    expect(parsed?.algorithm).toBe("SHA256");
  });

  it.each([
    ["an hotp URI", "otpauth://hotp/A:b?secret=JBSWY3DPEHPK3PXP&counter=0"],
    ["another scheme", "https://totp/A:b?secret=JBSWY3DPEHPK3PXP"],
    ["no query", "otpauth://totp/A:b"],
    ["no secret", "otpauth://totp/A:b?issuer=A"],
    ["an empty secret", "otpauth://totp/A:b?secret="],
    ["an invalid Base32 secret", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PX1"],
    ["an empty account name", "otpauth://totp/A:?secret=JBSWY3DPEHPK3PXP"],
    ["an empty label issuer", "otpauth://totp/:b?secret=JBSWY3DPEHPK3PXP"],
    ["a second colon in the label", "otpauth://totp/A:b:c?secret=JBSWY3DPEHPK3PXP"],
    ["mismatching issuers", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=B"],
    ["an empty issuer parameter", "otpauth://totp/b?secret=JBSWY3DPEHPK3PXP&issuer="],
    ["a duplicate parameter", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP"],
    ["a parameter without '='", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&digits"],
    ["broken percent-encoding", "otpauth://totp/A%E0%A4%A:b?secret=JBSWY3DPEHPK3PXP"],
    ["an unsupported algorithm", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&algorithm=MD5"],
    ["5 digits", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&digits=5"],
    ["non-numeric digits", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&digits=6.0"],
    ["a zero period", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&period=0"],
    ["a negative period", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&period=-30"],
    ["a fragment", "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP#x"],
    ["an overlong URI", `otpauth://totp/A:b?secret=${"A".repeat(8000)}`],
  ])("returns null for %s", (_label, uri) => {
    expect(parseTOTPKeyURI(uri)).toBeNull();
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (suffix) => {
        parseTOTPKeyURI(`otpauth://totp/${suffix}`);
        parseTOTPKeyURI(suffix);
      }),
    );
  });
});
