// "Remember this browser" (src/core/remembered-devices.ts) against the in-memory store, at a
// fixed clock: a token skips the code only for its own user (R48), only until it expires, and
// not after the user forgets it, forgets them all, or changes their factor (R46, R47).
import { beforeEach, describe, expect, it } from "vitest";
import type { UserRecord } from "../../src/core/ports.js";
import { createRememberedDevices } from "../../src/core/remembered-devices.js";
import { hashSessionToken } from "../../src/core/session-tokens.js";
import { addUser, buildCore, codeAt, DAY, enroll, MINUTE, ORIGIN, type Core } from "../support/core-services.js";

let core: Core;
let alice: UserRecord;
let bob: UserRecord;

beforeEach(async () => {
  core = buildCore({ rememberDeviceMs: 30 * DAY });
  alice = await addUser(core.store, "alice");
  bob = await addUser(core.store, "bob");
});

const remember = (user = alice, label = "Firefox on Linux") => core.devices.remember(user.id, label, ORIGIN);
const isRemembered = (tokens: string[], user = alice) => core.devices.isRemembered(user.id, tokens, ORIGIN);
/** A token shaped like a real one that names no browser. */
const strangerToken = (i: number) => `${i}`.padStart(43, "x");

describe("remember and isRemembered (R46, R48)", () => {
  it("a remembered browser's token is recognised for its user, and only its hash is stored", async () => {
    const token = await remember();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await isRemembered([token])).toBe(true);
    const [stored] = await core.store.devices.listDevices(alice.id, core.clock.ms);
    expect(stored?.tokenHash).toBe(hashSessionToken(token));
    expect(core.events.types()).toEqual(["device-remembered", "remembered-device-accepted"]);
  });

  it("R48: another user's token is refused", async () => {
    const token = await remember(alice);
    expect(await isRemembered([token], bob)).toBe(false);
    expect(core.events.types()).not.toContain("remembered-device-accepted");
  });

  it("a token works until its lifetime ends, and not from then on", async () => {
    const token = await remember();
    core.clock.advance(30 * DAY - 1);
    expect(await isRemembered([token])).toBe(true);
    core.clock.advance(1);
    expect(await isRemembered([token])).toBe(false);
  });

  it("ignores tokens that are not well formed, and looks at no more than 5 tokens of one browser", async () => {
    const token = await remember();
    expect(await isRemembered(["not-a-token", "", token])).toBe(true);
    const others = [1, 2, 3, 4, 5].map(strangerToken);
    expect(await isRemembered([...others.slice(0, 4), token])).toBe(true);
    expect(await isRemembered([...others, token])).toBe(false);
  });

  it("a disabled user's remembered browser skips nothing", async () => {
    const token = await remember();
    await core.store.users.setDisabled(alice.id, core.clock.ms);
    expect(await isRemembered([token])).toBe(false);
  });

  it("lists the user's working browsers, newest first, with labels cut to 120 characters", async () => {
    await remember(alice, "Firefox on Linux");
    core.clock.advance(MINUTE);
    await remember(alice, "x".repeat(500));
    await remember(bob);
    const listed = await core.devices.list(alice.id);
    expect(listed.map((device) => device.label)).toEqual(["x".repeat(120), "Firefox on Linux"]);
  });

  it("refuses a lifetime of nothing or of more than 30 days when it is created", () => {
    const deps = { store: core.store.devices, users: core.store.users, clock: core.clock, random: core.random, events: core.events, newId: () => "id" };
    for (const lifetimeMs of [0, 30 * DAY + 1, Number.NaN]) {
      expect(() => createRememberedDevices({ ...deps, lifetimeMs })).toThrow(TypeError);
    }
  });
});

describe("forget and forgetAll (R47)", () => {
  it("forget ends one browser of the user and leaves the others working", async () => {
    const first = await remember();
    core.clock.advance(MINUTE);
    const second = await remember();
    const [newest, oldest] = await core.devices.list(alice.id);
    expect(oldest?.tokenHash).toBe(hashSessionToken(first));
    await core.devices.forget(alice.id, oldest!.id, ORIGIN);
    expect(await isRemembered([first])).toBe(false);
    expect(await isRemembered([second])).toBe(true);
    expect((await core.devices.list(alice.id)).map((device) => device.id)).toEqual([newest!.id]);
    expect(core.events.types()).toContain("device-forgotten");
  });

  it("a user cannot forget another user's browser", async () => {
    const token = await remember(alice);
    const [device] = await core.devices.list(alice.id);
    await core.devices.forget(bob.id, device!.id, ORIGIN);
    expect(await isRemembered([token])).toBe(true);
    expect(core.events.types()).not.toContain("device-forgotten");
  });

  it("forgetAll ends every browser of the user, no other user's, and a browser remembered afterwards works", async () => {
    const alices = [await remember(alice), await remember(alice)];
    const bobs = await remember(bob);
    await core.devices.forgetAll(alice.id, ORIGIN);
    expect(core.events.recorded.at(-1)).toMatchObject({ type: "device-forgotten", userId: alice.id, detail: { count: 2 } });
    for (const token of alices) expect(await isRemembered([token])).toBe(false);
    expect(await isRemembered([bobs], bob)).toBe(true);
    const later = await remember(alice);
    expect(await isRemembered([later])).toBe(true);
  });
});

describe("a factor change ends every remembered browser (R47)", () => {
  it("confirming a new phone ends the browsers remembered with the old one", async () => {
    await enroll(core, alice);
    const token = await remember();
    const newPhoneSession = { kind: "replace" as const, sessionIdHash: "new-phone".padEnd(64, "0") };
    const newPhone = await core.twoFactor.restartEnrollment(alice.id, alice.username, newPhoneSession);
    // Until the new phone is confirmed, the old factor and its browsers stand (R25).
    expect(await isRemembered([token])).toBe(true);
    await core.twoFactor.confirmEnrollment(alice.id, codeAt(newPhone, core.clock.ms), newPhoneSession, ORIGIN);
    expect(await isRemembered([token])).toBe(false);
    expect(await isRemembered([await remember()])).toBe(true);
  });

  it("turning two-factor off ends every remembered browser", async () => {
    await enroll(core, alice);
    const token = await remember();
    await core.twoFactor.disable(alice.id, ORIGIN);
    expect(await isRemembered([token])).toBe(false);
  });
});
