// The pure heart of srcroute: from what the event (or the DHCP client's lease) calls for, what
// the kernel holds, and the config, decide the `ip` commands that make the kernel hold exactly
// that, and nothing when it already does. No I/O here. The hook applies the plan; flush, sync,
// status and check ask the very same functions, so "converged" has one meaning: the plan is
// empty. Each change says which of the table's parts it is about and what is wrong with it, for
// status's columns and check's findings. Tests drive it with recorded events and golden plans.
import type { Config } from './config.js';
import type { Lease } from './event.js';
import type { News6 } from './event6.js';
import type { KernelState } from './kernel-state.js';
import { desired6 } from './plan6.js';
import { formatIPv4, networkOf, parseIPv4 } from '../shared/ipv4.js';
import { hostOrPrefix } from '../shared/prefix.js';
import type { Change } from '../kernel/change.js';
import { ANY, type OwnedState, type Route, type Rule } from '../kernel/kernel.js';

/** What the kernel must hold for one interface and family: what the event or lease calls for. */
export type Want =
  /** IPv4: this lease is bound. */
  | { kind: 'lease'; lease: Lease }
  /** IPv4: the lease ended; an address the interface still holds keeps its rule and routes. */
  | { kind: 'ended' }
  /** IPv6: the interface's global addresses and its router, corrected by what the event tells. */
  | { kind: 'follow'; news: News6 }
  /** Nothing of srcroute's (IPv6 with no router left, the link gone, flush). */
  | { kind: 'nothing' };

/** What the kernel must hold in the table, for one address family. */
export interface Desired {
  rules: Rule[];
  routes: Route[];
}

/** The part of the table a change is about, and what is wrong with it now. */
export type Part = 'rule' | 'default' | 'connected';
export type PartState = 'missing' | 'wrong' | 'stale';

export interface PlannedChange extends Change {
  part: Part;
  state: PartState;
}

/** What the kernel must hold for `iface` while `lease` is bound. */
export function desiredFor(lease: Lease, iface: string, config: Config): Desired {
  const address = parseIPv4(lease.address)!;
  const routes: Route[] = [];
  if (lease.prefix < 32) {
    const net = `${formatIPv4(networkOf(address, lease.prefix))}/${lease.prefix}`;
    routes.push({ dst: net, dev: iface, gateway: null, onlink: false, table: config.table });
  }
  routes.push({ dst: ANY[4], dev: iface, gateway: lease.gateway, onlink: lease.onlink, table: config.table });
  return { rules: [{ from: `${lease.address}/32`, table: config.table, priority: config.priority }], routes };
}

/** What the kernel must hold for `want`, given what it holds (`kernel`). */
export function desired(want: Want, kernel: KernelState, iface: string, config: Config): Desired {
  switch (want.kind) {
    case 'lease':
      return desiredFor(want.lease, iface, config);
    case 'follow':
      return desired6(want.news, kernel, iface, config);
    case 'ended': {
      const held = heldRules(kernel.owned, kernel.addresses);
      return held.length > 0 ? { rules: held, routes: kernel.owned.routes } : { rules: [], routes: [] };
    }
    case 'nothing':
      return { rules: [], routes: [] };
  }
}

const sameRule = (a: Rule, b: Rule): boolean => a.from === b.from && a.table === b.table && a.priority === b.priority;
const sameRoute = (a: Route, b: Route): boolean =>
  a.dst === b.dst && a.dev === b.dev && a.gateway === b.gateway && a.onlink === b.onlink;

const isV6 = (prefix: string): boolean => prefix.includes(':');
const isDefault = (dst: string): boolean => dst === ANY[4] || dst === ANY[6];
const dstWord = (dst: string): string => (isDefault(dst) ? 'default' : dst);
const partOf = (route: Route): Part => (isDefault(route.dst) ? 'default' : 'connected');

const tableLabel = (table: number, config: Config): string => (table === config.table ? config.tableName : String(table));

