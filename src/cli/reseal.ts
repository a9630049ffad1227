// Reseals every stored TOTP secret (active and pending) under the target key of a key ring. Each
// row is its own compare-and-set update, so an interruption leaves every row sealed under either
// the old or the new key, both of which the ring opens; a rerun picks up the rows left over.
import type { SealedSecretRecord, TOTPStore } from "../core/ports.js";
import type { Sealer } from "../core/seal.js";
import { secretAAD } from "../core/two-factor.js";
import { CommandFailure } from "./command.js";

/** Rows can change under a running server (a new QR code); a few passes catch up with them. */
const MAX_PASSES = 5;

export interface ResealDeps {
  totp: TOTPStore;
  /** Seals under the target key and opens with every key of the ring. */
  ring: Sealer;
  /** The target key alone: tells which rows are already done. */
  target: Sealer;
  /** Called after each resealed row with the running count (the test hook pauses here). */
  afterEach?: (resealed: number) => Promise<void>;
}

export interface ResealResult {
  resealed: number;
  total: number;
}

export class SecretsDoNotOpenError extends CommandFailure {
  override name = "SecretsDoNotOpenError";
}

export async function resealAllSecrets({ totp, ring, target, afterEach }: ResealDeps): Promise<ResealResult> {
  let resealed = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const rows = await totp.listSealedSecrets();
    const stale = rows.filter((row) => target.open(row.sealedSecret, secretAAD(row.userId)) === null);
    if (stale.length === 0) return { resealed, total: rows.length };
    // Check every row before writing any: a key that does not open them changes nothing.
    const opened = stale.map((row) => ({ row, secret: ring.open(row.sealedSecret, secretAAD(row.userId)) }));
    const unopened = opened.filter((entry) => entry.secret === null).length;
    if (unopened > 0) {
      throw new SecretsDoNotOpenError(
        `${unopened} stored secret${unopened === 1 ? " does" : "s do"} not open with the configured keys ` +
          `(a wrong GATEHOUSE_SECRET_KEY or key file?)`,
      );
    }
    for (const { row, secret } of opened) {
      if (await reseal(totp, ring, row, secret!)) {
        resealed += 1;
        await afterEach?.(resealed);
      }
      // A false CAS: the row changed meanwhile (confirmed, replaced, removed); the next pass sees it.
    }
  }
  throw new CommandFailure("the stored secrets kept changing during the rotation; run gatehouse keys rotate again");
}

function reseal(totp: TOTPStore, ring: Sealer, row: SealedSecretRecord, secret: Uint8Array): Promise<boolean> {
  return totp.resealSecret(row, ring.seal(secret, secretAAD(row.userId)));
}
