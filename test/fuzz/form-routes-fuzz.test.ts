// Property-based fuzzing of every form route (the contract's six plus /2fa/setup/new) in every
// sign-in state, and of the GET routes' query strings (contract: "Never 500 for anything a client
// sends"; style rule 9: bad client input never throws past the boundary).
// Bodies are arbitrary text, raw bytes, or field dictionaries (known and random names, hostile
// values, encoded or not), sent with or without a valid _csrf, under random content types,
// Origins and client addresses. Every answer must be one of the contract's statuses, as an HTML
// page or a same-origin redirect (R45), and no one but an enrolling visitor ever sees a setup key
// (R25, R26). 200 runs per route and state keep the file around 20 seconds.
import type { LightMyRequestResponse } from "fastify";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../support/app.js";
import { cookieHeader, FORM, ORIGIN, serverSession, SIGN_IN_STATES, visitorIn, type SignInState, type Visitor } from "./support.js";

const NUM_RUNS = 200;
const FORM_ROUTES = ["/register", "/login", "/2fa/setup", "/2fa/setup/new", "/2fa", "/2fa/recovery", "/logout"] as const;
/** Contract: success 303, malformed 400, wrong credential 401, CSRF 403, size 413, type 415, throttled 429. */
const FORM_STATUSES = [303, 400, 401, 403, 413, 415, 429];

// ---- arbitraries -------------------------------------------------------------------------

const printableASCII = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 4 });
const anyText = (maxLength: number) =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: "binary", maxLength }), fc.string({ unit: "grapheme", maxLength }));

const fieldName = fc.oneof(
  { arbitrary: fc.constantFrom("username", "password", "otp", "recovery_code", "next", "remember", "_csrf"), weight: 6 },
  { arbitrary: anyText(12), weight: 2 },
  { arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "username[]", "otp[0]", ""), weight: 1 },
);

const fieldValue = fc.oneof(
  { arbitrary: anyText(40), weight: 4 },
  { arbitrary: fc.stringMatching(/^[0-9 ]{0,12}$/), weight: 3 },
  { arbitrary: fc.stringMatching(/^[0-9A-Z]{5}-?[0-9A-Z]{5}$/), weight: 1 },
  { arbitrary: loneSurrogates, weight: 1 },
  {
    arbitrary: fc.constantFrom(
      "",
      "%",
      "%zz",
      "%E0%A4%A",
      "\u0000",
      "٠١٢٣٤٥",
      "１２３４５６",
      "1",
      "//evil.example",
      "/\\evil",
      "javascript:alert(1)",
      "a".repeat(300),
      "1".repeat(70),
      "x".repeat(5000),
    ),
    weight: 2,
  },
);

/** Percent-encodes the UTF-8 bytes (lone surrogates become U+FFFD, as a browser would send). */
function formEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9*\-._]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

type Fields = [string, string][];
type Body = { kind: "text"; text: string } | { kind: "bytes"; bytes: Uint8Array } | { kind: "fields"; fields: Fields; encode: "percent" | "raw" | "json" };

const body: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: anyText(200).map((text) => ({ kind: "text" as const, text })), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: "bytes" as const, bytes })), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("fields" as const),
      fields: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 8 }),
      encode: fc.constantFrom("percent" as const, "percent" as const, "raw" as const, "json" as const),
    }),
    weight: 4,
  },
);

const csrfMode = fc.constantFrom("valid", "valid", "valid", "none", "wrong", "twice");
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom(FORM, `${FORM}; charset=UTF-8`), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      "application/json",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "APPLICATION/X-WWW-FORM-URLENCODED",
      `${FORM}; charset=latin1`,
      "",
      "none",
    ),
    weight: 2,
  },
  { arbitrary: printableASCII, weight: 1 },
);
const origin = fc.oneof(
  { arbitrary: fc.constant(ORIGIN), weight: 6 },
  { arbitrary: fc.constantFrom("none", "null", "http://evil.example", "http://localhost", "https://localhost:80"), weight: 2 },
  { arbitrary: fc.webUrl(), weight: 1 },
  { arbitrary: printableASCII, weight: 1 },
);

