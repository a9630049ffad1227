import { describe, expect, it } from "vitest";
import { ARGON2_PRODUCTION, createPasswordHasher } from "../../src/core/password.js";

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe("createPasswordHasher", () => {
  const hasher = createPasswordHasher(CHEAP);

  it("R42: the production parameters are Argon2id m=19456 KiB, t=2, p=1", () => {
    expect(ARGON2_PRODUCTION).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it("R42: stores an Argon2id PHC string with the configured parameters and a 16-byte salt", async () => {
    const phc = await hasher.hash("correct horse battery staple");
    const [, algorithm, version, params, salt] = phc.split("$");
    expect(algorithm).toBe("argon2id");
    expect(version).toBe("v=19");
    expect(params).toBe("m=1024,t=1,p=1");
    expect(Buffer.from(salt!, "base64").length).toBe(16);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const phc = await hasher.hash("correct horse battery staple");
    expect(await hasher.verify(phc, "correct horse battery staple")).toBe(true);
    expect(await hasher.verify(phc, "correct horse battery stapl")).toBe(false);
  });

  it("does not truncate long passwords (R43)", async () => {
    const long = "x".repeat(200);
    const phc = await hasher.hash(long);
    expect(await hasher.verify(phc, long)).toBe(true);
    expect(await hasher.verify(phc, "x".repeat(199))).toBe(false);
  });

  it.each([
    ["an empty string", ""],
    ["garbage", "not a hash"],
    ["a truncated PHC string", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ"],
    ["a bcrypt hash", "$2b$10$abcdefghijklmnopqrstuuJ3xT6Jb6Z2wqXbq7sQZ3zQZ3zQZ3zQ"],
  ])("returns false instead of throwing for %s", async (_label, phc) => {
    await expect(hasher.verify(phc, "password")).resolves.toBe(false);
  });

  it("R42: asks for a rehash when the stored parameters differ from the configured ones", async () => {
    const phc = await hasher.hash("pw");
    expect(hasher.needsRehash(phc)).toBe(false);
    expect(createPasswordHasher({ ...CHEAP, timeCost: 2 }).needsRehash(phc)).toBe(true);
    expect(hasher.needsRehash("garbage")).toBe(true);
  });

  it("R44: verifyDummy always answers false, even for the dummy's own secret", async () => {
    await expect(hasher.verifyDummy("anything")).resolves.toBe(false);
    await expect(hasher.verifyDummy("gatehouse dummy password for timing equalization")).resolves.toBe(false);
  });

  it.each([
    ["a zero time cost", { ...CHEAP, timeCost: 0 }],
    ["too little memory", { ...CHEAP, memoryCost: 4 }],
    ["zero parallelism", { ...CHEAP, parallelism: 0 }],
  ])("throws TypeError for %s", (_label, params) => {
    expect(() => createPasswordHasher(params)).toThrow(TypeError);
  });
});

describe("createPasswordHasher with the production parameters", () => {
  const hasher = createPasswordHasher();

  it("R44: verifyDummy returns false and costs about as much as a real verify", async () => {
    const phc = await hasher.hash("hunter2 hunter2");
    await hasher.verifyDummy("warm-up"); // creates the cached dummy hash
    const time = async (f: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      await f();
      return performance.now() - start;
    };
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 5; i++) {
      real.push(await time(() => hasher.verify(phc, "wrong password")));
      dummy.push(await time(() => hasher.verifyDummy("wrong password")));
    }
    expect(await hasher.verifyDummy("hunter2 hunter2")).toBe(false);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[2]!;
    // Same parameters ⇒ same work; a fail-fast dummy would be ~100× faster.
    expect(median(dummy)).toBeGreaterThan(median(real) * 0.25);
    expect(median(dummy)).toBeLessThan(median(real) * 4);
  });
});
