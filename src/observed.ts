// Everything the kernel holds, not only what srcroute owns: `status` and `check` must also see
// the rules somebody else left (the original hook's) and what a table holds besides ours.
// Parsed from the same `ip -4 -N -j` output as kernel.ts, whose helpers it reuses.
import { entries, str, withLength } from './kernel.js';

export interface SeenRule {
  from: string;
  table: number;
  priority: number;
  /** Protocol number; 0 when ip shows none (rules added without one). */
  protocol: number;
}

export interface SeenRoute {
  dst: string;
  dev: string;
  gateway: string | null;
  table: number;
  protocol: number;
}

export interface KernelView {
  rules: SeenRule[];
  routes: SeenRoute[];
}

/** The two questions: every rule, every route in every table. */
export const VIEW_QUERIES = [
  ['rule', 'show'],
  ['route', 'show', 'table', 'all'],
];

const protocolOf = (v: unknown): number => (typeof v === 'number' ? v : Number(str(v) ?? 0) || 0);

/** `ip` omits `table` for main-table routes in some versions: main it is. */
const tableOf = (v: unknown): number => (v === undefined ? 254 : Number(v));

export function kernelView(answers: readonly unknown[]): KernelView {
  return {
    rules: entries(answers[0], 'rule show').map((r) => ({
      from: withLength(str(r.src) ?? 'all', r.srclen),
      table: tableOf(r.table),
      priority: Number(r.priority),
      protocol: protocolOf(r.protocol),
    })),
    routes: entries(answers[1], 'route show').map((r) => ({
      dst: withLength(str(r.dst) ?? '', undefined),
      dev: str(r.dev) ?? '',
      gateway: str(r.gateway),
      table: tableOf(r.table),
      protocol: protocolOf(r.protocol),
    })),
  };
}
