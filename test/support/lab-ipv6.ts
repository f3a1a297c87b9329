// What the dual-stack lab (Lab.create({ ipv6: true }), see lab.ts) lets a test see and check on the
// IPv6 side: the macvlans' global addresses, srcroute's `ip -6` rules and routes, pings both ways.
// The promise checked: per global address A of IF one rule `from A lookup TABLE pref
// PRIORITY proto 213` (the same table and priority as IF's IPv4), and in TABLE `default via ROUTER
// dev IF` plus the on-link prefixes, all proto 213; nothing of srcroute's for an address IF lost.
import { INTERNET6, PROTOCOL, isSourceRule, type IpRoute, type IpRule, type Lab } from './lab.js';
import type { Netns } from './netns.js';

export interface Addr6 {
  local: string;
  prefixlen: number;
  /** DAD still running: the kernel will not send from it yet. */
  tentative: boolean;
  /** Preferred lifetime 0 (a renumbered prefix running out): valid, but not for new traffic. */
  deprecated: boolean;
}

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  tentative?: boolean;
  deprecated?: boolean;
  dadfailed?: boolean;
}

/** Every global IPv6 address of `iface` in the box (SLAAC /64s and DHCPv6 /128s). */
export function globalAddrs6(lab: Lab, iface: string): Addr6[] {
  const links = lab.box.json<{ addr_info?: AddrInfo[] }>('-6', 'addr', 'show', 'dev', iface, 'scope', 'global');
  return links
    .flatMap((l) => l.addr_info ?? [])
    .filter((a) => a.family === 'inet6' && !a.dadfailed)
    .map((a) => ({ local: a.local, prefixlen: a.prefixlen, tentative: a.tentative === true, deprecated: a.deprecated === true }));
}

/** Every IPv6 rule in the box, numeric. */
export function rules6(lab: Lab): IpRule[] {
  return lab.box.json<IpRule>('-N', '-6', 'rule', 'show');
}

export function ownedRules6(lab: Lab): IpRule[] {
  return rules6(lab).filter((r) => r.protocol === String(PROTOCOL));
}

/** IPv6 routes of one table, numeric. */
export function routes6(lab: Lab, table: string | number): IpRoute[] {
  return lab.box.json<IpRoute>('-N', '-6', 'route', 'show', 'table', String(table));
}

/** IPv6 routes with srcroute's protocol, in every table. */
export function ownedRoutes6(lab: Lab): (IpRoute & { table?: string })[] {
  return lab.box.json<IpRoute & { table?: string }>('-N', '-6', 'route', 'show', 'table', 'all').filter((r) => r.protocol === String(PROTOCOL));
}

/**
 * Check srcroute's IPv6 promise for `iface` against the kernel's current addresses: exactly one
 * owned source rule per global address (priority 1000, IF's table) with its rule into main
 * before it (999), no owned rule to that table for any
 * other address, and in the table exactly one `default via ROUTER dev IF` plus a route for each
 * prefix in `prefixes` (e.g. '2001:db8:1:1::/64'), every route dev IF proto 213. Returns the
 * addresses; throws a message listing what differs.
 */
