// R54 with the contract's embedded default: the master key comes from GATEHOUSE_SECRET_KEY or
// from a random key file generated in the data folder on first start (owner-only), never from a
// built-in default.
import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config.js";

export const KEY_FILE_NAME = "secret.key";

export function loadMasterSecret(secretKey: string | undefined, dataDir: string): Uint8Array {
  if (secretKey !== undefined) return new Uint8Array(Buffer.from(secretKey, "utf8"));
  const path = join(dataDir, KEY_FILE_NAME);
  try {
    // "wx": never overwrite an existing key, even if two processes start at once.
    writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new ConfigError(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  const key = readFileSync(path, "utf8").trim();
  if (Buffer.byteLength(key, "utf8") < 32) throw new ConfigError(`${path} holds a key shorter than 32 bytes.`);
  return new Uint8Array(Buffer.from(key, "utf8"));
}
