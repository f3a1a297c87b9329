// The questions the hook and `flush` ask the kernel, and the part of the answers srcroute owns.
// Rules: ip filters by table, srcroute by protocol (iproute2 6.1 ignores `rule show protocol`).
// Routes: ip filters by protocol (and then leaves the protocol out of its JSON), srcroute by
// table. In -batch mode iproute2 asks the kernel for a full dump either way.
import type { Config } from './config.js';
import { parseRoutes, parseRules, type OwnedState } from '../kernel/kernel.js';

export function stateQueries(config: Config, table: number | 'all'): string[][] {
  return [
    ['rule', 'show', ...(table === 'all' ? [] : ['table', String(table)])],
    ['route', 'show', 'table', 'all', 'proto', String(config.protocol)],
  ];
}

export function stateOf(answers: unknown[], config: Config, table: number | 'all'): OwnedState {
  const inTable = (x: { table: number }): boolean => table === 'all' || x.table === table;
  return {
    rules: parseRules(answers[0])
      .filter((r) => r.protocol === config.protocol && inTable(r))
      .map(({ protocol: _, ...rule }) => rule),
    routes: parseRoutes(answers[1])
      .filter(inTable)
      .map(({ protocol: _, ...route }) => route),
  };
}
