// A one-time message carried in the session row to the next page (new recovery codes, or a
// notice). Sealed and opened only here, in the core: recovery codes are secrets (R19: shown
// once, never stored in clear), so no other layer ever holds the sealed form or the key.
import type { Sealer } from "./seal.js";

export interface Flash {
  recoveryCodes?: string[];
  notice?: string;
}

/** Bound to its user, so a sealed flash copied to another user's session does not open. */
const aad = (userId: string) => `flash:${userId}`;

export function sealFlash(sealer: Sealer, userId: string, flash: Flash): string {
  return sealer.seal(Buffer.from(JSON.stringify(flash)), aad(userId));
}

export function openFlash(sealer: Sealer, userId: string, sealed: string | null): Flash {
  const opened = sealed ? sealer.open(sealed, aad(userId)) : null;
  return opened ? (JSON.parse(Buffer.from(opened).toString("utf8")) as Flash) : {};
}