/** Plausible values for each of a route's own fields, mixed with the hostile ones. */
const ROUTE_FIELDS: Record<(typeof FORM_ROUTES)[number], Record<string, fc.Arbitrary<string>>> = {
  "/register": {
    username: fc.oneof(fieldValue, fc.stringMatching(/^[A-Za-z0-9._@+-]{1,64}$/)),
    password: fc.oneof(fieldValue, fc.stringMatching(/^[a-z]{4,10}-[a-z]{4,10}-[0-9]{2,4}$/)),
    next: fieldValue,
  },
  "/login": {
    username: fc.oneof(fieldValue, fc.stringMatching(/^[A-Za-z0-9._@+-]{1,64}$/)),
    password: fieldValue,
    next: fc.oneof(fieldValue, fc.webPath()),
  },
  "/2fa/setup": { otp: fc.oneof(fieldValue, fc.stringMatching(/^ ?[0-9]{3} ?[0-9]{3} ?$/)) },
  "/2fa/setup/new": {},
  "/2fa": {
    otp: fc.oneof(fieldValue, fc.stringMatching(/^ ?[0-9]{3} ?[0-9]{3} ?$/)),
    remember: fc.oneof(fc.constant("1"), fieldValue),
  },
  "/2fa/recovery": { recovery_code: fc.oneof(fieldValue, fc.stringMatching(/^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$/)) },
  "/logout": {},
};

/**
 * Requests that pass the CSRF, Origin and content-type gates and carry the route's own fields
 * (each present or left out, with plausible or hostile values, plus stray extras): these reach
 * the handlers. The rest vary everything at once.
 */
function requestFor(route: (typeof FORM_ROUTES)[number]) {
  const ownFields = fc
    .record(ROUTE_FIELDS[route], { requiredKeys: [] })
    .chain((own) =>
      fc
        .array(fc.tuple(fieldName, fieldValue), { maxLength: 2 })
        .map((extra): Fields => [...(Object.entries(own) as Fields), ...extra]),
    );
  const wellFormed: fc.Arbitrary<FuzzRequest> = fc.record({
    body: fc.record({
      kind: fc.constant("fields" as const),
      fields: ownFields,
      encode: fc.constantFrom("percent" as const, "percent" as const, "percent" as const, "raw" as const),
    }),
    csrf: fc.constant("valid"),
    contentType: fc.constantFrom(FORM, `${FORM}; charset=UTF-8`),
    origin: fc.constantFrom(ORIGIN, "none"),
    address: fc.ipV4(),
  });
  const anything: fc.Arbitrary<FuzzRequest> = fc.record({ body, csrf: csrfMode, contentType, origin, address: fc.ipV4() });
  return fc.oneof({ arbitrary: wellFormed, weight: 3 }, { arbitrary: anything, weight: 2 });
}
type FuzzRequest = { body: Body; csrf: string; contentType: string; origin: string; address: string };

// ---- building and checking requests ------------------------------------------------------

function payloadOf(input: FuzzRequest, csrf: string | undefined): string | Buffer {
  const token = input.csrf === "valid" || input.csrf === "twice" ? csrf : input.csrf === "wrong" ? "wrong-token" : undefined;
  const csrfFields: Fields = token ? (input.csrf === "twice" ? [["_csrf", token], ["_csrf", token]] : [["_csrf", token]]) : [];
  const b = input.body;
  if (b.kind === "bytes") return Buffer.concat([Buffer.from(csrfFields.map(([k, v]) => `${k}=${formEncode(v)}&`).join("")), Buffer.from(b.bytes)]);
  if (b.kind === "text") return csrfFields.map(([k, v]) => `${k}=${formEncode(v)}&`).join("") + b.text;
  const fields = [...csrfFields, ...b.fields];
  if (b.encode === "json") return JSON.stringify(Object.fromEntries(fields));
  if (b.encode === "raw") return fields.map(([k, v]) => `${k}=${v}`).join("&");
  return fields.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join("&");
}

