// RFC 3442 classless static routes (DHCP option 121). When a server sends them, their default
// route (0.0.0.0/0) names the gateway and option 3 (routers) is to be ignored. dhcpcd and ISC
// dhclient export the option in different encodings; both end up here as a list of routes.
import { shown } from '../shared/errors.js';
import { formatIPv4, maskOf, parseIPv4 } from '../shared/ipv4.js';

export interface ClasslessRoute {
  /** Destination network as a number, and its prefix length. */
  net: number;
  prefix: number;
  /** Gateway as a number; 0 means the destination is on-link (RFC 3442, section 3). */
  gateway: number;
}

/** Why a classless value was refused; the caller names the variable. */
export class ClasslessSyntaxError extends Error {}

/** dhcpcd: `new_classless_static_routes="0.0.0.0/0 100.64.0.1 198.18.0.0/15 100.64.0.1"`. */
export function parseDhcpcdClassless(text: string): ClasslessRoute[] {
  const words = text.split(' ');
  if (words.length % 2 !== 0) throw new ClasslessSyntaxError('expected pairs of destination and gateway');
  const routes: ClasslessRoute[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const [dest = '', prefixText = ''] = (words[i] ?? '').split('/');
    const net = parseIPv4(dest);
    const prefix = /^(3[0-2]|[12]?[0-9])$/.test(prefixText) ? Number(prefixText) : NaN;
    const gateway = parseIPv4(words[i + 1] ?? '');
    if (net === null || Number.isNaN(prefix) || gateway === null) {
      throw new ClasslessSyntaxError(`bad route ${shown(`${words[i]} ${words[i + 1]}`)}`);
    }
    if ((net & ~maskOf(prefix)) >>> 0 !== 0)
      throw new ClasslessSyntaxError(`host bits set in ${formatIPv4(net)}/${prefix}`);
    routes.push({ net, prefix, gateway });
  }
  return routes;
}

/**
 * ISC dhclient: `new_rfc3442_classless_static_routes="0 100 64 0 1 15 198 18 100 64 0 1"`, the
 * option's bytes in decimal: per route a prefix length, its significant destination octets,
 * then the four gateway octets.
 */
export function parseDhclientClassless(text: string): ClasslessRoute[] {
  const bytes = text
    .split(' ')
    .map((w) => (/^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/.test(w) ? Number(w) : NaN));
  if (bytes.some(Number.isNaN)) throw new ClasslessSyntaxError('expected decimal bytes separated by single spaces');
  const routes: ClasslessRoute[] = [];
  let i = 0;
  while (i < bytes.length) {
    const prefix = bytes[i++]!;
    if (prefix > 32) throw new ClasslessSyntaxError(`prefix length ${prefix} is over 32`);
    const significant = Math.ceil(prefix / 8);
    if (i + significant + 4 > bytes.length) throw new ClasslessSyntaxError('route cut short');
    let net = 0;
    for (let k = 0; k < 4; k++) net = net * 256 + (k < significant ? bytes[i + k]! : 0);
    i += significant;
    const gateway = bytes.slice(i, i + 4).reduce((acc, b) => acc * 256 + b, 0);
    i += 4;
    routes.push({ net: (net & maskOf(prefix)) >>> 0, prefix, gateway });
  }
  return routes;
}

/** The default route's gateway among classless routes: a number (0 = on-link), or undefined. */
export function classlessDefault(routes: readonly ClasslessRoute[]): number | undefined {
  return routes.find((r) => r.prefix === 0)?.gateway;
}
