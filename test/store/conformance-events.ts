// The activity log's bounds in the store conformance suite (review F5): a repeated event is one
// row whose count every writer, on any instance, adds to in one statement; the sweep deletes
// events past their retention. Also the count of recovery codes by key that rotation reports (F6).
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../src/core/ports.js";
import { DEFAULT_EVENTS_KEPT_MS, type Store } from "../../src/store/kysely-store.js";
import { DAY, enrollUser, MINUTE, SECOND, T0 } from "./fixtures.js";

function event(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: randomUUID(),
    at: T0,
    type: "password-throttled",
    userId: null,
    clientAddress: "203.0.113.9",
    userAgent: "Firefox",
    detail: {},
    count: 1,
    ...overrides,
  };
}

/** Registers the tests inside the suite's describe; `stores` gives the current pair. */
export function eventsConformance(stores: () => [Store, Store]): void {
  let a: Store;
  let b: Store;

  describe("activity log bounds", () => {
    beforeEach(() => {
      [a, b] = stores();
    });

    it("countEvent stores a new row with count 1, then counts repeats of its id on that row", async () => {
      const first = event({ detail: { during: "first" } });
      expect(await a.events.countEvent(first)).toBe(1);
      expect(await b.events.countEvent({ ...first, at: T0 + SECOND, userAgent: "curl", detail: { during: "second" } })).toBe(2);
      expect(await a.events.countEvent({ ...first, at: T0 + 2 * SECOND })).toBe(3);
      // The row keeps the first attempt's time, browser and detail.
      expect(await b.events.listEvents({ limit: 10 })).toEqual([{ ...first, count: 3 }]);
    });

    it("concurrent repeats from two instances each add one: no unique violation, no lost count", async () => {
      const repeated = event();
      const each = 15;
      const counts = await Promise.all(
        Array.from({ length: 2 * each }, (_, i) => (i % 2 === 0 ? a : b).events.countEvent(repeated)),
      );
      expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 2 * each }, (_, i) => i + 1));
      expect(await a.events.listEvents({ limit: 10 })).toEqual([{ ...repeated, count: 2 * each }]);
    });

    it("appendEvent rows read back with count 1", async () => {
      const single = event({ type: "signed-out", userId: randomUUID() });
      await a.events.appendEvent(single);
      expect(await b.events.listEvents({ limit: 10 })).toEqual([single]);
    });

    it("the sweep deletes events older than the retention it is given and keeps the rest", async () => {
      const kept = 7 * DAY;
      const old = event({ at: T0 - kept - MINUTE });
      const recent = event({ at: T0 - kept + MINUTE, type: "signed-out", userId: randomUUID() });
      await a.events.appendEvent(old);
      await a.events.countEvent(recent);
      await b.sweep(T0, 30 * MINUTE, 15 * MINUTE, kept);
      expect(await a.events.listEvents({ limit: 10 })).toEqual([recent]);
    });

    it("countAccountsWithUnusedCodes counts accounts, not codes, with unused codes under a prefix and none of the excepted ones (key rotation, startup)", async () => {
      const { user: ann } = await enrollUser(a);
      const { user: ben } = await enrollUser(a);
      await a.recoveryCodes.replaceRecoveryCodes(ann.id, ["hmac-sha256$aaaa0001$x", "hmac-sha256$aaaa0001$y"], T0);
      await a.recoveryCodes.replaceRecoveryCodes(ben.id, ["hmac-sha256$bbbb0002$z", "$argon2id$legacy"], T0);
      expect(await b.recoveryCodes.countAccountsWithUnusedCodes("hmac-sha256$")).toBe(2);
      expect(await b.recoveryCodes.countAccountsWithUnusedCodes("hmac-sha256$aaaa0001$")).toBe(1);
      expect(await b.recoveryCodes.countAccountsWithUnusedCodes("hmac-sha256$", ["hmac-sha256$aaaa0001$"])).toBe(1);
      expect(await b.recoveryCodes.countAccountsWithUnusedCodes("hmac-sha256$", ["hmac-sha256$aaaa0001$", "hmac-sha256$bbbb0002$"])).toBe(0);
      const keyed = (await a.recoveryCodes.listUnused(ben.id)).find((r) => r.codeHash.startsWith("hmac"))!;
      expect(await a.recoveryCodes.consume(keyed.id, T0)).toBe(true);
      expect(await b.recoveryCodes.countAccountsWithUnusedCodes("hmac-sha256$bbbb0002$")).toBe(0);
    });

    it("the sweep keeps events 90 days when no retention is given", async () => {
      const old = event({ at: T0 - DEFAULT_EVENTS_KEPT_MS - MINUTE });
      const recent = event({ at: T0 - DEFAULT_EVENTS_KEPT_MS + MINUTE });
      for (const e of [old, recent]) await a.events.appendEvent(e);
      await b.sweep(T0, 30 * MINUTE, 15 * MINUTE);
      expect(DEFAULT_EVENTS_KEPT_MS).toBe(90 * DAY);
      expect(await a.events.listEvents({ limit: 10 })).toEqual([recent]);
    });
  });
}