function expectContractAnswer(res: LightMyRequestResponse, state: SignInState) {
  expect(res.statusCode).toBeLessThan(500);
  expect(FORM_STATUSES).toContain(res.statusCode);
  if (res.statusCode === 303) {
    // R45: a redirect never leaves the origin.
    expect(res.headers.location).toMatch(/^\/(?![/\\])/);
  } else {
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toMatch(/^<!doctype html>/i);
  }
  // R25, R26: a setup key is shown only to a password-verified visitor who has no factor yet.
  if (state !== "pending-not-enrolled") expect(res.body).not.toMatch(/id="secret-key"|otpauth:\/\//);
}

const LEVEL: Record<SignInState, string | null> = {
  anonymous: null,
  "pending-not-enrolled": "pending",
  "pending-enrolled": "pending",
  full: "full",
};

describe("form routes never answer 5xx, whatever the body, content type, token or Origin", () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  for (const state of SIGN_IN_STATES) {
    for (const route of FORM_ROUTES) {
      it(`POST ${route} (${state}) answers only contract statuses as pages or same-origin redirects`, async () => {
        const app = await buildTestApp();
        t = app;
        let visitor: Visitor = await visitorIn(app, state);

        await fc.assert(
          fc.asyncProperty(requestFor(route), async (input: FuzzRequest) => {
            // A run may have signed the visitor out, in or up: start the next one from `state` again.
            if ((await serverSession(app, visitor.client))?.level !== LEVEL[state] && state !== "anonymous") {
              visitor = await visitorIn(app, state);
            }
            // Keep the second factor checkable so runs reach the code paths, not only the lock.
            if (visitor.userId) await app.store.secondFactorThrottle.reset(visitor.userId);

            const headers: Record<string, string> = {};
            const cookie = cookieHeader(visitor.client);
            if (cookie) headers.cookie = cookie;
            if (input.contentType !== "none") headers["content-type"] = input.contentType;
            if (input.origin !== "none") headers.origin = input.origin;
            const res = await app.app.inject({
              method: "POST",
              url: route,
              headers,
              payload: payloadOf(input, visitor.client.csrf),
              remoteAddress: input.address,
            });
            expectContractAnswer(res, state);
          }),
          { numRuns: NUM_RUNS },
        );
      });
    }
  }
});

describe("GET routes never answer 5xx, whatever the query string", () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const GET_ROUTES = ["/", "/login", "/register", "/2fa", "/2fa/setup", "/2fa/recovery-codes", "/account"];
  // Printable ASCII without '#' (a fragment never reaches a server) and without spaces.
  const queryChar = fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x23).map((c) => String.fromCharCode(c));
  const query = fc.oneof(
    fc.string({ unit: queryChar, maxLength: 60 }),
    fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join("&")),
    fc.constantFrom("next=%", "next=%zz", "next=%E0%A4%A", "next=%00", "next=//evil.example", "next=/%5Cevil", "next=%2F%2Fevil.example", "next=/&next=//x"),
  );

  for (const state of SIGN_IN_STATES) {
    it(`GET routes with arbitrary query strings (${state}) answer a page or a same-origin redirect`, async () => {
      const app = await buildTestApp();
      t = app;
      const visitor = await visitorIn(app, state);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...GET_ROUTES), query, async (route, q) => {
          const res = await app.app.inject({ method: "GET", url: `${route}?${q}`, headers: { cookie: cookieHeader(visitor.client) } });
          expect(res.statusCode).toBeLessThan(500);
          expect([200, 303]).toContain(res.statusCode);
          if (res.statusCode === 303) expect(res.headers.location).toMatch(/^\/(?![/\\])/);
          else expect(res.headers["content-type"]).toMatch(/^text\/html/);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }
});
