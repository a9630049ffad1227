// docs/openapi.json describes the JSON API as it answers: every endpoint is driven through the
// real app, to success and to each refusal the document lists (but 503, an outage), and every
// answer is checked against the document: a documented status for that operation, its JSON body
// valid for the documented schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses), its required
// headers present and valid. Requests that succeed are checked against the documented body too.
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_HEADERS, addUser, HEADERS_WITHOUT_REQUEST_HEADER, APIClient, backAtChallenge, enrollByAPI, json, type APIExchange } from "../support/api-client.js";
import { buildTestApp, codeAt, STRONG_PASSWORD, type TestApp } from "../support/app.js";
import { wrongCodeAt } from "./helpers.js";

// ajv-formats is CommonJS: its default export arrives as the module or under .default.
type AddFormats = (typeof import("ajv-formats"))["default"];
const addFormats: AddFormats =
  typeof addFormatsModule === "function" ? addFormatsModule : (addFormatsModule as unknown as { default: AddFormats }).default;

interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { $ref?: string; headers?: Record<string, HeaderObject> }>;
}
interface HeaderObject {
  $ref?: string;
  required?: boolean;
}

const DOC_ID = "openapi.json";
const doc = JSON.parse(readFileSync(new URL("../../docs/openapi.json", import.meta.url), "utf8")) as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
};

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// The document's own fields, which are not JSON Schema keywords: refs point into them.
ajv.addVocabulary(["openapi", "info", "servers", "paths", "components"]);
ajv.addSchema(doc, DOC_ID);

const escape = (part: string) => part.replace(/~/g, "~0").replace(/\//g, "~1");
const JSON_MEDIA = escape("application/json");

function at(pointer: string): unknown {
  return pointer
    .slice(2)
    .split("/")
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
}

/** A $ref followed to the pointer it names (one level: the document's refs are not chained). */
function pointerOf(pointer: string): string {
  const ref = (at(pointer) as { $ref?: string }).$ref;
  return ref ?? pointer;
}

const validators = new Map<string, ValidateFunction>();
function validatorAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOC_ID}${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

function expectValid(pointer: string, value: unknown, what: string) {
  const validate = validatorAt(pointer);
  expect(validate(value), `${what}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** Every (operation, status) answered so far, as "post /login 200". */
const answered = new Set<string>();

function checkAgainstDocument({ method, path, sent, res }: APIExchange) {
  const verb = method.toLowerCase();
  const what = `${method} ${path} ${res.statusCode}`;
  const operation = doc.paths[path]?.[verb];
  expect(operation, `${method} ${path} is not in docs/openapi.json`).toBeDefined();
  const status = String(res.statusCode);
  expect(Object.keys(operation!.responses), `${what}: status not documented`).toContain(status);
  answered.add(`${verb} ${path} ${status}`);

  const response = pointerOf(`#/paths/${escape(path)}/${verb}/responses/${status}`);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expectValid(`${response}/content/${JSON_MEDIA}/schema`, json(res), `${what} body`);
  const headers = (at(response) as { headers?: Record<string, HeaderObject> }).headers ?? {};
  for (const name of Object.keys(headers)) {
    const header = pointerOf(`${response}/headers/${escape(name)}`);
    const value = res.headers[name.toLowerCase()];
    if ((at(header) as HeaderObject).required) expect(value, `${what}: header ${name}`).toBeDefined();
    if (typeof value === "string") expectValid(`${header}/schema`, value, `${what} header ${name}`);
  }
  if (res.statusCode === 200 && operation!.requestBody) {
    expectValid(`#/paths/${escape(path)}/${verb}/requestBody/content/${JSON_MEDIA}/schema`, sent, `${what} request`);
  }
}

const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([verb, operation]) => ({ path, verb, operation })),
);
const posts = operations.filter(({ verb }) => verb === "post");
const documents = (status: string) => operations.filter(({ operation }) => status in operation.responses);

