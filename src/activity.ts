// The security-event sink behind the core: each event is appended to the activity log with the
// client address and browser of the request that caused it (R53, the event's origin), written
// to the log, and passed on to whoever notifies users.
//
// Review F5: events anyone can repeat as fast as they send requests are not one row each. An
// event naming no account (a throttled password attempt, a wrong password for an unknown name)
// is one row per (type, client, minute) with a count, the client being its address block (an
// IPv6 /64, address-block.ts, so rotating through one's own /64 does not multiply rows); a
// locked second factor is one row per account and minute, and only that row's first attempt
// notifies the user. The sweep deletes events after GATEHOUSE_EVENTS_DAYS.
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { addressBlock } from "./core/address-block.js";
import type { Clock, EventStore, SecurityEvent, SecurityEventSink, StoredEvent } from "./core/ports.js";

/** Enough to tell one browser from another in a list; longer headers are cut. */
export const MAX_USER_AGENT_LENGTH = 128;

/** A repeated event's row stands for the attempts of one minute. */
const REPEAT_WINDOW_MS = 60_000;

/** Events of a known account that repeat without bound: every refused attempt while locked. */
const REPEATED_PER_ACCOUNT: ReadonlySet<SecurityEvent["type"]> = new Set(["second-factor-locked"]);

/** Who a repeated event is counted for, or null for an event stored one row each. */
function repeatSubject(event: SecurityEvent): string[] | null {
  if (event.userId !== undefined) return REPEATED_PER_ACCOUNT.has(event.type) ? ["account", event.userId] : null;
  // Without an address the event comes from the admin CLI: not a stranger's traffic.
  const address = event.origin.clientAddress;
  return address === null ? null : ["address", addressBlock(address)];
}

export function createActivityLog(deps: {
  store: EventStore;
  logger: Logger;
  clock: Clock;
  newId: () => string;
  onStored?: (event: StoredEvent) => void;
}): SecurityEventSink {
  const { store, logger, clock, newId, onStored } = deps;
  let sequence = 0;
  /** Ids sort like the events they name: time, then order within this process. */
  const eventId = (at: number) =>
    `${String(at).padStart(15, "0")}-${String(sequence++ % 1e9).padStart(9, "0")}-${newId().slice(0, 8)}`;
  /** The same id for every repeat of one type, subject and minute, on every instance. */
  const repeatId = (at: number, type: string, subject: string[]) => {
    const minute = at - (at % REPEAT_WINDOW_MS);
    const digest = createHash("sha256").update(JSON.stringify([type, ...subject])).digest("hex").slice(0, 24);
    return `${String(minute).padStart(15, "0")}-repeat-${digest}`;
  };
  return {
    async record(event) {
      const at = clock.now();
      const subject = repeatSubject(event);
      const stored: StoredEvent = {
        id: subject ? repeatId(at, event.type, subject) : eventId(at),
        at,
        type: event.type,
        userId: event.userId ?? null,
        clientAddress: event.origin.clientAddress,
        userAgent: event.origin.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
        detail: event.detail ?? {},
        count: 1,
      };
      if (subject) stored.count = await store.countEvent(stored);
      else await store.appendEvent(stored);
      const line = { event: { id: stored.id, type: stored.type, userId: stored.userId, clientAddress: stored.clientAddress, detail: stored.detail, count: stored.count } };
      // Repeats of a row go to the debug log only: an operator's log must not grow per request either.
      if (stored.count === 1) {
        logger.info(line, stored.type);
        onStored?.(stored);
      } else {
        logger.debug(line, stored.type);
      }
    },
  };
}
