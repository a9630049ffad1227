import { describe, expect, it } from "vitest";
import { addressBlock } from "../../src/core/address-block.js";

describe("addressBlock", () => {
  it("keeps an IPv4 address as it is", () => {
    expect(addressBlock("203.0.113.9")).toBe("203.0.113.9");
  });

  it("turns an IPv4-mapped IPv6 address, dotted or in hex, into its IPv4 address", () => {
    expect(addressBlock("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(addressBlock("::FFFF:cb00:7109")).toBe("203.0.113.9");
  });

  it("reduces an IPv6 address to its /64 whatever its spelling", () => {
    expect(addressBlock("2001:db8::5")).toBe("2001:db8:0:0::/64");
    expect(addressBlock("2001:DB8:0:0:ffff:1:2:3")).toBe("2001:db8:0:0::/64");
    expect(addressBlock("2001:db8:0:1::5")).toBe("2001:db8:0:1::/64");
    expect(addressBlock("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressBlock("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
  });

  it("returns anything that is not an IP address unchanged", () => {
    expect(addressBlock("not-an-address")).toBe("not-an-address");
    expect(addressBlock("")).toBe("");
  });
});
