// The pure heart of srcroute: from a lease event, what the kernel holds, and the config, decide
// the `ip` commands that make the kernel hold exactly what the lease calls for, and nothing
// when it already does. No I/O here; tests drive it with recorded events and golden plans.
import type { Config } from './config.js';
import type { Lease } from './event.js';
import { formatIPv4, networkOf, parseIPv4 } from '../shared/ipv4.js';
import type { Change } from '../kernel/change.js';
import type { OwnedState, Route, Rule } from '../kernel/kernel.js';

/** What the kernel must hold in the table, for one address family. */
export interface Desired {
  rules: Rule[];
  routes: Route[];
}

/** What the kernel must hold for `iface` while `lease` is bound. */
export function desiredFor(lease: Lease, iface: string, config: Config): Desired {
  const address = parseIPv4(lease.address)!;
  const routes: Route[] = [];
  if (lease.prefix < 32) {
    const net = `${formatIPv4(networkOf(address, lease.prefix))}/${lease.prefix}`;
    routes.push({ dst: net, dev: iface, gateway: null, onlink: false, table: config.table });
  }
  routes.push({ dst: '0.0.0.0/0', dev: iface, gateway: lease.gateway, onlink: lease.onlink, table: config.table });
  return { rules: [{ from: `${lease.address}/32`, table: config.table, priority: config.priority }], routes };
}

const sameRule = (a: Rule, b: Rule): boolean => a.from === b.from && a.table === b.table && a.priority === b.priority;
const sameRoute = (a: Route, b: Route): boolean =>
  a.dst === b.dst && a.dev === b.dev && a.gateway === b.gateway && a.onlink === b.onlink;

const isV6 = (prefix: string): boolean => prefix.includes(':');
const hostOrPrefix = (prefix: string): string => prefix.replace(isV6(prefix) ? /\/128$/ : /\/32$/, '');
const dstWord = (dst: string): string => (dst === '0.0.0.0/0' || dst === '::/0' ? 'default' : dst);

const tableLabel = (table: number, config: Config): string => (table === config.table ? config.tableName : String(table));

function ruleChange(verb: 'add' | 'del', rule: Rule, config: Config): Change {
  const from = hostOrPrefix(rule.from);
  const table = tableLabel(rule.table, config);
  return {
    argv: ['rule', verb, 'from', from, 'lookup', String(rule.table), 'priority', String(rule.priority), 'protocol', String(config.protocol)],
    says: `rule from ${from} lookup ${table} pref ${rule.priority} ${verb === 'add' ? 'added' : 'removed'}`,
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

function routeChange(verb: 'add' | 'replace' | 'del', route: Route, config: Config): Change {
  const words = routeWords(route);
  const done = { add: 'added', replace: 'replaced', del: 'removed' }[verb];
  return {
    argv: ['route', verb, ...words, 'proto', String(config.protocol), 'table', String(route.table)],
    says: `route ${words.join(' ')} table ${tableLabel(route.table, config)} ${done}`,
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
 * Everything srcroute owns in the table goes, rules first so that no rule points at a
 * half-empty table; but while an address stays on the interface (`held`), its rule and the
 * table's routes stay too.
 */
export function planDown(state: OwnedState, config: Config, held: readonly Rule[] = []): Change[] {
  return [
    ...state.rules.filter((r) => !held.includes(r)).map((r) => ruleChange('del', r, config)),
    ...(held.length > 0 ? [] : state.routes.map((r) => routeChange('del', r, config))),
  ];
}

/**
 * Make before break: routes in place first (connected before default, so the gateway resolves),
 * then the new rules, then the old rules, then routes nobody needs any more.
 */
export function planUp(want: Desired, state: OwnedState, config: Config): Change[] {
  const routeSets: Change[] = [];
  for (const route of want.routes) {
    const sameDst = state.routes.filter((r) => r.dst === route.dst);
    if (sameDst.some((r) => sameRoute(r, route))) continue;
    routeSets.push(routeChange(sameDst.length > 0 ? 'replace' : 'add', route, config));
  }
  // Each wanted rule keeps its first copy in the kernel; every other rule of ours goes.
  const kept = new Set<number>();
  const ruleAdd: Change[] = [];
  for (const rule of want.rules) {
    const i = state.rules.findIndex((r, j) => !kept.has(j) && sameRule(r, rule));
    if (i === -1) ruleAdd.push(ruleChange('add', rule, config));
    else kept.add(i);
  }
  const ruleDels = state.rules.filter((_, i) => !kept.has(i)).map((r) => ruleChange('del', r, config));
  const routeDels = state.routes
    .filter((r) => !want.routes.some((w) => w.dst === r.dst))
    .map((r) => routeChange('del', r, config));
  return [...routeSets, ...ruleAdd, ...ruleDels, ...routeDels];
}
