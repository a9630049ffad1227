// InvitationStore in memory (src/store/invitations.ts): one invitation creates at most one
// account, and a refused registration writes nothing.
import type { InvitationRecord, InvitationStore } from "../../../src/core/ports.js";
import { compare, copy, insertNew, type MemoryTables } from "./tables.js";
import { insertUser } from "./users.js";

/** Not used, not revoked, not expired. */
const isUsable = (invitation: InvitationRecord, now: number) =>
  invitation.usedAt === null && invitation.revokedAt === null && invitation.expiresAt > now;

export function createInvitationStore(tables: MemoryTables): InvitationStore {
  const { invitations } = tables;
  const byToken = (tokenHash: string) => [...invitations.values()].find((invitation) => invitation.tokenHash === tokenHash);

  return {
    async createInvitation(record) {
      if (byToken(record.tokenHash)) throw new Error("unique violation: token hash");
      insertNew(invitations, record.id, copy(record));
    },

    async findUsableInvitation(tokenHash, now) {
      const invitation = byToken(tokenHash);
      return invitation && isUsable(invitation, now) ? copy(invitation) : null;
    },

    async createInvitedUser(user, tokenHash, now) {
      const invitation = byToken(tokenHash);
      // An invitation that names a user is for that user's key only.
      const forThisUser = invitation?.usernameKey === null || invitation?.usernameKey === user.usernameKey;
      if (!invitation || !isUsable(invitation, now) || !forThisUser) return "invitation-unusable";
      // A taken name writes nothing: the invitation stays usable.
      if (!insertUser(tables, user)) return "username-taken";
      Object.assign(invitation, { usedAt: now, usedByUserId: user.id });
      return "created";
    },

    async listInvitations() {
      return [...invitations.values()].sort((x, y) => y.createdAt - x.createdAt || compare(x.id, y.id)).map(copy);
    },

    async revokeInvitation(id, now) {
      const invitation = invitations.get(id);
      if (!invitation || !isUsable(invitation, now)) return false;
      invitation.revokedAt = now;
      return true;
    },
  };
}
