// An upgraded connection outlives the request that opened it: each plain request is checked on
// its own, an established WebSocket is not (F10 of the December 2026 review). So a WebSocket
// proxied for a session asks again, every so often, whether that session still lets it through,
// and is cut when it does not: after a sign-out, 2FA turned off, an administrator's reset, a
// password change, or expiry.
import type { Duplex } from "node:stream";

/** How often an open WebSocket's session is checked again: it closes within this long of the end. */
export const SOCKET_RECHECK_MS = 30_000;

/**
 * Destroys `socket` (the client's connection; the proxy then closes its upstream side) at the
 * first check that answers false, every `intervalMs` until the socket closes. A check that fails
 * (the store is down) cuts it too: nothing is let through that could not be checked.
 */
export function watchUpgradedSocket(
  socket: Duplex,
  stillAdmitted: () => Promise<boolean>,
  intervalMs: number,
  onCheckFailed: (error: unknown) => void,
): void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (socket.destroyed) return;
    // One check at a time, never piling up behind a slow store; and no open socket keeps the process alive.
    timer = setTimeout(check, intervalMs).unref();
  };
  const check = () => {
    stillAdmitted().then(
      (admitted) => (admitted ? schedule() : socket.destroy()),
      (error: unknown) => {
        onCheckFailed(error);
        socket.destroy();
      },
    );
  };
  socket.once("close", () => clearTimeout(timer));
  schedule();
}
