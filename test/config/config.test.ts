// The settings reader: defaults, and one clear sentence for a bad value, never a half-started server.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("GATEHOUSE_REDIS_PREFIX", () => {
  it("defaults to gatehouse: so an existing installation keeps its keys", () => {
    expect(loadConfig({}).redisKeyPrefix).toBe("gatehouse:");
  });

  it("keeps installations sharing one Redis apart", () => {
    expect(loadConfig({ GATEHOUSE_REDIS_PREFIX: "shop-eu:" }).redisKeyPrefix).toBe("shop-eu:");
  });

  it.each(["", "has space", "glob*", "x".repeat(65)])("refuses %j with a sentence naming the setting", (value) => {
    expect(() => loadConfig({ GATEHOUSE_REDIS_PREFIX: value })).toThrow(ConfigError);
    expect(() => loadConfig({ GATEHOUSE_REDIS_PREFIX: value })).toThrow(/GATEHOUSE_REDIS_PREFIX/);
  });
});

describe("GATEHOUSE_LOCK_SECONDS", () => {
  it("defaults to 30 and accepts the one-day cap itself", () => {
    expect(loadConfig({}).firstLockSeconds).toBe(30);
    expect(loadConfig({ GATEHOUSE_LOCK_SECONDS: "86400" }).firstLockSeconds).toBe(86_400);
  });

  // Review F10: a first lock above the documented one-day cap, or one that overflows BIGINT on PostgreSQL.
  it.each(["86401", "1e300", "0", "-5", "2.5", "thirty", ""])("refuses %j with a sentence naming the setting", (value) => {
    expect(() => loadConfig({ GATEHOUSE_LOCK_SECONDS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ GATEHOUSE_LOCK_SECONDS: value })).toThrow(/GATEHOUSE_LOCK_SECONDS must be a whole number of seconds from 1 to 86400/);
  });
});
