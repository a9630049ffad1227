// GATEHOUSE_TRUSTED_PROXIES: the peers whose X-Forwarded-* headers gatehouse believes.
import { BlockList, isIP } from "node:net";

/** Answers whether a socket peer address is one of the trusted proxies. */
export type TrustedProxies = (address: string | undefined) => boolean;

/** The problem with one entry (an IP or a CIDR), or null when it is well formed. */
export function trustedProxyProblem(entry: string): string | null {
  const [address = "", bits, ...rest] = entry.split("/");
  const family = isIP(address);
  const maxBits = family === 6 ? 128 : 32;
  if (family === 0 || rest.length > 0) return `'${entry}' is not an IP address or CIDR range`;
  if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits)) return `'${entry}' has a prefix length outside 0-${maxBits}`;
  return null;
}

/** "::ffff:10.0.0.1" is how a dual-stack socket reports the IPv4 peer 10.0.0.1. */
function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

export function trustedProxies(entries: string[]): TrustedProxies {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", bits] = entry.split("/");
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (address) => {
    if (address === undefined) return false;
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? "ipv6" : "ipv4");
  };
}
