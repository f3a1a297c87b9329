// The questions the hook and `flush` ask the kernel, and the part of the answers srcroute owns.
// Rules: ip filters by table, srcroute by protocol (iproute2 6.1 ignores `rule show protocol`).
// Routes: ip filters by protocol (and then leaves the protocol out of its JSON), srcroute by
// table. In -batch mode iproute2 asks the kernel for a full dump either way. The same questions
// go to `ip -4` and `ip -6`: each lists its own family only, so neither touches the other's.
import type { Config } from './config.js';
import type { Kernel6 } from './plan6.js';
import { parseAddresses, parseDevRoutes, parseRoutes, parseRules, type Family, type OwnedState } from '../kernel/kernel.js';
import { canonicalIPv6 } from '../shared/ipv6.js';

export function stateQueries(config: Config, table: number | 'all'): string[][] {
  return [
    ['rule', 'show', ...(table === 'all' ? [] : ['table', String(table)])],
    ['route', 'show', 'table', 'all', 'proto', String(config.protocol)],
  ];
}

/**
 * The hook's extra question on an IPv4 lease's end: which addresses the interface still holds.
 * Every interface's, because `address show dev X` fails the batch once X is gone (DEPARTED).
 */
export const ADDRESSES_QUERY = ['address', 'show'];

export function stateOf(answers: unknown[], config: Config, table: number | 'all', family: Family = 4): OwnedState {
  const inTable = (x: { table: number }): boolean => table === 'all' || x.table === table;
  return {
    rules: parseRules(answers[0], family)
      .filter((r) => r.protocol === config.protocol && inTable(r))
      .map(({ protocol: _, ...rule }) => rule),
    routes: parseRoutes(answers[1], family)
      .filter(inTable)
      .map(({ protocol: _, ...route }) => route),
  };
}

/** For an IPv6 event, also: main's routes on the interface and its global addresses. */
export function state6Queries(config: Config, iface: string): string[][] {
  return [...stateQueries(config, config.table), ['route', 'show', 'table', 'main', 'dev', iface], ['addr', 'show', 'dev', iface, 'scope', 'global']];
}

export function state6Of(answers: unknown[], config: Config): Kernel6 {
  return {
    owned: stateOf(answers, config, config.table, 6),
    main: parseDevRoutes(answers[2], 6),
    addresses: [...parseAddresses(answers[3]).values()].flat().map(canonicalIPv6),
  };
}
