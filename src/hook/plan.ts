// The pure heart of srcroute: from what the event (or the DHCP client's lease) calls for, what
// the kernel holds, and the config, decide the `ip` commands that make the kernel hold exactly
// that, and nothing when it already does. No I/O here. The hook applies the plan; flush, sync,
// status and check ask the very same functions, so "converged" has one meaning: the plan is
// empty. Each change says which of the table's parts it is about and what is wrong with it, for
// status's columns and check's findings. Tests drive it with recorded events and golden plans.
import type { Config } from './config.js';
import type { Lease } from './want.js';
import { kernelStateOf, type FamilyRead, type KernelState, type OwnedState, type Scope } from './kernel-state.js';
import { addressRules, forwardRules } from './address-rules.js';
import { desired6 } from './plan6.js';
import type { Desired, Want } from './want.js';
import { formatIPv4, networkOf, parseIPv4 } from '../shared/ipv4.js';
import { hostOrPrefix } from '../shared/prefix.js';
import type { Change } from '../kernel/change.js';
import { ANY, MAIN_TABLE, type Family, type Route } from '../kernel/kernel.js';
import { ruleWords, sameMark, sameMatch, sameRule, type Mark, type Rule } from '../kernel/rule.js';

/**
 * The part of the table a change is about, and what is wrong with it now: `rule` the source rule,
 * `local` the rules that keep local networks local (address-rules.ts), `default` and `connected`
 * the table's routes.
 */
export type Part = 'rule' | 'local' | 'default' | 'connected';
export type PartState = 'missing' | 'wrong' | 'stale';

export interface PlannedChange extends Change {
  part: Part;
  state: PartState;
  /** What it is about, as a finding names it: a rule's source address, a route's destination. */
  subject: string;
}

/** What the kernel must hold for `iface` while `lease` is bound. */
export function desiredFor(lease: Lease, iface: string, config: Config): Desired {
  const address = parseIPv4(lease.address)!;
  const subnets = lease.prefix < 32 ? [`${formatIPv4(networkOf(address, lease.prefix))}/${lease.prefix}`] : [];
  const route = (dst: string, gateway: string | null, onlink: boolean): Route => ({
    dst,
    dev: iface,
    gateway,
    onlink,
    table: config.table,
  });
  return {
    rules: [...forwardRules(4, config), ...addressRules(`${lease.address}/32`, subnets, config.table, config.priority)],
    routes: [...subnets.map((net) => route(net, null, false)), route(ANY[4], lease.gateway, lease.onlink)],
  };
}

/** What the kernel must hold for `want`, given what it holds (`kernel`). */
export function desired(want: Want, kernel: KernelState, iface: string, config: Config): Desired {
  switch (want.kind) {
    case 'lease':
      return desiredFor(want.lease, iface, config);
    case 'follow':
      return desired6(want.news, kernel, iface, config);
    case 'ended': {
      const held = heldRules(kernel.owned, kernel.addresses, config.mark);
      return held.length > 0 ? { rules: held, routes: kernel.owned.routes } : { rules: [], routes: [] };
    }
    case 'nothing':
      return { rules: [], routes: [] };
  }
}

const sameRoute = (a: Route, b: Route): boolean =>
  a.dst === b.dst && a.dev === b.dev && a.gateway === b.gateway && a.onlink === b.onlink;

const isV6 = (prefix: string): boolean => prefix.includes(':');
const isDefault = (dst: string): boolean => dst === ANY[4] || dst === ANY[6];
const dstWord = (dst: string): string => (isDefault(dst) ? 'default' : dst);
const partOf = (route: Route): Part => (isDefault(route.dst) ? 'default' : 'connected');

const tableLabel = (table: number, config: Config): string =>
  table === config.table ? config.tableName : table === MAIN_TABLE ? 'main' : String(table);
const ruleFamily = (rule: Rule): Family => (rule.from.includes(':') ? 6 : 4);
const partOfRule = (rule: Rule): Part =>
  rule.table === MAIN_TABLE || rule.to !== ANY[ruleFamily(rule)] ? 'local' : 'rule';

const markWord = (m: Mark): string => `0x${m.value.toString(16)}/0x${m.mask.toString(16)}`;