export function checkV6(lab: Lab, iface: string, router: string, prefixes: readonly string[]): Addr6[] {
  const addrs = globalAddrs6(lab, iface);
  const table = lab.tableOf(iface);
  const owned = ownedRules6(lab);
  const problems: string[] = [];
  if (addrs.length === 0) problems.push('no global IPv6 address');
  for (const a of addrs) {
    const from = owned.filter((r) => r.src === a.local && isSourceRule(r));
    if (from.length !== 1 || from[0]!.priority !== 1000 || from[0]!.table !== table) {
      problems.push(`rules from ${a.local}: ${JSON.stringify(from)} (want one: priority 1000 table ${table} proto ${PROTOCOL})`);
    }
    const local = owned.filter((r) => r.src === a.local && r.table === '254' && r.priority === 999);
    if (local.length !== 1) problems.push(`rules from ${a.local} to main's own networks: ${JSON.stringify(local)} (want one at 999)`);
  }
  const stale = owned.filter((r) => r.table === table && !addrs.some((a) => a.local === r.src));
  if (stale.length) problems.push(`rules for addresses ${iface} does not hold: ${JSON.stringify(stale)}`);
  const routes = routes6(lab, table);
  const dflt = routes.filter((r) => r.dst === 'default');
  if (dflt.length !== 1 || dflt[0]!.gateway !== router || dflt[0]!.dev !== iface) {
    problems.push(`default in table ${table}: ${JSON.stringify(dflt)} (want one via ${router} dev ${iface})`);
  }
  for (const p of prefixes) {
    if (!routes.some((r) => r.dst === p && r.dev === iface && !r.gateway)) problems.push(`no on-link route ${p} dev ${iface} in table ${table}`);
  }
  const foreign = routes.filter((r) => r.protocol !== String(PROTOCOL) || r.dev !== iface);
  if (foreign.length) problems.push(`routes in table ${table} not dev ${iface} proto ${PROTOCOL}: ${JSON.stringify(foreign)}`);
  if (problems.length) throw new Error(`${iface} IPv6 (${addrs.map((a) => a.local).join(' ')}):\n  ${problems.join('\n  ')}`);
  return addrs;
}

/** Nothing of srcroute's IPv6 left for `iface`: no owned v6 rule to its table, no owned v6 route in it. */
export function checkNothing6(lab: Lab, iface: string): void {
  const table = lab.tableOf(iface);
  const rules = ownedRules6(lab).filter((r) => r.table === table);
  const routes = ownedRoutes6(lab).filter((r) => r.table === table || r.dev === iface);
  if (rules.length || routes.length) throw new Error(`${iface}: srcroute left IPv6 state behind: ${JSON.stringify({ rules, routes })}`);
}

/** ping -6 from the internet namespace to `addr`. */
export function ping6FromInternet(lab: Lab, addr: string): boolean {
  return lab.internet.run(['ping', '-6', '-n', '-c1', '-W1', addr]).code === 0;
}

/** ping -6 from the box to the internet, with `addr` as the source. */
export function ping6FromBox(lab: Lab, addr: string): boolean {
  return lab.box.run(['ping', '-6', '-n', '-c1', '-W1', '-I', addr, INTERNET6]).code === 0;
}

/** Both directions, a few tries (the first packet may wait for neighbour discovery). */
export function reachable6(lab: Lab, addr: string, tries = 3): { inbound: boolean; outbound: boolean } {
  let inbound = false;
  let outbound = false;
  for (let i = 0; i < tries && !(inbound && outbound); i++) {
    inbound ||= ping6FromInternet(lab, addr);
    outbound ||= ping6FromBox(lab, addr);
  }
  return { inbound, outbound };
}

/**
 * IPv6 packets the LAN router received for an address not its own and dropped: public traffic
 * that missed the rules. It has no route beyond its LAN and does not forward, so they count as
 * `Ip6InNoRoutes` (or `Ip6InAddrErrors` with a route) in its /proc/net/snmp6.
 */
export function deadEndDrops6(lab: Lab): number {
  const counters = new Map(
    lab.lanrouter.run(['cat', '/proc/net/snmp6']).stdout.split('\n').map((l) => l.trim().split(/\s+/) as [string, string]),
  );
  return Number(counters.get('Ip6InNoRoutes') ?? NaN) + Number(counters.get('Ip6InAddrErrors') ?? NaN);
}

/**
 * Router advertisements the kernel of `ns` counted on `iface`: received (`In`) or sent (`Out`),
 * from /proc/net/dev_snmp6/IFACE; 0 while the interface is not there. An RA is counted as it
 * arrives, and the kernel acts on it (SLAAC, an RA default, or nothing under accept_ra 0) in the
 * same softirq: a count past a mark is the positive signal that an RA was handled by then.
 */
export function routerAdverts(ns: Netns, iface: string, dir: 'In' | 'Out' = 'In'): number {
  const r = ns.run(['cat', `/proc/net/dev_snmp6/${iface}`]);
  if (r.code !== 0) return 0;
  return Number(new RegExp(`^Icmp6${dir}RouterAdvertisements\\s+(\\d+)`, 'm').exec(r.stdout)?.[1] ?? 0);
}
