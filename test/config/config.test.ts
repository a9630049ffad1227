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
