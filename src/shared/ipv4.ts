// Strict IPv4 handling. Values come off the wire and end up in root's `ip` commands, so only
// canonical dotted quads pass: four decimal octets, no leading zeros, no spaces, no tricks.

/**
 * The address as a 32-bit unsigned number, or null unless `text` is a canonical dotted quad.
 * Read digit by digit: the equivalent regular expression took the jitless hook 0.15 ms to
 * compile on its first use, every event (test/unit/ipv4.test.ts holds it as the reference).
 */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (part.length < 1 || part.length > 3 || (part.length > 1 && part[0] === '0')) return null;
    let octet = 0;
    for (let i = 0; i < part.length; i++) {
      const digit = part.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return null;
      octet = octet * 10 + digit;
    }
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
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
