// Turns stored security events into notifications for the users they concern.
import type { Durability, StoredEvent, UserStore } from "../core/ports.js";
import type { Notifier } from "./notifier.js";
import { shouldNotify } from "./which-events.js";

/**
 * `onStored` hands each event to the notifier; `drain` waits for the user lookups still under
 * way, so a short-lived process (the CLI) loses no notification when it closes.
 */
export function notifyUsersOf(
  notifier: Notifier,
  users: UserStore,
  durability: Durability,
  onError: (error: unknown) => void,
) {
  const inFlight = new Set<Promise<void>>();

  function onStored(event: StoredEvent): void {
    if (!event.userId || !shouldNotify(event.type)) return;
    // Never on the sign-in's path: the lookup and the delivery run after the response, and
    // only once the event is durable (a lost write is not announced).
    const userId = event.userId;
    const lookup = durability.watch()().then(() => users.findUserById(userId)).then((user) => {
      if (!user) return;
      notifier.notify({
        id: event.id,
        type: event.type,
        userId: user.id,
        username: user.username,
        at: new Date(event.at).toISOString(),
        clientAddress: event.clientAddress,
        userAgent: event.userAgent,
        detail: event.detail,
      });
    }, onError);
    inFlight.add(lookup);
    void lookup.finally(() => inFlight.delete(lookup));
  }

  return {
    onStored,
    drain: async () => {
      await Promise.all(inFlight);
    },
  };
}
