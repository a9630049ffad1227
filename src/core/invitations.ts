// Who may register (contract: Who may register): anyone (`open`), holders of an invitation
// (`invite`) or nobody (`closed`). An invitation is a one-time URL an administrator hands out
// (`gatehouse user invite`); it works whenever registration is not `closed`.
import { usernameKey } from "./credentials.js";
import { ErrorCode, GatehouseError } from "./errors.js";
import type { Clock, EventOrigin, InvitationRecord, InvitationStore, NewUser, RandomSource, SecurityEventSink } from "./ports.js";
import { createSessionToken, hashSessionToken, isWellFormedToken } from "./session-tokens.js";

export type RegistrationMode = "open" | "invite" | "closed";

export const DEFAULT_INVITATION_DAYS = 7;
export const MAX_INVITATION_DAYS = 365;
const DAY_MS = 86_400_000;

export type InvitationState = "open" | "used" | "expired" | "revoked";

export function invitationState(invitation: InvitationRecord, now: number): InvitationState {
  if (invitation.usedAt !== null) return "used";
  if (invitation.revokedAt !== null) return "revoked";
  return invitation.expiresAt > now ? "open" : "expired";
}

/**
 * Every refusal gets this one answer (contract): a missing, wrong, used, revoked or expired token
 * looks like closed registration, so a guessed token learns nothing.
 */
const registrationClosed = () => new GatehouseError(ErrorCode.REGISTRATION_CLOSED, "Registration is closed on this server.");

/** A new invitation with its token: the token is in this answer only, the store keeps its hash. */
export interface IssuedInvitation {
  token: string;
  invitation: InvitationRecord;
}

/** An invitation as an administrator lists it: never its token. */
export interface ListedInvitation extends InvitationRecord {
  state: InvitationState;
}

/** Who may register, and the one-time invitations an administrator hands out. */
export interface Invitations {
  /** Who may register, as configured. */
  readonly registration: RegistrationMode;
  /**
   * A new invitation valid for `days` (1 to MAX_INVITATION_DAYS), for `username` only when
   * given (INVALID_USERNAME when it cannot be one). The token is returned once and stored only
   * as its SHA-256 (like session tokens, R31: 256 random bits, base64url).
   */
  issue(username: string | null, days: number, origin: EventOrigin): Promise<IssuedInvitation>;
  /**
   * Whether a visitor holding `token` (absent: none) may register: null for open registration,
   * the invitation they hold, or REGISTRATION_CLOSED.
   */
  admit(token: string | undefined): Promise<InvitationRecord | null>;
  /**
   * Creates the user and uses the invitation up, atomically. False when the username is taken
   * (the invitation stays usable); REGISTRATION_CLOSED when the invitation was used meanwhile.
   */
  createInvitedUser(user: NewUser, invitation: InvitationRecord, origin: EventOrigin): Promise<boolean>;
  /** Every invitation the store keeps, newest first, each with its state now. */
  list(): Promise<ListedInvitation[]>;
  /** False when there is no open invitation with this id. */
  revoke(id: string, origin: EventOrigin): Promise<boolean>;
}

export interface InvitationsDeps {
  store: InvitationStore;
  clock: Clock;
  random: RandomSource;
  newId: () => string;
  events: SecurityEventSink;
}

export function createInvitations(deps: InvitationsDeps, options: { registration: RegistrationMode }): Invitations {
  const { store, clock, random, newId, events } = deps;
  return {
    registration: options.registration,

    async issue(username, days, origin) {
      if (!Number.isInteger(days) || days < 1 || days > MAX_INVITATION_DAYS) {
        throw new RangeError(`an invitation lasts 1 to ${MAX_INVITATION_DAYS} days`);
      }
      const key = username === null ? null : usernameKey(username);
      if (username !== null && key === null) {
        throw new GatehouseError(ErrorCode.INVALID_USERNAME, "A username is 1 to 64 letters, digits or . _ @ + - characters.");
      }
      const token = createSessionToken(random);
      const now = clock.now();
      const invitation: InvitationRecord = {
        id: newId(),
        tokenHash: hashSessionToken(token),
        username,
        usernameKey: key,
        createdAt: now,
        expiresAt: now + days * DAY_MS,
        usedAt: null,
        usedByUserId: null,
        revokedAt: null,
      };
      await store.createInvitation(invitation);
      await events.record({
        type: "admin-invitation-created",
        origin,
        detail: { invitationId: invitation.id, username: username ?? "any", expiresAt: invitation.expiresAt },
      });
      return { token, invitation };
    },

    async admit(token) {
      if (options.registration === "closed") throw registrationClosed();
      if (token === undefined || token === "") {
        if (options.registration === "open") return null;
        throw registrationClosed();
      }
      // Anything but a token's shape is not even looked up.
      if (!isWellFormedToken(token)) throw registrationClosed();
      const invitation = await store.findUsableInvitation(hashSessionToken(token), clock.now());
      if (!invitation) throw registrationClosed();
      return invitation;
    },

    async createInvitedUser(user, invitation, origin) {
      const outcome = await store.createInvitedUser(user, invitation.tokenHash, clock.now());
      if (outcome === "invitation-unusable") throw registrationClosed();
      if (outcome === "username-taken") return false;
      await events.record({ type: "invitation-used", origin, userId: user.id, detail: { invitationId: invitation.id } });
      return true;
    },

    async list() {
      const now = clock.now();
      return (await store.listInvitations()).map((invitation) => ({ ...invitation, state: invitationState(invitation, now) }));
    },

    async revoke(id, origin) {
      if (!(await store.revokeInvitation(id, clock.now()))) return false;
      await events.record({ type: "admin-invitation-revoked", origin, detail: { invitationId: id } });
      return true;
    },
  };
}
