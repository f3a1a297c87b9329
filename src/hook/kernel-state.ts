// What srcroute reads of the kernel for one interface and family, and the one function that turns
// it into the plan's input. The hook asks ip a few narrow questions (queriesFor), check and status
// take a whole dump (operator/facts.ts); both land in one shape, FamilyRead, and kernelStateOf
// filters it the same way, so the one judge sees one picture of one kernel whoever asked (a
// property test feeds both the same drawn kernels: test/unit/kernel-state.test.ts).
// Rules: ip filters by table (`rule show table N`, and `table main` for the rules that send local
// networks back to main), srcroute by protocol (iproute2 6.1 ignores `rule show protocol`).
// Routes: ip filters by protocol (and then leaves the protocol out of its JSON), srcroute by
// table. The same questions go to `ip -4` and `ip -6`: each lists its own family only.
import type { Config } from './config.js';
import type { Want } from './want.js';
import {
  parseAddresses, parseDevRoutes, parseRoutes, MAIN_TABLE, type DevRoute, type Family, type MetricRoute, type Route,
} from '../kernel/kernel.js';
import { parseRules, ruleWords, type Rule, type SeenRule } from '../kernel/rule.js';
import { canonicalIPv6 } from '../shared/ipv6.js';

/**
 * One family of the kernel as `ip -N -j` lists it: rules, routes (with table and device), global addresses by device.
 */
export interface FamilyRead {
  rules: SeenRule[];
  routes: MetricRoute[];
  addresses: ReadonlyMap<string, readonly string[]>;
}

/** What srcroute holds: rules into its table or main, routes in its table. */
export interface OwnedState {
  rules: Rule[];
  routes: Route[];
}

export interface KernelState {
  owned: OwnedState;
  /** The interface's global addresses. */
  addresses: string[];
  /** main's routes on the interface. */
  main: DevRoute[];
}

/** Where a round looks: one interface's table, or every table (flush). */
export type Scope = { iface: string; table: number } | { iface: ''; table: 'all' };

const inTable = (scope: Scope, table: number): boolean => scope.table === 'all' || table === scope.table;
/**
 * The kernel's order (preference), and among equals one fixed order: a narrow read and a whole dump list equals apart.
 */
const byPreference = (a: Rule, b: Rule): number => {
  const [x, y] = [a, b].map((r) => ruleWords(r).join(' ')) as [string, string];
  return a.priority - b.priority || (x < y ? -1 : x > y ? 1 : 0);
};

/** The plan's input: what srcroute owns within `scope`, the interface's addresses and main's routes on it. */
export function kernelStateOf(read: FamilyRead, scope: Scope, config: Config, family: Family): KernelState {
  const ours = (x: { protocol: number }): boolean => x.protocol === config.protocol;
  const addresses = [...(read.addresses.get(scope.iface) ?? [])];
  return {
    owned: {
      rules: read.rules
        .filter((r) => ours(r) && (inTable(scope, r.table) || r.table === MAIN_TABLE))
        .sort(byPreference) // one order, whichever questions read them
        .map(({ protocol: _, ...r }) => r),
      routes: read.routes
        .filter((r) => ours(r) && inTable(scope, r.table))
        .map(({ protocol: _, metric: __, nhid: ___, ...r }) => r),
    },
    addresses: family === 6 ? addresses.map(canonicalIPv6) : addresses,
    main: read.routes
      .filter((r) => r.table === MAIN_TABLE && r.dev === scope.iface)
      .map(({ dev: _, table: __, ...r }) => r),
  };
}

/** The questions about what srcroute owns within `scope`. */
export function ownedQueries(config: Config, scope: Scope): string[][] {
  const rules =
    scope.table === 'all'
      ? [['rule', 'show']]
      : [
          ['rule', 'show', 'table', String(scope.table)],
          ['rule', 'show', 'table', 'main'],
        ];
  return [...rules, ['route', 'show', 'table', 'all', 'proto', String(config.protocol)]];
}

/**
 * What the hook asks for `want`: what srcroute owns, and what deciding it needs besides. On an
 * IPv4 lease's end, which addresses the interface still holds: every interface's, because
 * `address show dev X` fails the batch once X is gone (DEPARTED). For a lease, that the link
 * exists (a route `dev X` would fail otherwise: the hook then says so and holds nothing for it).
 * To follow IPv6, main's routes on the interface and its global addresses (these fail the batch
 * for a link that is gone too, with the same outcome).
 */
export function queriesFor(want: Want, config: Config, scope: Scope): string[][] {
  const owned = ownedQueries(config, scope);
  if (want.kind === 'ended') return [...owned, ['address', 'show']];
  if (want.kind === 'lease') return [...owned, ['link', 'show', 'dev', scope.iface]];
  if (want.kind === 'follow') {
    return [
      ...owned,
      ['route', 'show', 'table', 'main', 'dev', scope.iface],
      ['addr', 'show', 'dev', scope.iface, 'scope', 'global'],
    ];
  }
  return owned;
}

/** The answers to queriesFor(want, …), as a FamilyRead. */
export function readOf(
  want: Want,
  answers: readonly unknown[],
  config: Config,
  scope: Scope,
  family: Family,
): FamilyRead {
  const ruleAnswers = scope.table === 'all' ? 1 : 2;
  const rules = answers.slice(0, ruleAnswers).flatMap((a) => parseRules(a, family));
  // ip filtered the routes by protocol already and left it out: they are all srcroute's
  const owned = parseRoutes(answers[ruleAnswers], family).map((r) => ({
    ...r,
    protocol: config.protocol,
    metric: 0,
    nhid: null,
  }));
  const rest = answers.slice(ruleAnswers + 1);
  if (want.kind === 'ended') return { rules, routes: owned, addresses: parseAddresses(rest[0]) };
  if (want.kind !== 'follow') return { rules, routes: owned, addresses: new Map() };
  const main = parseDevRoutes(rest[0], family).map((r) => ({ ...r, dev: scope.iface, table: MAIN_TABLE }));
  return {
    rules,
    routes: [...owned, ...main],
    addresses: new Map([[scope.iface, [...parseAddresses(rest[1]).values()].flat()]]),
  };
}
