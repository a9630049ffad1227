// Registration and the password step (src/core/accounts.ts) against the in-memory store, at a
// fixed clock, with the cheapest Argon2id: the registration rules (R28, R43), one answer for
// every wrong sign-in (R44), the password throttle per username and address (R16, R17), the
// disabled account, password changes and the re-check after the step (R42).
import { beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, ThrottledError } from "../../src/core/errors.js";
import { createPasswordHasher } from "../../src/core/password.js";
import type { RequestOrigin, UserRecord } from "../../src/core/ports.js";
import { buildCore, MINUTE, ORIGIN, T0, type Core } from "../support/core-services.js";

const PASSWORD = "violet-harbor-pancake-42";
const OTHER_ADDRESS: RequestOrigin = { clientAddress: "198.51.100.7", userAgent: "Firefox" };

let core: Core;

beforeEach(() => {
  core = buildCore();
});

const register = (username: string, password = PASSWORD) => core.accounts.register(username, password, { origin: ORIGIN });
const signIn = (username: string, password: string, origin = ORIGIN) => core.accounts.verifyPassword(username, password, origin);
const refusedWith = (code: ErrorCode) => expect.objectContaining({ code });
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe("register (R28, R43)", () => {
  it("creates an account whose password then signs in", async () => {
    const user = await register("Alice");
    expect(user).toMatchObject({ username: "Alice", createdAt: T0, disabledAt: null });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect((await signIn("alice", PASSWORD)).id).toBe(user.id);
    expect(core.events.types()).toEqual(["registered", "password-accepted"]);
  });

  it("refuses a weak password with WEAK_PASSWORD and creates no account", async () => {
    // Too short, on the common-password list, the username itself.
    for (const weak of ["short", "password", "Alice-the-admin"]) {
      await expect(register("alice-the-admin", weak)).rejects.toEqual(refusedWith(ErrorCode.WEAK_PASSWORD));
    }
    expect(await core.store.users.listUsers()).toEqual([]);
  });

  it("refuses a username taken in another case with USERNAME_TAKEN", async () => {
    const first = await register("Alice");
    await expect(register("ALICE")).rejects.toEqual(refusedWith(ErrorCode.USERNAME_TAKEN));
    expect((await core.store.users.listUsers()).map((user) => user.id)).toEqual([first.id]);
  });

  it("refuses an invalid username with INVALID_USERNAME", async () => {
    for (const username of ["", "has space", "alice:admin", "x".repeat(65), "ålice"]) {
      await expect(register(username)).rejects.toEqual(refusedWith(ErrorCode.INVALID_USERNAME));
    }
    expect(await core.store.users.listUsers()).toEqual([]);
  });
});

