// Part of the store conformance suite: a user's groups (`gatehouse user groups`), which the
// gateway reads on every request of a full sign-in to decide access and tell the app.
import { beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/kysely-store.js";
import { createdUser } from "./fixtures.js";

export function groupsConformance(stores: () => [Store, Store]): void {
  describe("user groups", () => {
    let a: Store;
    let b: Store;

    beforeEach(() => {
      [a, b] = stores();
    });


    it("a user has no groups until some are set", async () => {
      const user = await createdUser(a);
      expect(await b.groups.listGroups(user.id)).toEqual([]);
    });

    it("lists the groups set, in code-unit order, on the other instance", async () => {
      const user = await createdUser(a);
      // Upper case before lower, as a byte comparison has it (a database collation may not).
      await a.groups.setGroups(user.id, ["ops", "Admins", "a.b-c_d"]);
      expect(await b.groups.listGroups(user.id)).toEqual(["Admins", "a.b-c_d", "ops"]);
    });

    it("setting groups replaces every earlier group, and an empty list removes them all", async () => {
      const user = await createdUser(a);
      await a.groups.setGroups(user.id, ["admins", "ops"]);
      await b.groups.setGroups(user.id, ["ops", "billing"]);
      expect(await a.groups.listGroups(user.id)).toEqual(["billing", "ops"]);
      await a.groups.setGroups(user.id, []);
      expect(await b.groups.listGroups(user.id)).toEqual([]);
    });

    it("one user's groups never show up as another's", async () => {
      const [first, second] = [await createdUser(a), await createdUser(a)];
      await a.groups.setGroups(first.id, ["admins"]);
      await a.groups.setGroups(second.id, ["ops"]);
      expect(await b.groups.listGroups(first.id)).toEqual(["admins"]);
      expect(await b.groups.listGroups(second.id)).toEqual(["ops"]);
    });

    it("removing the user removes their groups", async () => {
      const user = await createdUser(a);
      await a.groups.setGroups(user.id, ["admins"]);
      expect(await a.users.deleteUser(user.id)).toBe(true);
      expect(await b.groups.listGroups(user.id)).toEqual([]);
    });
  });
}