function ruleChange(verb: 'add' | 'del', rule: Rule, config: Config, state: PartState): PlannedChange {
  const shown = ruleWords(rule, tableLabel(rule.table, config)).join(' ');
  return {
    argv: ['rule', verb, ...ruleWords(rule), 'priority', String(rule.priority), 'protocol', String(config.protocol)],
    says: `rule ${shown} pref ${rule.priority} ${verb === 'add' ? 'added' : 'removed'}`,
    part: partOfRule(rule),
    state,
    subject: rule.fwmark === null ? hostOrPrefix(rule.from) : `fwmark ${markWord(rule.fwmark)}`,
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
    subject: dstWord(route.dst),
    state: ({ add: 'missing', replace: 'wrong', del: 'stale' } as const)[verb],
    ...(verb === 'del' ? { mayBeGone: true as const } : {}),
  };
}

/**
 * The rules for addresses the interface still holds after its lease "ended": dhcpcd with
 * `persistent` (Debian's default dhcpcd.conf) leaves the address configured on STOPPED (`dhcpcd
 * -x`, SIGTERM), and a public address without its rule answers nothing. The rules of its mark
 * stay while any address does: the table still holds the default they lead to. Another
 * interface's mark rule into main is not this one's (two FORWARD=yes macvlans, a real Debian 13
 * boot: each STOPPED added the other's, `File exists`).
 */
export function heldRules(state: OwnedState, addresses: readonly string[], mark: Mark): Rule[] {
  const held = state.rules.filter((r) => r.fwmark === null && addresses.includes(hostOrPrefix(r.from)));
  return held.length > 0 ? state.rules.filter((r) => sameMark(r.fwmark, mark) || held.includes(r)) : [];
}

/**
 * The changes that make the table hold `want` instead of `have` (empty when it already does).
 * Make before break: routes in place first (connected before default, so the gateway resolves),
 * then the new rules (in the block's order: the rules that keep local networks local before the
 * source rule), then the old rules, then routes nobody needs any more. A rule wanted with another
 * priority or table is `wrong` (added anew, the old one removed); a second copy is `stale`.
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
  // the source rule goes first, so that no moment routes the address by half its block
  const removed = have.rules.filter((_, i) => !kept.has(i)).sort((a, b) => b.priority - a.priority);
  const ruleAdds = added.map((r) =>
    ruleChange('add', r, config, removed.some((o) => sameMatch(o, r)) ? 'wrong' : 'missing'),
  );
  const ruleDels = removed.map((r) =>
    ruleChange('del', r, config, added.some((n) => sameMatch(n, r)) ? 'wrong' : 'stale'),
  );
  const routeDels = have.routes
    .filter((r) => !want.routes.some((w) => w.dst === r.dst))
    .map((r) => routeChange('del', r, config));
  return [...routeSets, ...ruleAdds, ...ruleDels, ...routeDels];
}

/**
 * srcroute's rules into main belong to the interface whose table holds a rule from the same
 * address, or that wants one: main is every interface's, and only the address tells whose. A
 * rule for a mark (from all) belongs to the interface with that mark, FORWARD or not (then it goes).
 */
export function claimed(owned: OwnedState, want: Desired, table: number, mark: Mark): OwnedState {
  const byAddress = [...owned.rules.filter((r) => r.table === table), ...want.rules].filter((r) => r.fwmark === null);
  const froms = new Set(byAddress.map((r) => r.from));
  const ours = (r: Rule): boolean => (r.fwmark === null ? froms.has(r.from) : sameMark(r.fwmark, mark));
  return { rules: owned.rules.filter((r) => r.table !== MAIN_TABLE || ours(r)), routes: owned.routes };
}

/**
 * One judgement, for the hook and for status, check and sync: from what ip says, what must be and the changes that make
 * it so.
 */
export function decide(
  want: Want,
  read: FamilyRead,
  scope: Scope,
  config: Config,
  family: Family,
): { kernel: KernelState; desired: Desired; changes: PlannedChange[] } {
  const kernel = kernelStateOf(read, scope, config, family);
  const target = desired(want, kernel, scope.iface, config);
  const have = scope.table === 'all' ? kernel.owned : claimed(kernel.owned, target, scope.table, config.mark);
  return { kernel, desired: target, changes: plan(target, have, config) };
}
