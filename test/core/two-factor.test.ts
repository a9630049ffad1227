// The two-factor use cases (src/core/two-factor.ts) against the in-memory store, at a fixed clock
// with seeded randomness: enrollment bound to the session that was shown the key (R24, F1), the
// ±1-step code check with its replay guard (R5-R7), the account's throttle (R10-R13), recovery
// codes (R18-R22) and turning 2FA off. Codes come from the RFC 6238 functions of src/core/totp.ts
// at the test's clock, as an authenticator app would compute them.
import { beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, ThrottledError } from "../../src/core/errors.js";
import type { EnrollmentKind, UserRecord } from "../../src/core/ports.js";
import type { EnrollmentMode, EnrollmentView } from "../../src/core/two-factor.js";
import { addUser, buildCore, codeAt, enroll, ENROLLMENT_TTL_MS, MINUTE, ORIGIN, SECOND, type Core } from "../support/core-services.js";

const STEP = 30 * SECOND;

let core: Core;
let alice: UserRecord;

beforeEach(async () => {
  core = buildCore();
  alice = await addUser(core.store, "alice");
});

/** A browser session of the user, shown keys of `kind`. */
const session = (name: string, kind: EnrollmentKind = "first"): EnrollmentMode => ({ kind, sessionIdHash: `session-${name}`.padEnd(64, "0") });

const shownKey = (mode: EnrollmentMode) => core.twoFactor.currentEnrollment(alice.id, alice.username, mode);
const confirm = (input: string, mode: EnrollmentMode) => core.twoFactor.confirmEnrollment(alice.id, input, mode, ORIGIN);
const verify = (input: string) => core.twoFactor.verifyCode(alice.id, input, ORIGIN);
const useRecoveryCode = (input: string, user = alice) => core.twoFactor.useRecoveryCode(user.id, input, ORIGIN);

/** The app's code for `view` at the clock, `offsetMs` away. */
const code = (view: EnrollmentView, offsetMs = 0) => codeAt(view, core.clock.ms + offsetMs);

/** A six-digit code that none of the steps the check accepts (now ±1) shows. */
function wrongCode(view: EnrollmentView): string {
  const accepted = [-STEP, 0, STEP].map((offset) => code(view, offset));
  return ["000000", "111111", "222222", "333333"].find((candidate) => !accepted.includes(candidate))!;
}

const failures = async (user = alice) => (await core.store.secondFactorThrottle.status(user.id)).consecutiveFailures;
const unusedCodes = async (user = alice) => (await core.store.recoveryCodes.listUnused(user.id)).length;
const refusedWith = (code: ErrorCode) => expect.objectContaining({ code });

const enrolled = (user = alice) => enroll(core, user);

