// One interface's IPv6 as `status` shows it and `check` judges it: what the hook would make of
// the kernel's state right now (desired6 with no event: the interface's global addresses, the
// router from main's RA default or the table's own) against what the table holds; plus the
// two system settings that break IPv6 source routing (shared/notes/ipv6.md, measured):
//  - main's IPv6 default leaving via the macvlan (dhcpcd without nogateway installs it at metric
//    100x, the kernel's own RA handling at 1024): it beats or ties the LAN's, so traffic from
//    every source goes to the modem;
//  - forwarding=1 without accept_ra=2: the kernel then ignores router advertisements.
// Pure; facts.ts gathers the input.
import type { Config } from '../hook/config.js';
import { desired6 } from '../hook/plan6.js';
import { ANY, type MetricRoute, type SeenRule } from '../kernel/kernel.js';

export type Ipv6Part = 'ok' | 'missing' | 'stale' | '-';

export interface Ipv6State {
  /** The interface's global addresses. */
  addresses: string[];
  /** The router srcroute routes through (or would): null when none is known. */
  router: string | null;
  /** Every address has its rule and no rule is left over (`stale`), or some are `missing`. */
  rules: Ipv6Part;
  defaultRoute: Ipv6Part;
  /** main's best IPv6 default leaves via this interface (metric shown), or null. */
  mainDefaultHere: { gateway: string | null; metric: number } | null;
  forwarding: boolean;
  acceptRa: number | null;
}

export interface Ipv6Input {
  iface: string;
  config: Config;
  addresses: string[];
  /** Every IPv6 rule and route (all tables, with metrics). */
  rules: SeenRule[];
  routes: MetricRoute[];
  sysctl: { forwarding: number | null; forwardingAll: number | null; acceptRa: number | null };
}

export function ipv6State(input: Ipv6Input): Ipv6State {
  const { iface, config } = input;
  const owned = {
    rules: input.rules.filter((r) => r.table === config.table && r.protocol === config.protocol).map(({ protocol: _, ...r }) => r),
    routes: input.routes.filter((r) => r.table === config.table && r.protocol === config.protocol).map(({ protocol: _, metric: __, ...r }) => r),
  };
  const main = input.routes.filter((r) => r.table === 254 && r.dev === iface);
  const want = desired6({ held: [], lost: [] }, { addresses: input.addresses, main, owned }, iface, config);
  const have = new Set(owned.rules.map((r) => `${r.from} ${r.priority}`));
  const need = new Set(want.rules.map((r) => `${r.from} ${r.priority}`));
  const rules: Ipv6Part = [...need].some((r) => !have.has(r)) ? 'missing' : [...have].some((r) => !need.has(r)) ? 'stale' : need.size > 0 ? 'ok' : '-';
  const wantDefault = want.routes.find((r) => r.dst === ANY[6]);
  const haveDefault = owned.routes.find((r) => r.dst === ANY[6]);
  const defaultRoute: Ipv6Part = wantDefault
    ? haveDefault?.gateway === wantDefault.gateway && haveDefault.dev === iface ? 'ok' : 'missing'
    : haveDefault ? 'stale' : '-';
  const defaults = input.routes.filter((r) => r.table === 254 && r.dst === ANY[6]).sort((a, b) => a.metric - b.metric);
  const best = defaults.filter((r) => r.metric === defaults[0]?.metric).find((r) => r.dev === iface);
  const { forwarding, forwardingAll, acceptRa } = input.sysctl;
  return {
    addresses: input.addresses,
    router: wantDefault?.gateway ?? null,
    rules,
    defaultRoute,
    mainDefaultHere: best ? { gateway: best.gateway, metric: best.metric } : null,
    forwarding: (forwarding ?? forwardingAll ?? 0) === 1,
    acceptRa,
  };
}
