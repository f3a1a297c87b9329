// Strict IPv6 handling, the twin of ipv4.ts. Values come off the wire (router advertisements,
// DHCPv6) and end up in root's `ip -6` commands, so only plain hex-and-colon text passes (no
// zone, no embedded dotted quad), and addresses are compared and written in RFC 5952's one
// canonical form, the one `ip -j` prints: the kernel's answers and the events then compare as text.

/** Eight 16-bit groups. */
export type IPv6 = readonly number[];

const GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** The address as eight groups, or null unless `text` is hex groups and at most one `::`. */
export function parseIPv6(text: string): IPv6 | null {
  if (text.length > 39 || !/^[0-9A-Fa-f:]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (s: string): number[] | null => {
    if (s === '') return [];
    const groups = s.split(':');
    return groups.every((g) => GROUP.test(g)) ? groups.map((g) => parseInt(g, 16)) : null;
  };
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : null;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (2+) of zero groups as `::`. */
export function formatIPv6(a: IPv6): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (a[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && a[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (g: readonly number[]): string => g.map((n) => n.toString(16)).join(':');
  return best === -1 ? hex(a) : `${hex(a.slice(0, best))}::${hex(a.slice(best + bestLen))}`;
}

/** `text` in RFC 5952 form if it is an address (the kernel's and the events' then compare as equal). */
export function canonicalIPv6(text: string): string {
  const parsed = parseIPv6(text);
  return parsed === null ? text : formatIPv6(parsed);
}

/** The first `prefix` bits of `a`, the rest zero. */
export function networkOf6(a: IPv6, prefix: number): IPv6 {
  return a.map((g, i) => {
    const bits = Math.min(16, Math.max(0, prefix - 16 * i));
    return bits === 16 ? g : bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
}

/**
 * Why `a` cannot be a host's own global address (or a router's), or null when it can. `::ffff:a.b.c.d`
 * and the other IPv4-in-IPv6 forms belong to IPv4; fe80::/10 needs a zone srcroute does not route.
 */
export function notGlobalUnicast(a: IPv6): string | null {
  if (a.every((g) => g === 0)) return 'the unspecified address ::';
  if (a.slice(0, 7).every((g) => g === 0) && a[7] === 1) return 'the loopback address';
  if (a[0]! >= 0xff00) return 'a multicast address';
  if ((a[0]! & 0xffc0) === 0xfe80) return 'a link-local address';
  if (a.slice(0, 5).every((g) => g === 0) && (a[5] === 0xffff || a[5] === 0))
    return 'an IPv4-mapped or IPv4-compatible address';
  return null;
}

export function isLinkLocal(a: IPv6): boolean {
  return (a[0]! & 0xffc0) === 0xfe80;
}
