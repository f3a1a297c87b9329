// One interface as `status` shows it and `check` judges it: the lease (as the DHCP client
// reports it) against what the kernel holds. Pure; both commands share it so they never disagree.
import type { Config } from '../hook/config.js';
import type { Lease } from '../hook/event.js';
import type { KernelView, SeenRule } from '../kernel/kernel.js';
import { desiredFor } from '../hook/plan.js';
import type { Ipv6State } from './interface-state6.js';

export type RuleState = 'present' | 'missing' | 'duplicated' | 'stale' | '-';
export type RouteState = 'ok' | 'missing' | 'wrong' | 'stale' | '-';
export type RpFilter = 'off' | 'strict' | 'loose' | 'unknown';

export interface LeaseSeen {
  address: string;
  prefix: number;
  gateway: string | null;
  source: string;
}

export interface InterfaceState {
  iface: string;
  table: { number: number; name: string } | null;
  lease: LeaseSeen | null;
  /** Why the lease or the config could not be used (the state then says little). */
  problem: string | null;
  rule: RuleState;
  /** The rules that make `rule` what it is: duplicates or stale ones. */
  rules: SeenRule[];
  defaultRoute: RouteState;
  connected: RouteState;
  rpFilter: RpFilter;
  rpFilterValues: { all: number | null; iface: number | null };
  /** null when IPv6 is not handled (IPV6=no, or no usable config). */
  ipv6: Ipv6State | null;
}

export interface InterfaceInput {
  iface: string;
  config: Config | null;
  lease: { lease: Lease; source: string } | null;
  problem: string | null;
  rpFilter: { all: number | null; iface: number | null };
  ipv6?: Ipv6State | null;
}

/** The kernel's effective rp_filter for an interface is the larger of `all` and its own. */
export function rpFilterMode(values: { all: number | null; iface: number | null }): RpFilter {
  if (values.all === null || values.iface === null) return 'unknown';
  return (['off', 'strict', 'loose'] as const)[Math.max(values.all, values.iface)] ?? 'unknown';
}

export function interfaceState(input: InterfaceInput, kernel: KernelView): InterfaceState {
  const { iface, config, lease } = input;
  const base = {
    iface,
    table: config && { number: config.table, name: config.tableName },
    lease: lease && { address: lease.lease.address, prefix: lease.lease.prefix, gateway: lease.lease.gateway, source: lease.source },
    problem: input.problem,
    rpFilter: rpFilterMode(input.rpFilter),
    rpFilterValues: input.rpFilter,
    ipv6: input.ipv6 ?? null,
  };
  if (config === null) return { ...base, rule: '-', rules: [], defaultRoute: '-', connected: '-' };

  const inTable = kernel.rules.filter((r) => r.table === config.table && r.from !== '0.0.0.0/0');
  const routes = kernel.routes.filter((r) => r.table === config.table);
  const defaults = routes.filter((r) => r.dst === '0.0.0.0/0');
  if (lease === null) {
    const owned = inTable.filter((r) => r.protocol === config.protocol);
    const ownedRoutes = routes.filter((r) => r.protocol === config.protocol && r.dev === iface);
    return {
      ...base,
      rule: owned.length > 0 ? 'stale' : '-',
      rules: owned,
      defaultRoute: ownedRoutes.some((r) => r.dst === '0.0.0.0/0') ? 'stale' : '-',
      connected: ownedRoutes.some((r) => r.dst !== '0.0.0.0/0') ? 'stale' : '-',
    };
  }

  const want = desiredFor(lease.lease, iface, config);
  const mine = inTable.filter((r) => r.from === want.rules[0]!.from);
  const stale = inTable.filter((r) => r.from !== want.rules[0]!.from && r.protocol === config.protocol);
  const rule: RuleState = mine.length > 1 ? 'duplicated' : stale.length > 0 ? 'stale' : mine.length === 1 ? 'present' : 'missing';
  const wantDefault = want.routes.find((r) => r.dst === '0.0.0.0/0')!;
  const wantNet = want.routes.find((r) => r.dst !== '0.0.0.0/0');
  const defaultRoute: RouteState = defaults.some((r) => r.gateway === wantDefault.gateway && r.dev === iface)
    ? 'ok'
    : defaults.length > 0
      ? 'wrong'
      : 'missing';
  const connected: RouteState =
    wantNet === undefined ? '-' : routes.some((r) => r.dst === wantNet.dst && r.dev === iface && r.gateway === null) ? 'ok' : 'missing';
  return { ...base, rule, rules: rule === 'duplicated' ? mine : stale, defaultRoute, connected };
}
