// The sign-in flow's decisions (src/core/sign-in.ts, account-changes.ts, password-step.ts) on
// their own, over the in-memory ports: which step a visit is at, which session level each step
// issues (R32, R55), what a remembered browser skips (R46), what shows once (R19, R23), and what
// a factor change ends (R37, R47). The web layer only applies these decisions.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import type { SessionWithUser } from "../../src/core/ports.js";
import type { SignInDecision, Visit } from "../../src/core/sign-in.js";
import { buildCore, codeAt, MINUTE, ORIGIN, type Core } from "../support/core-services.js";

const PASSWORD = "correct horse battery staple";

async function visitOf(core: Core, decision: SignInDecision): Promise<SessionWithUser> {
  const visit = await core.sessions.resolveWithUser(decision.sessionToken);
  if (!visit) throw new Error("the decision's session does not resolve");
  return visit;
}

/** Registers alice, enrolls her through the flow, and signs her out: the first visit's key. */
async function enrolledAlice(core: Core) {
  const registered = await core.passwordStep.register(null, { username: "alice", password: PASSWORD, invitation: undefined, nextPath: "/reports" }, ORIGIN);
  const enrolling = await core.signIn.enrollment(await visitOf(core, registered));
  if (!("mode" in enrolling)) throw new Error("a new account enrolls");
  const key = await core.signIn.setupKey(enrolling.visit);
  const confirmed = await core.signIn.confirmEnrollment(enrolling, codeAt(key, core.clock.ms), ORIGIN);
  const signedIn = await visitOf(core, confirmed);
  const recoveryCodes = await core.signIn.takeRecoveryCodes(signedIn);
  await core.signIn.signOut(signedIn, ORIGIN);
  core.clock.advance(MINUTE);
  return { key, recoveryCodes: recoveryCodes ?? [] };
}

const withPassword = (core: Core, visit: Visit = null, rememberedTokens: string[] = []) =>
  core.passwordStep.withPassword(visit, { username: "alice", password: PASSWORD, nextPath: "/reports", rememberedTokens }, ORIGIN);

