// The security-event sink behind the core: each event is appended to the activity log with the
// client address and browser of the request that caused it (R53, the event's origin), written
// to the log, and passed on to whoever notifies users.
import type { Logger } from "pino";
import type { Clock, EventStore, SecurityEventSink, StoredEvent } from "./core/ports.js";

/** Enough to tell one browser from another in a list; longer headers are cut. */
const MAX_USER_AGENT_LENGTH = 256;

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
  return {
    async record(event) {
      const at = clock.now();
      const stored: StoredEvent = {
        id: eventId(at),
        at,
        type: event.type,
        userId: event.userId ?? null,
        clientAddress: event.origin.clientAddress,
        userAgent: event.origin.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
        detail: event.detail ?? {},
      };
      await store.appendEvent(stored);
      logger.info({ event: { id: stored.id, type: stored.type, userId: stored.userId, clientAddress: stored.clientAddress, detail: stored.detail } }, stored.type);
      onStored?.(stored);
    },
  };
}
