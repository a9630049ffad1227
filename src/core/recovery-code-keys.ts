// Which master key each account's recovery codes depend on (review F6). A code's tag can only be
// checked with the key that made it, and codes cannot be re-tagged (they are not stored), so
// `gatehouse keys rotate` and server startup count the accounts whose codes depend on a key the
// ring is about to drop, or has dropped: nothing is lost silently. Each account's codes are one
// set, made under one key, so counts of different keys add up.
import type { RecoveryCodeStore } from "./ports.js";
import { recoveryCodeTagPrefix } from "./recovery-code-hash.js";

/** Accounts holding unused codes made under the master key `keyId`. */
export function accountsWithCodesUnder(store: RecoveryCodeStore, keyId: string): Promise<number> {
  return store.countAccountsWithUnusedCodes(recoveryCodeTagPrefix(keyId));
}

/** Accounts holding unused codes made under no key of the ring (key ids): those codes never match. */
export function accountsWithCodesOutside(store: RecoveryCodeStore, ring: readonly string[]): Promise<number> {
  return store.countAccountsWithUnusedCodes(
    recoveryCodeTagPrefix(),
    ring.map((keyId) => recoveryCodeTagPrefix(keyId)),
  );
}

/** The one line the rotation prints and the server logs at startup about such accounts. */
export function codesOutsideRingWarning(accounts: number): string {
  return `${accounts} account(s) hold recovery codes made under a key no longer in the ring: those codes no longer work; the users need new ones at /account.`;
}
