// What a per-address limit counts as one client (review F7, S6). One IPv6 customer is usually
// given a whole /64 (RFC 6177; SLAAC hosts pick any address in it, RFC 4862), so counting per
// /128 would hand an attacker 2^64 "addresses". An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`,
// what a dual-stack socket reports for an IPv4 peer) is that IPv4 address.
import { isIPv4, isIPv6 } from "node:net";

/** The eight 16-bit groups of a valid IPv6 address without zone: `::` and a dotted tail expanded. */
function ipv6Groups(address: string): number[] {
  const groupsOf = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [left = "", right] = address.split("::");
  const head = groupsOf(left);
  const tail = right === undefined ? [] : groupsOf(right);
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * The client a per-address limit or aggregate counts: an IPv4 address as it is, an IPv6 address
 * as its /64 prefix (`2001:db8:0:5::/64`). Anything that is not an IP address (never a request's
 * address) is returned unchanged.
 */
export function addressBlock(address: string): string {
  if (isIPv4(address)) return address;
  const bare = address.split("%")[0] ?? address; // a link-local zone (`%eth0`) names no other host
  if (!isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`;
}
