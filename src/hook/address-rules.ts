// The rules srcroute writes for one interface. They sit in one block of preferences that ends at PRIORITY (the
// config's): first, with FORWARD=yes, the two rules for the interface's mark (once per interface
// and family, not per address), then for each leased address the rules that keep traffic to the
// lease's own subnets in srcroute's table, the one that sends traffic to networks main knows better
// than by its default (the LAN, a container bridge, a VPN) back to main, and last the source rule
// into srcroute's table. Why the subnet rules come first: with two leases in one subnet on two
// macvlans, main holds one connected route per macvlan and a plain `lookup main` takes the first,
// the other macvlan's (measured in lab-local: the lease's own gateway then answers through the
// wrong link). Why `suppress_prefixlength 0`: it skips main's default alone, so every more
// specific route in main still counts (the guide's author's later script, `multihomed`, used the
// same rule). The mark's pair is the same: a forwarded connection's reply to a LAN host or a
// container stays in main, anything else takes the interface's default (docs/forwarding.md).
import { ANY, MAIN_TABLE, type Family } from '../kernel/kernel.js';
import { makeRule, type Mark, type Rule } from '../kernel/rule.js';

export const OFFSET = { markLocal: 4, mark: 3, subnet: 2, local: 1, source: 0 } as const;

/** How many preferences the block takes: PRIORITY must leave room for it above 0. */
export const BLOCK_SIZE = Math.max(...Object.values(OFFSET)) + 1;

/**
 * An address's rules, in the block's order: to each of `subnets` into `table`, to main's own networks, then the rest.
 */
export function addressRules(from: string, subnets: readonly string[], table: number, priority: number): Rule[] {
  return [
    ...subnets.map((to) => makeRule({ from, to, table, priority: priority - OFFSET.subnet })),
    makeRule({ from, table: MAIN_TABLE, suppressPrefixlength: 0, priority: priority - OFFSET.local }),
    makeRule({ from, table, priority: priority - OFFSET.source }),
  ];
}

/** The interface's rules for packets carrying its mark: main's own networks, then the rest into `table`. */
export function markRules(family: Family, fwmark: Mark, table: number, priority: number): Rule[] {
  const from = ANY[family];
  return [
    makeRule({ from, fwmark, table: MAIN_TABLE, suppressPrefixlength: 0, priority: priority - OFFSET.markLocal }),
    makeRule({ from, fwmark, table, priority: priority - OFFSET.mark }),
  ];
}

/** With FORWARD=yes, the interface's rules for its mark in `family`; none without. */
export const forwardRules = (
  family: Family,
  config: { forward: boolean; mark: Mark; table: number; priority: number },
): Rule[] => (config.forward ? markRules(family, config.mark, config.table, config.priority) : []);
