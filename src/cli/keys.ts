// `gatehouse keys rotate`: seal every TOTP secret under a new master key without losing one.
//
// Key file (the default): a new key goes to DATA/secret.key.next (0600, synced) first; then every
// secret is resealed under it, one compare-and-set row at a time; then secret.key becomes
// secret.key.previous and secret.key.next becomes secret.key (atomic renames). Servers load the
// ring [secret.key, secret.key.next, secret.key.previous]: they seal with the current key and
// open with any, so sign-in keeps working at every point. Killed halfway, a rerun finds
// secret.key.next and finishes with the same key.
//
// GATEHOUSE_SECRET_KEY: the operator changes the variable (`--to-env` prints the steps), keeping
// the old key in GATEHOUSE_PREVIOUS_SECRET_KEYS; `keys rotate` then reseals every secret under
// the current key.
//
// The CSRF key derives from the current master key: pages open during the switch get a fresh
// form on their next submit.
//
// Recovery codes are keyed hashes under the key that was current when they were made, and cannot
// be recomputed under another (the codes are not stored; review F6). They work while their key
// is in the ring; the rotation reports how many accounts depend on an older key, or on none. A
// key-file rotation replaces secret.key.previous: while accounts hold unused codes made under
// it, the rotation refuses before changing anything, unless --drop-old-recovery-codes says to
// drop them (nothing is lost silently).
import { loadConfig, type Config } from "../config.js";
import { deriveKeys, keyIdsOf } from "../core/keys.js";
import type { RecoveryCodeStore } from "../core/ports.js";
import { accountsWithCodesOutside, accountsWithCodesUnder, codesOutsideRingWarning } from "../core/recovery-code-keys.js";
import { createSealer } from "../core/seal.js";
import {
  discardNextKeyFile,
  finishKeyFileRotation,
  generateMasterSecret,
  keyDroppedByRotation,
  loadMasterSecrets,
  prepareNextKeyFile,
} from "../secret-key.js";
import { CommandFailure, type Command } from "./command.js";
import { CLI_ORIGIN, requireDatabase, withServices } from "./context.js";
import { describeError } from "./errors.js";
import { waitForEndOfInput, writeOut } from "./io.js";
import { resealAllSecrets, type ResealResult } from "./reseal.js";

interface Rotation extends ResealResult {
  keyId: string;
  recoveryCodes: RecoveryCodeKeys;
}

/** Accounts whose recovery codes were made under an older key of the ring, or a key outside it. */
interface RecoveryCodeKeys {
  olderKey: number;
  lost: number;
}

async function recoveryCodeKeys(store: RecoveryCodeStore, ring: Uint8Array[]): Promise<RecoveryCodeKeys> {
  const keyIds = keyIdsOf(ring);
  let olderKey = 0;
  for (const keyId of keyIds.slice(1)) olderKey += await accountsWithCodesUnder(store, keyId);
  return { olderKey, lost: await accountsWithCodesOutside(store, keyIds) };
}

function recoveryCodeLines({ olderKey, lost }: RecoveryCodeKeys, keyFile: boolean): string[] {
  const lines: string[] = [];
  if (olderKey > 0) {
    lines.push(
      `${olderKey} account(s) hold recovery codes made under an older key: they work while it stays in the ring ` +
        `(${keyFile ? "secret.key.previous: the next rotation refuses to replace it while they remain" : "GATEHOUSE_PREVIOUS_SECRET_KEYS"}). ` +
        "Recovery codes cannot be resealed: ask those users to get new ones at /account before the key goes.",
    );
  }
  if (lost > 0) lines.push(codesOutsideRingWarning(lost));
  return lines;
}

/** Reseals under ring[0], records the event, and runs `finish` once every secret is resealed. */
async function resealUnder(config: Config, ring: Uint8Array[], finish: () => void, counter: { resealed: number }) {
  const keyId = deriveKeys(ring[0]!).keyId;
  return withServices(
    config,
    async (services): Promise<Rotation> => {
      const target = createSealer([deriveKeys(ring[0]!).sealingKey], services.random);
      const result = await resealAllSecrets({
        totp: services.store.totp,
        ring: services.sealer,
        target,
        async afterEach(resealed) {
          counter.resealed = resealed;
          // Test hook (GATEHOUSE_TEST_ROTATE_PAUSE_AFTER, test/cli/keys.test.ts): stop here so the
          // test can kill the process mid-rotation.
          if (resealed === config.testHooks.rotatePauseAfter) {
            writeOut("paused");
            await waitForEndOfInput();
          }
        },
      });
      finish();
      // The ring servers load from now on: the recovery codes outside its first key depend on an older one.
      const recoveryCodes = await recoveryCodeKeys(
        services.store.recoveryCodes,
        loadMasterSecrets(config.secretKey, config.dataDir, config.previousSecretKeys),
      );
      await services.events.record({ type: "admin-keys-rotated", origin: CLI_ORIGIN, detail: { keyId, resealed: result.resealed, secrets: result.total } });
      return { ...result, keyId, recoveryCodes };
    },
    { masterSecrets: ring },
  );
}

/** Accounts whose unused recovery codes finishing the rotation makes useless: their key leaves the ring. */
async function accountsLosingCodes(config: Config): Promise<number> {
  const dropped = keyDroppedByRotation(config.dataDir);
  // A previous key also listed in GATEHOUSE_PREVIOUS_SECRET_KEYS stays in the ring.
  const kept = (key: Uint8Array) => config.previousSecretKeys.some((other) => Buffer.compare(Buffer.from(other, "utf8"), key) === 0);
  if (dropped === undefined || kept(dropped)) return 0;
  return withServices(config, (services) => accountsWithCodesUnder(services.store.recoveryCodes, deriveKeys(dropped).keyId));
}

