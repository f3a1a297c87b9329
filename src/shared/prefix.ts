// Prefixes of either family as srcroute writes them (`100.64.0.50/32`, `2001:db8::1/128`,
// `0.0.0.0/0`): the one way to show a host prefix as ip takes it, and whether a prefix holds an
// address.
import { inSubnet, parseIPv4 } from './ipv4.js';
import { networkOf6, parseIPv6 } from './ipv6.js';

const isV6 = (prefix: string): boolean => prefix.includes(':');

/** A host prefix as its bare address (ip's own way to show a rule's source); any other prefix as it is. */
export const hostOrPrefix = (prefix: string): string => prefix.replace(isV6(prefix) ? /\/128$/ : /\/32$/, '');

/** Whether `prefix` (ADDR/LEN, either family) holds `address`; false across families or for garbage. */
export function containsAddress(prefix: string, address: string): boolean {
  const [net = '', lenText = ''] = prefix.split('/');
  const len = Number(lenText);
  if (isV6(net) !== isV6(address) || !/^\d+$/.test(lenText)) return false;
  if (!isV6(net)) {
    const a = parseIPv4(address);
    const n = parseIPv4(net);
    return a !== null && n !== null && len <= 32 && (len === 0 || inSubnet(a, n, len));
  }
  const a = parseIPv6(address);
  const n = parseIPv6(net);
  if (a === null || n === null || len > 128) return false;
  const x = networkOf6(a, len);
  return networkOf6(n, len).every((g, i) => g === x[i]);
}