let t: TestApp;
const newAPI = () => new APIClient(t.client(), "/api", checkAgainstDocument);

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe("docs/openapi.json", () => {
  it("is an OpenAPI 3.1 document whose schemas compile", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    for (const { path, verb, operation } of operations) {
      for (const status of Object.keys(operation.responses)) {
        validatorAt(`${pointerOf(`#/paths/${escape(path)}/${verb}/responses/${status}`)}/content/${JSON_MEDIA}/schema`);
      }
    }
  });

  it("describes the whole sign-in by JSON as the app answers it", async () => {
    await addUser(t, "alice");
    const api = newAPI();
    await api.get("/session");
    await api.post("/login", { username: "alice", password: STRONG_PASSWORD, next: "/reports" });
    await api.get("/session");
    const { secret } = json(await api.get("/2fa/setup")) as { secret: string };
    const { secret: renewed } = json(await api.post("/2fa/setup/new")) as { secret: string };
    expect(renewed).not.toBe(secret);
    await api.post("/2fa/setup", { code: codeAt(renewed, t.clock.ms) });
    await api.get("/2fa/authenticators");
    await api.post("/2fa/recovery-codes", { code: wrongCodeAt(renewed, t.clock.ms) });
    t.clock.advanceSeconds(30);
    const { recoveryCodes } = json(await api.post("/2fa/recovery-codes", { code: codeAt(renewed, t.clock.ms) })) as { recoveryCodes: string[] };
    await backAtChallenge(t, api, "alice");
    await api.post("/2fa/recovery", { recoveryCode: recoveryCodes[0] });
    await backAtChallenge(t, api, "alice");
    await api.post("/2fa/challenge", { code: codeAt(renewed, t.clock.ms), remember: false });
    t.clock.advanceSeconds(30);
    await api.post("/2fa/disable", { password: STRONG_PASSWORD, code: codeAt(renewed, t.clock.ms) });
    await api.post("/logout");
  });

  it("describes the refusals of every POST: no header, a form body, broken JSON, too large", async () => {
    const api = newAPI();
    for (const { path } of posts) {
      await api.raw(path, { method: "POST", payload: "{}", headers: HEADERS_WITHOUT_REQUEST_HEADER });
      await api.raw(path, { method: "POST", payload: "code=1", headers: { ...API_HEADERS, "content-type": "application/x-www-form-urlencoded" } });
      await api.raw(path, { method: "POST", payload: "{", headers: API_HEADERS });
      await api.raw(path, { method: "POST", payload: JSON.stringify({ code: "1".repeat(20_000) }), headers: API_HEADERS });
    }
  });

  it("describes the answers to nobody signed in, and to a wrong password", async () => {
    const api = newAPI();
    for (const { path, verb } of documents("401")) {
      if (verb === "get") await api.get(path);
      else await api.post(path, path === "/login" ? { username: "nobody", password: "a-wrong-password" } : { code: "123456", recoveryCode: "ZZZZZ-ZZZZ0", password: "p" });
    }
  });

  it("describes the answers at the wrong step (409, with the step)", async () => {
    await addUser(t, "bob");
    const signedIn = newAPI();
    await enrollByAPI(t, signedIn, "bob");
    const challenged = newAPI();
    await challenged.post("/login", { username: "bob", password: STRONG_PASSWORD });
    // The account's own endpoints for the visitor still at the challenge; the sign-in's for the signed-in one.
    const needFullSignIn = new Set(["/2fa/authenticators", "/2fa/recovery-codes", "/2fa/disable"]);
    for (const { path, verb } of documents("409")) {
      const api = needFullSignIn.has(path) ? challenged : signedIn;
      if (verb === "get") await api.get(path);
      else await api.post(path, { code: "000000", recoveryCode: "ZZZZZ-ZZZZ0", password: STRONG_PASSWORD });
    }
  });

  it("describes the throttles' 429 with Retry-After", async () => {
    await addUser(t, "carol");
    const login = newAPI();
    for (let i = 0; i < 11; i++) await login.post("/login", { username: "carol", password: "a-wrong-password" });

    await addUser(t, "dave");
    const enrolling = newAPI();
    await enrolling.post("/login", { username: "dave", password: STRONG_PASSWORD });
    const { secret: daveKey } = json(await enrolling.get("/2fa/setup")) as { secret: string };
    for (let i = 0; i < 6; i++) await enrolling.post("/2fa/setup", { code: wrongCodeAt(daveKey, t.clock.ms) });

    await addUser(t, "erin");
    const signedIn = newAPI();
    const { secret } = await enrollByAPI(t, signedIn, "erin");
    const challenged = newAPI();
    t.clock.advanceSeconds(30);
    await challenged.post("/login", { username: "erin", password: STRONG_PASSWORD });
    for (let i = 0; i < 6; i++) await challenged.post("/2fa/challenge", { code: wrongCodeAt(secret, t.clock.ms) });
    await challenged.post("/2fa/recovery", { recoveryCode: "ZZZZZ-ZZZZ0" });
    await signedIn.post("/2fa/recovery-codes", { code: codeAt(secret, t.clock.ms) });
    await signedIn.post("/2fa/disable", { password: STRONG_PASSWORD, code: codeAt(secret, t.clock.ms) });
  });

  it("has been shown every status it documents for every operation, but the outage's 503", () => {
    const documented = operations.flatMap(({ path, verb, operation }) =>
      Object.keys(operation.responses)
        .filter((status) => status !== "503")
        .map((status) => `${verb} ${path} ${status}`),
    );
    expect(documented.filter((answer) => !answered.has(answer))).toEqual([]);
  });
});