describe("verifyPassword (R16, R17, R44)", () => {
  let alice: UserRecord;
  beforeEach(async () => {
    alice = await register("alice");
  });

  it("refuses a wrong password with INVALID_CREDENTIALS and records it against the user", async () => {
    await expect(signIn("alice", "wrong-password-1")).rejects.toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
    expect(core.events.recorded.at(-1)).toMatchObject({ type: "password-rejected", userId: alice.id });
  });

  it("R44: answers an unknown username exactly as a wrong password", async () => {
    const unknown = await rejection(signIn("mallory", PASSWORD));
    const wrong = await rejection(signIn("alice", "wrong-password-1"));
    expect(unknown).toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
    expect(unknown).toEqual(wrong);
    expect((unknown as Error).message).toBe((wrong as Error).message);
  });

  it("R16: after 10 failures for a username from one address, in any case, the 11th is refused for 15 minutes, even with the right password", async () => {
    for (let i = 0; i < 10; i++) {
      await expect(signIn(i % 2 ? "alice" : "ALICE", `wrong-password-${i}`)).rejects.toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
    }
    const refused = await rejection(signIn("alice", PASSWORD));
    expect(refused).toBeInstanceOf(ThrottledError);
    expect((refused as ThrottledError).retryAfterSeconds).toBe(15 * 60);
    expect(core.events.types().at(-1)).toBe("password-throttled");
    core.clock.advance(15 * MINUTE);
    expect((await signIn("alice", PASSWORD)).id).toBe(alice.id);
  });

  it("R17: failures from one address do not lock the user out from another", async () => {
    for (let i = 0; i < 10; i++) await expect(signIn("alice", `wrong-password-${i}`)).rejects.toBeDefined();
    await expect(signIn("alice", PASSWORD)).rejects.toBeInstanceOf(ThrottledError);
    expect((await signIn("alice", PASSWORD, OTHER_ADDRESS)).id).toBe(alice.id);
  });

  it("a right password is refunded: successes never count towards the limit", async () => {
    for (let i = 0; i < 9; i++) await expect(signIn("alice", `wrong-password-${i}`)).rejects.toBeDefined();
    for (let i = 0; i < 3; i++) expect((await signIn("alice", PASSWORD)).id).toBe(alice.id);
    // The tenth failure is still checked (and refused as wrong); only the eleventh is throttled.
    await expect(signIn("alice", "wrong-password-9")).rejects.toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
    await expect(signIn("alice", PASSWORD)).rejects.toBeInstanceOf(ThrottledError);
  });

  it("refuses a disabled account with ACCOUNT_DISABLED, but only after the right password", async () => {
    expect(await core.store.users.setDisabled(alice.id, T0)).toBe(true);
    await expect(signIn("alice", "wrong-password-1")).rejects.toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
    await expect(signIn("alice", PASSWORD)).rejects.toEqual(refusedWith(ErrorCode.ACCOUNT_DISABLED));
    expect(core.events.types().at(-1)).toBe("disabled-account-refused");
  });

  it("R42: a hash made with other Argon2 parameters is upgraded on a right password", async () => {
    const older = await createPasswordHasher({ memoryCost: 2048, timeCost: 1, parallelism: 1 }).hash(PASSWORD);
    expect(await core.store.users.updatePasswordHash(alice.id, older)).toBe(true);
    const signedIn = await signIn("alice", PASSWORD);
    expect(signedIn.passwordHash).not.toBe(older);
    expect(core.hasher.needsRehash(signedIn.passwordHash)).toBe(false);
    expect((await core.store.users.findUserById(alice.id))?.passwordHash).toBe(signedIn.passwordHash);
  });

  it("confirmPassword accepts the user's own password and refuses a wrong one (R39)", async () => {
    await expect(core.accounts.confirmPassword(alice, PASSWORD, ORIGIN)).resolves.toBeUndefined();
    await expect(core.accounts.confirmPassword(alice, "wrong-password-1", ORIGIN)).rejects.toEqual(
      refusedWith(ErrorCode.INVALID_CREDENTIALS),
    );
  });
});

describe("changePassword", () => {
  let alice: UserRecord;
  beforeEach(async () => {
    alice = await register("alice");
  });

  it("replaces the password: the old one is refused, the new one signs in", async () => {
    await core.accounts.changePassword(alice, "new-lantern-orchard-7", ORIGIN);
    await expect(signIn("alice", PASSWORD)).rejects.toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
    expect((await signIn("alice", "new-lantern-orchard-7")).id).toBe(alice.id);
    expect(core.events.types()).toContain("password-changed");
  });

  it("refuses a weak new password with WEAK_PASSWORD and keeps the old one", async () => {
    await expect(core.accounts.changePassword(alice, "password", ORIGIN)).rejects.toEqual(refusedWith(ErrorCode.WEAK_PASSWORD));
    expect((await signIn("alice", PASSWORD)).id).toBe(alice.id);
  });
});

describe("confirmStillAdmitted (a change that landed during the password step)", () => {
  let checked: UserRecord;
  beforeEach(async () => {
    await register("alice");
    checked = await signIn("alice", PASSWORD);
  });

  it("passes while the password and the account are as the step found them", async () => {
    await expect(core.accounts.confirmStillAdmitted(checked)).resolves.toBeUndefined();
  });

  it("refuses with INVALID_CREDENTIALS once the password was changed meanwhile", async () => {
    await core.store.users.updatePasswordHash(checked.id, await core.hasher.hash("set-by-an-admin-9"));
    await expect(core.accounts.confirmStillAdmitted(checked)).rejects.toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
  });

  it("refuses with ACCOUNT_DISABLED once the account was disabled meanwhile", async () => {
    await core.store.users.setDisabled(checked.id, T0);
    await expect(core.accounts.confirmStillAdmitted(checked)).rejects.toEqual(refusedWith(ErrorCode.ACCOUNT_DISABLED));
  });

  it("refuses with INVALID_CREDENTIALS once the account was removed meanwhile", async () => {
    await core.store.users.deleteUser(checked.id);
    await expect(core.accounts.confirmStillAdmitted(checked)).rejects.toEqual(refusedWith(ErrorCode.INVALID_CREDENTIALS));
  });
});