describe("the sign-in flow's decisions", () => {
  it("registration issues a password-only session that is sent to enroll, and enrolling makes it full and shows the codes once", async () => {
    const core = buildCore();
    const registered = await core.passwordStep.register(null, { username: "alice", password: PASSWORD, invitation: undefined, nextPath: "/reports" }, ORIGIN);
    expect(registered.go).toEqual({ page: "enroll", target: "/reports" });
    const pending = await visitOf(core, registered);
    expect(pending.session.level).toBe("pending");
    expect(core.signIn.stepOf(pending)).toBe("enroll");
    expect(core.signIn.atStep(pending, "done", "/reports")).toEqual({ go: { page: "enroll", target: "/reports" } });

    const enrolling = await core.signIn.enrollment(pending);
    if (!("mode" in enrolling)) throw new Error("a new account enrolls");
    const key = await core.signIn.setupKey(enrolling.visit);
    const confirmed = await core.signIn.confirmEnrollment(enrolling, codeAt(key, core.clock.ms), ORIGIN);
    expect(confirmed.go.page).toBe("recovery-codes");
    // R32: a new token; the pending one opens nothing now.
    expect(await core.sessions.resolveWithUser(registered.sessionToken)).toBeNull();
    const full = await visitOf(core, confirmed);
    expect(core.signIn.stepOf(full)).toBe("done");
    expect(full.session.nextPath).toBe("/reports");
    expect(await core.signIn.takeRecoveryCodes(full)).toHaveLength(10);
    expect(await core.signIn.takeRecoveryCodes(full), "R19: shown once").toBeUndefined();
  });

  it("the password of an enrolled account issues a pending session at the challenge; the right code a new full one", async () => {
    const core = buildCore();
    const { key } = await enrolledAlice(core);
    const passed = await withPassword(core);
    expect(passed.go).toEqual({ page: "challenge", target: "/reports" });
    const pending = await visitOf(core, passed);
    expect(pending.session.level).toBe("pending");

    const done = await core.signIn.withCode(pending, codeAt(key, core.clock.ms), undefined, ORIGIN);
    expect(done.go).toEqual({ page: "done", target: "/reports" });
    expect(done.rememberToken).toBeUndefined();
    expect(await core.sessions.resolveWithUser(passed.sessionToken), "R32: the pending token is gone").toBeNull();
    expect((await visitOf(core, done)).session.level).toBe("full");
  });

  it("a wrong code leaves the session pending and issues nothing", async () => {
    const core = buildCore();
    await enrolledAlice(core);
    const pending = await visitOf(core, await withPassword(core));
    await expect(core.signIn.withCode(pending, "000000", undefined, ORIGIN)).rejects.toMatchObject({ code: ErrorCode.INVALID_CODE });
    expect((await core.sessions.resolveWithUser((await withPassword(core)).sessionToken))?.session.level).toBe("pending");
  });

  it("R46: a browser remembered at the code skips it next time, for its own user only, and a new phone forgets it", async () => {
    const core = buildCore();
    const { key } = await enrolledAlice(core);
    const pending = await visitOf(core, await withPassword(core));
    const remembered = await core.signIn.withCode(pending, codeAt(key, core.clock.ms), "Firefox on Linux", ORIGIN);
    const token = remembered.rememberToken;
    if (!token) throw new Error("remember was asked for");

    const skipped = await withPassword(core, null, [token]);
    expect(skipped.go).toEqual({ page: "done", target: "/reports" });
    expect((await visitOf(core, skipped)).session.level).toBe("full");

    // "I have a new phone" with the password and a code: every remembered browser goes (R47).
    core.clock.advance(MINUTE);
    const visit = await visitOf(core, skipped);
    const started = await core.accountChanges.startNewPhone(visit, { password: PASSWORD, code: codeAt(key, core.clock.ms) }, ORIGIN);
    expect(started.go.page).toBe("enroll");
    const enrolling = await core.signIn.enrollment(await visitOf(core, started));
    if (!("mode" in enrolling)) throw new Error("the new-phone session enrolls");
    expect(enrolling.mode.kind).toBe("replace");
    const newKey = await core.signIn.setupKey(enrolling.visit);
    await core.signIn.confirmEnrollment(enrolling, codeAt(newKey, core.clock.ms), ORIGIN);
    expect((await withPassword(core, null, [token])).go.page).toBe("challenge");
  });

  it("R23: a recovery code signs in and leaves a notice saying how many are left, taken once", async () => {
    const core = buildCore();
    const { recoveryCodes } = await enrolledAlice(core);
    const pending = await visitOf(core, await withPassword(core));
    const done = await core.signIn.withRecoveryCode(pending, recoveryCodes[0]!, ORIGIN);
    expect(done.recoveryCodesLeft).toBe(9);
    const full = await visitOf(core, done);
    expect(await core.signIn.takeNotice(full)).toBe("You signed in with a recovery code; 9 codes are left.");
    expect(await core.signIn.takeNotice(full)).toBeUndefined();
  });

  it("R37: turning 2FA off asks for the password and a code, ends every other session, and the next sign-in enrolls again", async () => {
    const core = buildCore();
    const { key } = await enrolledAlice(core);
    const here = await visitOf(core, await core.signIn.withCode(await visitOf(core, await withPassword(core)), codeAt(key, core.clock.ms), undefined, ORIGIN));
    core.clock.advance(MINUTE);
    const elsewhere = await core.signIn.withCode(await visitOf(core, await withPassword(core)), codeAt(key, core.clock.ms), undefined, ORIGIN);
    core.clock.advance(MINUTE);

    await expect(
      core.accountChanges.disableTwoFactor(here, { password: "wrong password", code: codeAt(key, core.clock.ms) }, ORIGIN),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_CREDENTIALS });
    const off = await core.accountChanges.disableTwoFactor(here, { password: PASSWORD, code: codeAt(key, core.clock.ms) }, ORIGIN);
    expect(off.go.page).toBe("account");
    expect(await core.sessions.resolveWithUser(elsewhere.sessionToken), "the other session ended").toBeNull();
    expect(await core.sessions.resolveWithUser(off.sessionToken)).not.toBeNull();
    expect((await withPassword(core)).go.page).toBe("enroll");
  });

  it("a host app's user enters after the host's own first factor, with an account made on the way", async () => {
    const core = buildCore();
    const holder = { id: "host-7", username: "grace@example.com" };
    const decision = await core.signIn.firstFactorPassed(null, { holder, nextPath: "/", rememberedTokens: [] }, ORIGIN);
    expect(decision.go.page).toBe("enroll");
    expect((await visitOf(core, decision)).user).toEqual(holder);
    expect(await core.store.users.findUserById(holder.id), "no app user is made for a host's user").toBeNull();
  });

  it("signing out ends the session and clears the cookie; anyone else is simply at the password step", async () => {
    const core = buildCore();
    await enrolledAlice(core);
    const visit = await visitOf(core, await withPassword(core));
    expect(await core.signIn.signOut(visit, ORIGIN)).toEqual({ signedOut: true, go: { page: "signed-out", target: "/" } });
    expect(core.signIn.stepOf(null)).toBe("password");
    expect(await core.signIn.enrollment(null)).toEqual({ go: { page: "password", target: "/" } });
  });
});
