// UserStore and GroupStore in memory (src/store/users.ts, groups.ts).
import { sortedGroups } from "../../../src/core/groups.js";
import type { GroupStore, NewUser, UserRecord, UserStore } from "../../../src/core/ports.js";
import { compare, copy, deleteWhere, forgetAllDevices, type MemoryTables, type UserRow } from "./tables.js";

const toUser = ({ id, username, passwordHash, createdAt, disabledAt }: UserRow): UserRecord => ({
  id,
  username,
  passwordHash,
  createdAt,
  disabledAt,
});

/**
 * The user and their second-factor account, or false when the username key (or id) is taken,
 * checked and written in one step as the unique index does: of two sign-ups of one name, one
 * wins. Also a registration by invitation's.
 */
export function insertUser(tables: MemoryTables, user: NewUser): boolean {
  const taken = [...tables.users.values()].some((row) => row.usernameKey === user.usernameKey);
  if (taken || tables.users.has(user.id) || tables.accounts.has(user.id)) return false;
  tables.users.set(user.id, { ...copy(user), disabledAt: null });
  tables.accounts.set(user.id, { name: user.username, factorVersion: 0, createdAt: user.createdAt });
  return true;
}

/** The SQL store's ON DELETE CASCADE from the account into every second-factor table. */
function deleteAccount(tables: MemoryTables, userId: string): void {
  const ofUser = (row: { userId: string }) => row.userId === userId;
  tables.accounts.delete(userId);
  tables.factors.delete(userId);
  deleteWhere(tables.pendingEnrollments, ofUser);
  deleteWhere(tables.recoveryCodes, ofUser);
  deleteWhere(tables.sessions, ofUser);
  tables.secondFactorThrottle.delete(userId);
  deleteWhere(tables.devices, ofUser);
}

export function createUserStore(tables: MemoryTables): UserStore {
  const { users } = tables;
  return {
    async createUser(user) {
      return insertUser(tables, user);
    },

    async findUserByUsernameKey(usernameKey) {
      const row = [...users.values()].find((user) => user.usernameKey === usernameKey);
      return row ? toUser(row) : null;
    },

    async findUserById(id) {
      const row = users.get(id);
      return row ? toUser(row) : null;
    },

    async updatePasswordHash(userId, passwordHash, expectedHash) {
      const row = users.get(userId);
      // A compare-and-set when `expectedHash` is given: a password set meanwhile stays.
      if (!row || (expectedHash !== undefined && row.passwordHash !== expectedHash)) return false;
      row.passwordHash = passwordHash;
      return true;
    },

    async listUsers() {
      return [...users.values()].sort((x, y) => compare(x.usernameKey, y.usernameKey)).map(toUser);
    },

    async setDisabled(userId, at) {
      const row = users.get(userId);
      // A second `disable` keeps the first time and reports no change.
      if (!row || (at === null) === (row.disabledAt === null)) return false;
      row.disabledAt = at;
      return true;
    },

    async deleteUser(userId) {
      deleteAccount(tables, userId);
      tables.groups.delete(userId);
      return users.delete(userId);
    },

    async forgetAllDevices(userId) {
      return forgetAllDevices(tables, userId);
    },
  };
}

export function createGroupStore(tables: MemoryTables): GroupStore {
  return {
    async listGroups(userId) {
      return sortedGroups(tables.groups.get(userId) ?? []);
    },

    async setGroups(userId, groups) {
      tables.groups.delete(userId);
      if (groups.length === 0) return;
      // A group row references its user (foreign key).
      if (!tables.users.has(userId)) throw new Error(`foreign key violation: no user ${userId}`);
      tables.groups.set(userId, new Set(groups));
    },
  };
}
