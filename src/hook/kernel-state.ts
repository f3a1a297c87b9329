// What srcroute reads of the kernel for one interface and family, in one shape for the hook,
// flush, sync, status and check alike: the rules and routes it owns (stamped with its protocol
// number: anything else is somebody else's and never touched), and, where the plan needs them,
// the interface's global addresses and main's routes on it.
// Rules: ip filters by table, srcroute by protocol (iproute2 6.1 ignores `rule show protocol`).
// Routes: ip filters by protocol (and then leaves the protocol out of its JSON), srcroute by
// table. The same questions go to `ip -4` and `ip -6`: each lists its own family only.
import type { Config } from './config.js';
import type { Want } from './plan.js';
import { parseAddresses, parseDevRoutes, parseRoutes, parseRules, type DevRoute, type Family, type OwnedState, type SeenRoute, type SeenRule } from '../kernel/kernel.js';
import { canonicalIPv6 } from '../shared/ipv6.js';

export interface KernelState {
  /** What srcroute holds in the table (in every table, for flush). */
  owned: OwnedState;
  /** The interface's global addresses (only where the plan needs them, else empty). */
  addresses: string[];
  /** main's routes on the interface (only where the plan needs them, else empty). */
  main: DevRoute[];
}

/** The questions about what srcroute owns in `table`. */
export function ownedQueries(config: Config, table: number | 'all'): string[][] {
  return [
    ['rule', 'show', ...(table === 'all' ? [] : ['table', String(table)])],
    ['route', 'show', 'table', 'all', 'proto', String(config.protocol)],
  ];
}

/** What srcroute owns in `table`, out of rules and routes as ip lists them. */
export function ownedOf(rules: readonly SeenRule[], routes: readonly SeenRoute[], config: Config, table: number | 'all'): OwnedState {
  const inTable = (x: { table: number }): boolean => table === 'all' || x.table === table;
  return {
    rules: rules.filter((r) => r.protocol === config.protocol && inTable(r)).map(({ protocol: _, ...rule }) => rule),
    routes: routes.filter((r) => r.protocol === config.protocol && inTable(r)).map(({ protocol: _, ...route }) => route),
  };
}

/**
 * What the hook asks for `want`: what srcroute owns, and what deciding it needs besides. On an
 * IPv4 lease's end, which addresses the interface still holds: every interface's, because
 * `address show dev X` fails the batch once X is gone (DEPARTED). To follow IPv6, main's routes
 * on the interface and its global addresses.
 */
export function queriesFor(want: Want, config: Config, iface: string, table: number | 'all' = config.table): string[][] {
  const owned = ownedQueries(config, table);
  if (want.kind === 'ended') return [...owned, ['address', 'show']];
  if (want.kind === 'follow') return [...owned, ['route', 'show', 'table', 'main', 'dev', iface], ['addr', 'show', 'dev', iface, 'scope', 'global']];
  return owned;
}

/** The answers to queriesFor(want, …) as a KernelState. */
export function kernelOf(want: Want, answers: readonly unknown[], config: Config, iface: string, family: Family, table: number | 'all' = config.table): KernelState {
  // ip filtered the routes by protocol already and left it out: they are all srcroute's
  const routes = parseRoutes(answers[1], family).map((r) => ({ ...r, protocol: config.protocol }));
  const owned = ownedOf(parseRules(answers[0], family), routes, config, table);
  if (want.kind === 'ended') return { owned, addresses: parseAddresses(answers[2]).get(iface) ?? [], main: [] };
  if (want.kind === 'follow') {
    return { owned, main: parseDevRoutes(answers[2], 6), addresses: [...parseAddresses(answers[3]).values()].flat().map(canonicalIPv6) };
  }
  return { owned, addresses: [], main: [] };
}
