// Strict IPv4 handling. Values come off the wire and end up in root's `ip` commands, so only
// canonical dotted quads pass: four decimal octets, no leading zeros, no spaces, no tricks.

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** The address as a 32-bit unsigned number, or null unless `text` is a canonical dotted quad. */
export function parseIPv4(text: string): number | null {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return null;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Prefix length of a contiguous netmask (255.255.255.0 -> 24), or null. */
export function prefixOfMask(mask: number): number | null {
  for (let prefix = 0; prefix <= 32; prefix++) if (maskOf(prefix) === mask) return prefix;
  return null;
}

/** Network address of `addr` under a /prefix. */
export function networkOf(addr: number, prefix: number): number {
  return (addr & maskOf(prefix)) >>> 0;
}

export function inSubnet(addr: number, net: number, prefix: number): boolean {
  return networkOf(addr, prefix) === networkOf(net, prefix);
}

/**
 * Whether `n` can be a host's unicast address: not "this network" (0/8), loopback (127/8),
 * multicast (224/4) or reserved/limited broadcast (240/4).
 */
export function isUnicast(n: number): boolean {
  const first = n >>> 24;
  return first !== 0 && first !== 127 && first < 224;
}
