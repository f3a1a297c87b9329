// The rules srcroute writes for one leased address. They sit in one block of preferences that ends at PRIORITY (the
// config's): first the rules that keep traffic to the lease's own subnets in srcroute's table,
// then the one that sends traffic to networks main knows better than by its default (the LAN, a
// container bridge, a VPN) back to main, and last the source rule into srcroute's table. Why the
// subnet rules come first: with two leases in one subnet on two macvlans, main holds one
// connected route per macvlan and a plain `lookup main` takes the first, the other macvlan's
// (measured in lab-local: the lease's own gateway then answers through the wrong link). Why
// `suppress_prefixlength 0`: it skips main's default alone, so every more specific route in main
// still counts (the guide's author's later script, `multihomed`, used the same rule).
import { MAIN_TABLE } from '../kernel/kernel.js';
import { makeRule, type Rule } from '../kernel/rule.js';

export const OFFSET = { subnet: 2, local: 1, source: 0 } as const;

/** How many preferences the block takes: PRIORITY must leave room for it above 0. */
export const BLOCK_SIZE = Math.max(...Object.values(OFFSET)) + 1;

/** An address's rules, in the block's order: to each of `subnets` into `table`, to main's own networks, then the rest. */
export function addressRules(from: string, subnets: readonly string[], table: number, priority: number): Rule[] {
  return [
    ...subnets.map((to) => makeRule({ from, to, table, priority: priority - OFFSET.subnet })),
    makeRule({ from, table: MAIN_TABLE, suppressPrefixlength: 0, priority: priority - OFFSET.local }),
    makeRule({ from, table, priority: priority - OFFSET.source }),
  ];
}