async function rotateKeyFile(config: Config, dropOldRecoveryCodes: boolean): Promise<void> {
  requireDatabase(config);
  // Checked before anything changes (no secret.key.next yet), and again when resuming: a server
  // still running on the old key may have made codes under it meanwhile.
  const losing = await accountsLosingCodes(config);
  if (losing > 0 && !dropOldRecoveryCodes) {
    throw new CommandFailure(
      `${losing} account(s) hold unused recovery codes made under secret.key.previous, which this rotation would drop: ` +
        "their recovery codes would stop working. Ask those users to make new ones at /account, " +
        "or rerun with --drop-old-recovery-codes to rotate anyway; nothing was changed",
    );
  }
  const { key: next, resumed } = prepareNextKeyFile(config.dataDir);
  const others = loadMasterSecrets(undefined, config.dataDir, config.previousSecretKeys);
  const ring = [next, ...others.filter((key) => Buffer.compare(key, next) !== 0)];
  const counter = { resealed: 0 };
  let finished = false;
  let rotation: Rotation;
  try {
    rotation = await resealUnder(config, ring, () => {
      finishKeyFileRotation(config.dataDir);
      finished = true;
    }, counter);
  } catch (error) {
    // Nothing was sealed under the new key yet: drop it, leaving the data folder as it was.
    if (resumed || finished || counter.resealed > 0) throw error;
    discardNextKeyFile(config.dataDir);
    throw new CommandFailure(`${describeError(error)}; nothing was changed`);
  }
  writeOut(
    [
      `${resumed ? "finished the interrupted rotation: " : ""}resealed ${rotation.resealed} of ${rotation.total} secrets under the new key ${rotation.keyId}`,
      `${config.dataDir}/secret.key is the new key; ${config.dataDir}/secret.key.previous keeps the old one for servers still running on it.`,
      "Restart the server so that it seals with the new key.",
      ...(losing > 0 ? [`--drop-old-recovery-codes: ${losing} account(s) lost their unused recovery codes with the old secret.key.previous.`] : []),
      ...recoveryCodeLines(rotation.recoveryCodes, true),
    ].join("\n"),
  );
}

async function rotateEnvironmentKey(config: Config): Promise<void> {
  const ring = loadMasterSecrets(config.secretKey, config.dataDir, config.previousSecretKeys);
  const rotation = await resealUnder(config, ring, () => {}, { resealed: 0 });
  const previous = config.previousSecretKeys.length > 0;
  writeOut(
    [
      `resealed ${rotation.resealed} of ${rotation.total} secrets under GATEHOUSE_SECRET_KEY (key ${rotation.keyId})`,
      previous
        ? "Every secret now opens with GATEHOUSE_SECRET_KEY alone: once every server runs with it, remove GATEHOUSE_PREVIOUS_SECRET_KEYS."
        : "To change the key itself, run gatehouse keys rotate --to-env for the steps.",
      ...recoveryCodeLines(rotation.recoveryCodes, false),
    ].join("\n"),
  );
}

function printEnvironmentSteps(): void {
  writeOut(
    [
      "A new master key (keep it as secret as the current one):",
      "",
      `GATEHOUSE_SECRET_KEY=${generateMasterSecret()}`,
      "",
      "To switch to it without losing any enrolled authenticator:",
      "1. Add the current key (the current GATEHOUSE_SECRET_KEY, or the contents of DATA/secret.key)",
      "   to GATEHOUSE_PREVIOUS_SECRET_KEYS (comma-separated).",
      "2. Set GATEHOUSE_SECRET_KEY to the new key and restart every server: they seal with the new",
      "   key and open secrets sealed under either.",
      "3. Run gatehouse keys rotate with that environment: it reseals every secret under the new key.",
      "4. Remove GATEHOUSE_PREVIOUS_SECRET_KEYS and restart. Forms open during the switch ask to be sent again.",
    ].join("\n"),
  );
}

const rotate: Command = {
  path: ["keys", "rotate"],
  positionals: [],
  summary: "Reseal every stored TOTP secret under a new master key.",
  details:
    "With the key file (no GATEHOUSE_SECRET_KEY): creates DATA/secret.key.next, reseals every\n" +
    "secret under it, then makes it DATA/secret.key and keeps the old key as secret.key.previous.\n" +
    "Interrupted, run it again: it resumes with the same new key; no secret is lost meanwhile.\n" +
    "With GATEHOUSE_SECRET_KEY: reseals every secret under it, opening older ones with\n" +
    "GATEHOUSE_PREVIOUS_SECRET_KEYS; --to-env prints a new key and the steps to switch to it.\n" +
    "Refuses, changing nothing, when the key file rotation would drop secret.key.previous while\n" +
    "accounts hold unused recovery codes made under it (those codes would stop working).\n" +
    "Restart the server afterwards. CSRF tokens of open pages change with the key.",
  options: {
    "to-env": { type: "boolean", description: "print a new key for GATEHOUSE_SECRET_KEY and the steps to switch to it" },
    "drop-old-recovery-codes": {
      type: "boolean",
      description: "rotate even though recovery codes made under secret.key.previous stop working",
    },
  },
  async run({ values }) {
    if (values["to-env"] === true) return printEnvironmentSteps();
    const config = loadConfig();
    if (config.secretKey === undefined) await rotateKeyFile(config, values["drop-old-recovery-codes"] === true);
    else await rotateEnvironmentKey(config);
  },
};

export const keyCommands: Command[] = [rotate];
