// Random bytes drawn from the CSPRNG a block at a time. One node:crypto call costs about 6 µs
// whether it fills 32 bytes or 2 KiB (measured on Node 20), and every visit to the sign-in page
// draws a fresh 32-byte cookie token: in a profile of GET /login the call was the largest item
// after the socket write. Node's own randomUUID() keeps such a cache. The bytes are the same
// CSPRNG output; a block is drawn only when the last one is used up, and bytes handed out are
// zeroed in the block, so it never holds a token, key or IV already given to someone.
import type { RandomSource } from "./ports.js";

/** 2 KiB, as Node's randomUUID cache: 64 session tokens per CSPRNG call. */
const DEFAULT_POOL_BYTES = 2048;

/** `fill` writes CSPRNG bytes into the whole array (node:crypto randomFillSync). */
export function pooledRandomSource(fill: (into: Uint8Array) => void, poolBytes = DEFAULT_POOL_BYTES): RandomSource {
  const pool = new Uint8Array(poolBytes);
  let offset = poolBytes;
  return (byteLength) => {
    if (byteLength > poolBytes) {
      const out = new Uint8Array(byteLength);
      fill(out);
      return out;
    }
    if (offset + byteLength > poolBytes) {
      fill(pool);
      offset = 0;
    }
    // A copy: the caller's bytes never change when the pool is refilled.
    const out = pool.slice(offset, offset + byteLength);
    pool.fill(0, offset, offset + byteLength);
    offset += byteLength;
    return out;
  };
}