function ruleChange(verb: 'add' | 'del', rule: Rule, config: Config, state: PartState): PlannedChange {
  const from = hostOrPrefix(rule.from);
  const table = tableLabel(rule.table, config);
  return {
    argv: ['rule', verb, 'from', from, 'lookup', String(rule.table), 'priority', String(rule.priority), 'protocol', String(config.protocol)],
    says: `rule from ${from} lookup ${table} pref ${rule.priority} ${verb === 'add' ? 'added' : 'removed'}`,
    part: 'rule',
    state,
    // a delete racing with another run's (the hook's own EXPIRE under flush): gone is done
    ...(verb === 'del' ? { mayBeGone: true as const } : {}),
  };
}

function routeWords(route: Route): string[] {
  return [
    dstWord(route.dst),
    ...(route.gateway === null ? [] : ['via', route.gateway]),
    'dev',
    route.dev,
    ...(route.gateway === null && !isV6(route.dst) ? ['scope', 'link'] : []),
    ...(route.onlink ? ['onlink'] : []),
  ];
}

function routeChange(verb: 'add' | 'replace' | 'del', route: Route, config: Config): PlannedChange {
  const words = routeWords(route);
  const done = { add: 'added', replace: 'replaced', del: 'removed' }[verb];
  return {
    argv: ['route', verb, ...words, 'proto', String(config.protocol), 'table', String(route.table)],
    says: `route ${words.join(' ')} table ${tableLabel(route.table, config)} ${done}`,
    part: partOf(route),
    state: ({ add: 'missing', replace: 'wrong', del: 'stale' } as const)[verb],
    ...(verb === 'del' ? { mayBeGone: true as const } : {}),
  };
}

/**
 * The rules for addresses the interface still holds after its lease "ended": dhcpcd with
 * `persistent` (Debian's default dhcpcd.conf) leaves the address configured on STOPPED (`dhcpcd
 * -x`, SIGTERM), and a public address without its rule answers nothing (issue 12).
 */
export function heldRules(state: OwnedState, addresses: readonly string[]): Rule[] {
  return state.rules.filter((r) => addresses.includes(hostOrPrefix(r.from)));
}

/**
 * The changes that make the table hold `want` instead of `have` (empty when it already does).
 * Make before break: routes in place first (connected before default, so the gateway resolves),
 * then the new rules, then the old rules, then routes nobody needs any more. A rule whose address
 * is wanted with another priority or table is `wrong` (added anew, the old one removed); a second
 * copy of a wanted rule is `stale`.
 */
export function plan(want: Desired, have: OwnedState, config: Config): PlannedChange[] {
  const routeSets: PlannedChange[] = [];
  for (const route of want.routes) {
    const sameDst = have.routes.filter((r) => r.dst === route.dst);
    if (sameDst.some((r) => sameRoute(r, route))) continue;
    routeSets.push(routeChange(sameDst.length > 0 ? 'replace' : 'add', route, config));
  }
  // Each wanted rule keeps its first copy in the kernel; every other rule of ours goes.
  const kept = new Set<number>();
  const added: Rule[] = [];
  for (const rule of want.rules) {
    const i = have.rules.findIndex((r, j) => !kept.has(j) && sameRule(r, rule));
    if (i === -1) added.push(rule);
    else kept.add(i);
  }
  const removed = have.rules.filter((_, i) => !kept.has(i));
  const ruleAdds = added.map((r) => ruleChange('add', r, config, removed.some((o) => o.from === r.from) ? 'wrong' : 'missing'));
  const ruleDels = removed.map((r) => ruleChange('del', r, config, added.some((n) => n.from === r.from) ? 'wrong' : 'stale'));
  const routeDels = have.routes
    .filter((r) => !want.routes.some((w) => w.dst === r.dst))
    .map((r) => routeChange('del', r, config));
  return [...routeSets, ...ruleAdds, ...ruleDels, ...routeDels];
}
