// The pooled random source (src/core/random-pool.ts): the same CSPRNG bytes, drawn a block at a
// time, never handed out twice and never changed after the fact.
import { describe, expect, it } from "vitest";
import { pooledRandomSource } from "../../src/core/random-pool.js";

/** A fake CSPRNG writing 1, 2, 3... across calls, and counting its calls. */
function countingFill() {
  let next = 1;
  const fill = Object.assign(
    (into: Uint8Array) => {
      fill.calls++;
      for (let i = 0; i < into.length; i++) into[i] = next++ % 256;
    },
    { calls: 0 },
  );
  return fill;
}

describe("pooledRandomSource", () => {
  it("hands out the fill's bytes in order, drawing a new block only when the last is used up", () => {
    const fill = countingFill();
    const random = pooledRandomSource(fill, 8);
    expect([...random(3)]).toEqual([1, 2, 3]);
    expect([...random(5)]).toEqual([4, 5, 6, 7, 8]);
    expect(fill.calls).toBe(1);
    // 4 bytes do not fit in what is left (none): a new block; its tail is dropped for 6 more.
    expect([...random(4)]).toEqual([9, 10, 11, 12]);
    expect([...random(6)]).toEqual([17, 18, 19, 20, 21, 22]);
    expect(fill.calls).toBe(3);
  });

  it("a request larger than the pool is filled directly", () => {
    const fill = countingFill();
    const random = pooledRandomSource(fill, 8);
    expect(random(20)).toHaveLength(20);
    expect(fill.calls).toBe(1);
  });

  it("bytes handed out are copies: refilling the pool does not change them", () => {
    const fill = countingFill();
    const random = pooledRandomSource(fill, 4);
    const first = random(4);
    random(4);
    expect([...first]).toEqual([1, 2, 3, 4]);
  });

  it("with node:crypto, 10,000 session-sized draws are all different", async () => {
    const { randomFillSync } = await import("node:crypto");
    const random = pooledRandomSource((into) => randomFillSync(into));
    const seen = new Set(Array.from({ length: 10_000 }, () => Buffer.from(random(32)).toString("hex")));
    expect(seen.size).toBe(10_000);
  });
});