describe("enrollment (R24, F1)", () => {
  it("shows one session the same 160-bit key on every reload, and a new one once it expired", async () => {
    const first = await shownKey(session("a"));
    core.clock.advance(ENROLLMENT_TTL_MS - 1);
    expect(await shownKey(session("a"))).toEqual(first);
    expect(first.secretBase32).toHaveLength(32);
    core.clock.advance(1);
    expect((await shownKey(session("a"))).secretBase32).not.toBe(first.secretBase32);
  });

  it("shows each session of the user a key of its own", async () => {
    const mine = await shownKey(session("a"));
    const theirs = await shownKey(session("b"));
    expect(theirs.secretBase32).not.toBe(mine.secretBase32);
    expect((await shownKey(session("a"))).secretBase32).toBe(mine.secretBase32);
  });

  it("a restart gives the session a new secret, and a code of the old one no longer confirms", async () => {
    const old = await shownKey(session("a"));
    const fresh = await core.twoFactor.restartEnrollment(alice.id, alice.username, session("a"));
    expect(fresh.secretBase32).not.toBe(old.secretBase32);
    expect(await shownKey(session("a"))).toEqual(fresh);
    await expect(confirm(code(old), session("a"))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    expect(await core.twoFactor.isEnrolled(alice.id)).toBe(false);
  });

  it("the right code activates the factor and returns 10 distinct recovery codes, stored unused", async () => {
    const view = await shownKey(session("a"));
    const recoveryCodes = await confirm(code(view), session("a"));
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const recoveryCode of recoveryCodes!) expect(recoveryCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(await core.twoFactor.isEnrolled(alice.id)).toBe(true);
    expect(await unusedCodes()).toBe(10);
    expect(await core.store.totp.listPendingEnrollments(alice.id, core.clock.ms)).toEqual([]);
    expect(core.events.types()).toContain("two-factor-enabled");
  });

  it("R7: the code that confirmed the enrollment cannot then be used to sign in", async () => {
    const view = await shownKey(session("a"));
    await confirm(code(view), session("a"));
    await expect(verify(code(view))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    expect(core.events.types()).toContain("second-factor-replayed");
  });

  it("a wrong code is refused and charged, and the key still waits for the right one", async () => {
    const view = await shownKey(session("a"));
    await expect(confirm(wrongCode(view), session("a"))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    expect(await failures()).toBe(1);
    expect(await core.twoFactor.isEnrolled(alice.id)).toBe(false);
    expect(await confirm(code(view), session("a"))).toHaveLength(10);
    expect(await failures()).toBe(0);
  });

  it("an expired key is refused with ENROLLMENT_EXPIRED, even with its right code", async () => {
    const view = await shownKey(session("a"));
    core.clock.advance(ENROLLMENT_TTL_MS);
    await expect(confirm(code(view), session("a"))).rejects.toEqual(refusedWith(ErrorCode.ENROLLMENT_EXPIRED));
    expect(await core.twoFactor.isEnrolled(alice.id)).toBe(false);
  });

  it("F1: a session cannot confirm the key shown to another session of the same user", async () => {
    const victims = await shownKey(session("victim"));
    await expect(confirm(code(victims), session("attacker"))).rejects.toEqual(refusedWith(ErrorCode.ENROLLMENT_EXPIRED));
    // With a key of its own, the other session's code is just a wrong code.
    await shownKey(session("attacker"));
    await expect(confirm(code(victims), session("attacker"))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    expect(await core.twoFactor.isEnrolled(alice.id)).toBe(false);
    expect(await confirm(code(victims), session("victim"))).toHaveLength(10);
  });

  it("a key shown for a first authenticator does not confirm a new-phone enrollment", async () => {
    const view = await shownKey(session("a", "first"));
    await expect(confirm(code(view), session("a", "replace"))).rejects.toEqual(refusedWith(ErrorCode.ENROLLMENT_EXPIRED));
    expect(await core.twoFactor.isEnrolled(alice.id)).toBe(false);
  });

  it("R58: of two sessions confirming their keys at once, exactly one enrolls, and its key is the active one", async () => {
    const modes = [session("a"), session("b")];
    const views = await Promise.all(modes.map((mode) => shownKey(mode)));
    const results = await Promise.allSettled(modes.map((mode, i) => confirm(code(views[i]!), mode)));
    const enrolledBy = results.findIndex((result) => result.status === "fulfilled" && result.value !== null);
    expect(results.filter((result) => result.status === "fulfilled" && result.value !== null)).toHaveLength(1);
    expect(await unusedCodes()).toBe(10);
    core.clock.advance(MINUTE);
    await expect(verify(code(views[1 - enrolledBy]!))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    await expect(verify(code(views[enrolledBy]!))).resolves.toBeUndefined();
  });

  it("R25: a new phone's key replaces the old secret once confirmed; until then the old app still works", async () => {
    const { view: oldPhone } = await enrolled();
    const newPhoneSession = session("new-phone", "replace");
    const newPhone = await core.twoFactor.restartEnrollment(alice.id, alice.username, newPhoneSession);
    expect(await core.twoFactor.hasNewPhoneEnrollment(alice.id, newPhoneSession.sessionIdHash)).toBe(true);
    await expect(verify(code(oldPhone))).resolves.toBeUndefined();
    core.clock.advance(MINUTE);
    expect(await confirm(code(newPhone), newPhoneSession)).toHaveLength(10);
    core.clock.advance(MINUTE);
    await expect(verify(code(oldPhone))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    await expect(verify(code(newPhone))).resolves.toBeUndefined();
    expect(core.events.types()).toContain("two-factor-reenrolled");
  });
});

describe("verifyCode (R5, R6)", () => {
  let view: EnrollmentView;
  beforeEach(async () => {
    ({ view } = await enrolled());
  });

  it("accepts the current code and records the success", async () => {
    await expect(verify(code(view))).resolves.toBeUndefined();
    expect(core.events.types().at(-1)).toBe("second-factor-accepted");
  });

  it("R5: accepts the code of the step before and of the step after (±30 s)", async () => {
    await expect(verify(code(view, -STEP))).resolves.toBeUndefined();
    await expect(verify(code(view, STEP))).resolves.toBeUndefined();
  });

  it("R5: refuses a code two steps away (±60 s), and the refusal moves no replay guard", async () => {
    for (const offset of [-2 * STEP, 2 * STEP]) {
      await expect(verify(code(view, offset))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    }
    await expect(verify(code(view))).resolves.toBeUndefined();
  });

  it("accepts a code typed with spaces", async () => {
    const typed = code(view);
    await expect(verify(` ${typed.slice(0, 3)} ${typed.slice(3)} `)).resolves.toBeUndefined();
  });

  it("R6: a code is accepted once; the same code again, or an earlier step's, is refused as a replay", async () => {
    await verify(code(view));
    await expect(verify(code(view))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    await expect(verify(code(view, -STEP))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    expect(core.events.types().filter((type) => type === "second-factor-replayed")).toHaveLength(2);
  });

  it("R58: of five concurrent verifications of one code, exactly one passes", async () => {
    const typed = code(view);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => verify(typed)));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toEqual(refusedWith(ErrorCode.INVALID_CODE));
    }
  });
});

describe("the account's throttle (R10-R13)", () => {
  let view: EnrollmentView;
  let recoveryCodes: string[];
  beforeEach(async () => {
    ({ view, recoveryCodes } = await enrolled());
  });

  async function failFiveTimes() {
    for (let i = 0; i < 5; i++) await expect(verify(wrongCode(view))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
  }

  it("after 5 wrong codes the 6th attempt is refused for 30 s with ThrottledError, even with the right code", async () => {
    await failFiveTimes();
    const refused = await verify(code(view)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ThrottledError);
    expect((refused as ThrottledError).retryAfterSeconds).toBe(30);
    expect(core.events.types()).toContain("second-factor-locked");
    core.clock.advance(30 * SECOND);
    await expect(verify(code(view))).resolves.toBeUndefined();
  });

  it("R21: recovery codes share the lock: a right recovery code is refused while locked, and stays unused", async () => {
    await failFiveTimes();
    await expect(useRecoveryCode(recoveryCodes[0]!)).rejects.toBeInstanceOf(ThrottledError);
    expect(await unusedCodes()).toBe(10);
  });

  it("R13: a right code resets the count: after 4 failures and a success, 5 more failures come before the lock", async () => {
    for (let i = 0; i < 4; i++) await expect(verify(wrongCode(view))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    await verify(code(view));
    expect(await failures()).toBe(0);
    await failFiveTimes();
    await expect(verify(code(view, STEP))).rejects.toBeInstanceOf(ThrottledError);
  });
});

describe("recovery codes (R18-R22)", () => {
  let recoveryCodes: string[];
  beforeEach(async () => {
    ({ recoveryCodes } = await enrolled());
  });

  it("R20: a recovery code works once and says how many are left", async () => {
    expect(await useRecoveryCode(recoveryCodes[0]!)).toBe(9);
    await expect(useRecoveryCode(recoveryCodes[0]!)).rejects.toEqual(refusedWith(ErrorCode.INVALID_RECOVERY_CODE));
    expect(await useRecoveryCode(recoveryCodes[1]!)).toBe(8);
    expect(core.events.recorded.at(-1)).toMatchObject({ type: "recovery-code-used", detail: { remaining: 8 } });
  });

  it("accepts a recovery code however it is typed: lower case, a space for the hyphen, O for 0, I or l for 1", async () => {
    const typed = recoveryCodes[0]!.toLowerCase().replace("-", " ").replaceAll("0", "o").replaceAll("1", "l");
    expect(await useRecoveryCode(` ${typed} `)).toBe(9);
  });

  it("a wrong or malformed recovery code is refused, charged, and uses up no code", async () => {
    const wrong = ["ZZZZZ-ZZZZZ", "YYYYY-YYYYY"].find((candidate) => !recoveryCodes.includes(candidate))!;
    for (const input of [wrong, "not a code"]) {
      await expect(useRecoveryCode(input)).rejects.toEqual(refusedWith(ErrorCode.INVALID_RECOVERY_CODE));
    }
    expect(await failures()).toBe(2);
    expect(await unusedCodes()).toBe(10);
  });

  it("another user's recovery code is refused and stays usable for its owner", async () => {
    const bob = await addUser(core.store, "bob");
    const { recoveryCodes: bobs } = await enrolled(bob);
    await expect(useRecoveryCode(bobs[0]!)).rejects.toEqual(refusedWith(ErrorCode.INVALID_RECOVERY_CODE));
    expect(await useRecoveryCode(bobs[0]!, bob)).toBe(9);
  });

  it("R22: regenerating replaces every old code: the old ones are refused, the new ones work", async () => {
    const renewed = await core.twoFactor.regenerateRecoveryCodes(alice.id, ORIGIN);
    expect(renewed).toHaveLength(10);
    expect(renewed.filter((c) => recoveryCodes.includes(c))).toEqual([]);
    await expect(useRecoveryCode(recoveryCodes[0]!)).rejects.toEqual(refusedWith(ErrorCode.INVALID_RECOVERY_CODE));
    expect(await useRecoveryCode(renewed[0]!)).toBe(9);
  });
});

describe("verifyCodeOrRecoveryCode (R14, R39)", () => {
  let view: EnrollmentView;
  let recoveryCodes: string[];
  const stepUp = (input: string) => core.twoFactor.verifyCodeOrRecoveryCode(alice.id, input, ORIGIN);
  beforeEach(async () => {
    ({ view, recoveryCodes } = await enrolled());
  });

  it("takes a current code and leaves the recovery codes alone", async () => {
    await expect(stepUp(code(view))).resolves.toBeUndefined();
    expect(await unusedCodes()).toBe(10);
  });

  it("takes an unused recovery code in the same field and uses it up", async () => {
    await expect(stepUp(recoveryCodes[0]!)).resolves.toBeUndefined();
    expect(await unusedCodes()).toBe(9);
    await expect(stepUp(recoveryCodes[0]!)).rejects.toEqual(refusedWith(ErrorCode.INVALID_RECOVERY_CODE));
  });

  it("refuses a wrong code as INVALID_CODE and anything else as INVALID_RECOVERY_CODE, each charged", async () => {
    await expect(stepUp(wrongCode(view))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    await expect(stepUp("password123")).rejects.toEqual(refusedWith(ErrorCode.INVALID_RECOVERY_CODE));
    expect(await failures()).toBe(2);
  });
});

describe("disable", () => {
  it("turns two-factor off with its recovery codes, reports false the second time, and lets the user enroll again", async () => {
    const { view, recoveryCodes } = await enrolled();
    expect(await core.twoFactor.disable(alice.id, ORIGIN)).toBe(true);
    expect(await core.twoFactor.isEnrolled(alice.id)).toBe(false);
    expect(await unusedCodes()).toBe(0);
    await expect(verify(code(view))).rejects.toEqual(refusedWith(ErrorCode.INVALID_CODE));
    await expect(useRecoveryCode(recoveryCodes[0]!)).rejects.toEqual(refusedWith(ErrorCode.INVALID_RECOVERY_CODE));
    expect(await core.twoFactor.disable(alice.id, ORIGIN)).toBe(false);
    expect(core.events.types().filter((type) => type === "two-factor-disabled")).toHaveLength(1);
    const again = await shownKey(session("later"));
    expect(again.secretBase32).not.toBe(view.secretBase32);
    expect(await confirm(code(again), session("later"))).toHaveLength(10);
  });
});
