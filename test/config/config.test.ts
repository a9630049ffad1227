// The settings reader: defaults, and one clear sentence for a bad value, never a half-started server.
import { describe, expect, it } from "vitest";
import { configWarnings, ConfigError, loadConfig } from "../../src/config.js";

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

describe("GATEHOUSE_REGISTRATION (contract: Who may register; review F2)", () => {
  const UPSTREAM = { GATEHOUSE_UPSTREAM: "http://127.0.0.1:5000" };

  it("defaults to open for the plain app and to invite whenever the gateway is on", () => {
    expect(loadConfig({}).registration).toBe("open");
    expect(loadConfig(UPSTREAM).registration).toBe("invite");
    expect(loadConfig({ GATEHOUSE_FORWARD_AUTH: "true" }).registration).toBe("invite");
    expect(loadConfig({ GATEHOUSE_FORWARD_AUTH: "false" }).registration).toBe("open");
  });

  it.each(["open", "invite", "closed"] as const)("takes %s in either mode", (value) => {
    expect(loadConfig({ GATEHOUSE_REGISTRATION: value }).registration).toBe(value);
    expect(loadConfig({ ...UPSTREAM, GATEHOUSE_REGISTRATION: value }).registration).toBe(value);
  });

  it("refuses anything else with a sentence naming the setting", () => {
    expect(() => loadConfig({ GATEHOUSE_REGISTRATION: "invite-only" })).toThrow(ConfigError);
    expect(() => loadConfig({ GATEHOUSE_REGISTRATION: "invite-only" })).toThrow(/GATEHOUSE_REGISTRATION must be open, invite or closed/);
  });

  it("warns about a gateway with open registration only", () => {
    expect(configWarnings(loadConfig({ ...UPSTREAM, GATEHOUSE_REGISTRATION: "open" }))).toEqual([
      expect.stringMatching(/^GATEHOUSE_REGISTRATION=open on a gateway: anyone who reaches it can create an account/),
    ]);
    expect(configWarnings(loadConfig({ GATEHOUSE_FORWARD_AUTH: "true", GATEHOUSE_REGISTRATION: "open" }))).toHaveLength(1);
    expect(configWarnings(loadConfig(UPSTREAM))).toEqual([]);
    expect(configWarnings(loadConfig({ GATEHOUSE_REGISTRATION: "open" }))).toEqual([]);
  });
});

describe("GATEHOUSE_EVENTS_DAYS", () => {
  it("keeps activity-log events 90 days by default, and from 1 to 3650 days when set", () => {
    expect(loadConfig({}).eventsKeptMs).toBe(90 * 86_400_000);
    expect(loadConfig({ GATEHOUSE_EVENTS_DAYS: "1" }).eventsKeptMs).toBe(86_400_000);
    expect(loadConfig({ GATEHOUSE_EVENTS_DAYS: "3650" }).eventsKeptMs).toBe(3650 * 86_400_000);
  });

  it.each(["0", "3651", "-1", "7.5", "week", ""])("refuses %j with a sentence naming the setting", (value) => {
    expect(() => loadConfig({ GATEHOUSE_EVENTS_DAYS: value })).toThrow(/GATEHOUSE_EVENTS_DAYS must be a whole number of days from 1 to 3650/);
  });
});
