// The questions srcroute asks the kernel, and how their answers become the state it owns.
// Rules are filtered by table in ip (the kernel has no rule filter by protocol, so that part is
// ours); routes by protocol in the kernel's own dump filter, then by table here.
import type { Config } from './config.js';
import { ownedRoutes, ownedRules, type OwnedState } from './kernel.js';

export function stateQueries(config: Config, table: number | 'all'): string[][] {
  return [
    ['rule', 'show', ...(table === 'all' ? [] : ['table', String(table)])],
    ['route', 'show', 'table', 'all', 'proto', String(config.protocol)],
  ];
}

export function stateOf(answers: unknown[], config: Config, table: number | 'all'): OwnedState {
  return {
    rules: ownedRules(answers[0], config.protocol),
    routes: ownedRoutes(answers[1], table),
  };
}
