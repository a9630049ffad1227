// R54 with the contract's embedded default: the master key comes from GATEHOUSE_SECRET_KEY or
// from a random key file generated in the data folder on first start (owner-only), never from a
// built-in default.
//
// The key ring (`gatehouse keys rotate`): the first key seals and signs CSRF tokens, every key
// opens (fastify-secure-session rotation). In the data folder:
//   secret.key           the current key
//   secret.key.next      only while a rotation is unfinished: the key secrets are being resealed
//                        under. It opens but never seals, so a server started mid-rotation keeps
//                        sealing with the current key and opens what was already resealed.
//   secret.key.previous  the key before the last finished rotation: opens what a server still
//                        running on it sealed after the rotation's last pass.
// With GATEHOUSE_SECRET_KEY, GATEHOUSE_PREVIOUS_SECRET_KEYS plays the part of the two extra files.
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config.js";

export const KEY_FILE_NAME = "secret.key";
export const NEXT_KEY_FILE_NAME = "secret.key.next";
export const PREVIOUS_KEY_FILE_NAME = "secret.key.previous";

const MIN_KEY_BYTES = 32;

/** 256 random bits, base64url: the format of generated key files and of `--to-env` keys. */
export function generateMasterSecret(): string {
  return randomBytes(32).toString("base64url");
}

function readKeyFile(path: string): Uint8Array {
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new ConfigError(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  const key = readFileSync(path, "utf8").trim();
  if (Buffer.byteLength(key, "utf8") < MIN_KEY_BYTES) throw new ConfigError(`${path} holds a key shorter than 32 bytes.`);
  return new Uint8Array(Buffer.from(key, "utf8"));
}

/** Writes and syncs a new owner-only file; fails if it exists ("wx"), so a key is never overwritten. */
function writeNewFileSynced(path: string, text: string): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A rename is durable only once its directory entry is on disk. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the key file `name` with a new key unless it exists; true if this call created it. The
 * key is written and synced under a name of its own, then linked into place: the key file
 * appears complete or not at all, so a process starting at the same moment never reads it empty
 * or half-written (review F10). link, unlike rename, fails with EEXIST instead of replacing a key
 * another process linked first; that process won, and its key is the one everybody loads. A
 * crash leaves only an unused temporary file, whose unique name no later start collides with.
 */
function createKeyFileOnce(dataDir: string, name: string): boolean {
  const path = join(dataDir, name);
  if (existsSync(path)) return false;
  const temporary = join(dataDir, `${name}.${process.pid}-${randomBytes(8).toString("hex")}.tmp`);
  writeNewFileSynced(temporary, `${generateMasterSecret()}\n`);
  try {
    linkSync(temporary, path);
    syncDirectory(dataDir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  } finally {
    unlinkSync(temporary);
  }
}

export function loadMasterSecret(secretKey: string | undefined, dataDir: string): Uint8Array {
  if (secretKey !== undefined) return new Uint8Array(Buffer.from(secretKey, "utf8"));
  createKeyFileOnce(dataDir, KEY_FILE_NAME);
  return readKeyFile(join(dataDir, KEY_FILE_NAME));
}

/**
 * The key ring: [current, next?, previous?, ...previousSecretKeys], without duplicates. The
 * current key comes first: it seals, also while a rotation is unfinished.
 */
export function loadMasterSecrets(
  secretKey: string | undefined,
  dataDir: string,
  previousSecretKeys: readonly string[] = [],
): Uint8Array[] {
  const ring = [loadMasterSecret(secretKey, dataDir)];
  if (secretKey === undefined) {
    for (const name of [NEXT_KEY_FILE_NAME, PREVIOUS_KEY_FILE_NAME]) {
      const path = join(dataDir, name);
      if (existsSync(path)) ring.push(readKeyFile(path));
    }
  }
  for (const key of previousSecretKeys) ring.push(new Uint8Array(Buffer.from(key, "utf8")));
  // A crash between the two steps of finishKeyFileRotation leaves previous equal to current.
  return ring.filter((key, index) => ring.findIndex((other) => Buffer.compare(other, key) === 0) === index);
}

/**
 * Rotation, first step: the new key is on disk (owner-only, synced) before any secret is sealed
 * under it, and complete whenever a server starting meanwhile sees it. A rerun after an
 * interruption finds it and resumes with the same key.
 */
export function prepareNextKeyFile(dataDir: string): { key: Uint8Array; resumed: boolean } {
  const created = createKeyFileOnce(dataDir, NEXT_KEY_FILE_NAME);
  return { key: readKeyFile(join(dataDir, NEXT_KEY_FILE_NAME)), resumed: !created };
}

/**
 * The key finishing a rotation takes out of the ring: secret.key.previous, which
 * finishKeyFileRotation replaces; none when there is none yet, or when a crash inside that
 * function already made it a copy of secret.key.
 */
export function keyDroppedByRotation(dataDir: string): Uint8Array | undefined {
  const previous = join(dataDir, PREVIOUS_KEY_FILE_NAME);
  if (!existsSync(previous)) return undefined;
  const key = readKeyFile(previous);
  return Buffer.compare(key, readKeyFile(join(dataDir, KEY_FILE_NAME))) === 0 ? undefined : key;
}

/** Abandons a rotation that resealed nothing (its check found a secret no key opens). */
export function discardNextKeyFile(dataDir: string): void {
  unlinkSync(join(dataDir, NEXT_KEY_FILE_NAME));
}

/**
 * Rotation, last step, once every secret is sealed under the next key: current → previous, then
 * next → current. Each step is an atomic rename, and every state in between loads a ring that
 * opens every secret; after a crash, a rerun of the rotation finds the next key and redoes this.
 */
export function finishKeyFileRotation(dataDir: string): void {
  const current = join(dataDir, KEY_FILE_NAME);
  const previous = join(dataDir, PREVIOUS_KEY_FILE_NAME);
  const staged = `${previous}.tmp`;
  if (existsSync(staged)) unlinkSync(staged); // left by a crash inside this function
  writeNewFileSynced(staged, readFileSync(current, "utf8"));
  renameSync(staged, previous);
  renameSync(join(dataDir, NEXT_KEY_FILE_NAME), current);
  syncDirectory(dataDir);
}
