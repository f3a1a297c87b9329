// The kernel's state as srcroute sees it: the rules and routes it owns in one table, read from
// `ip -4 -N -j` (numeric, JSON) output. Owned means stamped with srcroute's protocol number;
// everything else is somebody else's and is never listed here, so never touched.
import { SystemError } from './errors.js';

export interface Rule {
  /** Source prefix, always with its length: `100.64.0.50/32`. */
  from: string;
  table: number;
  priority: number;
}

export interface Route {
  /** Destination with its length; the default route is `0.0.0.0/0`. */
  dst: string;
  dev: string;
  gateway: string | null;
  onlink: boolean;
  table: number;
}

export interface OwnedState {
  rules: Rule[];
  routes: Route[];
}

type Json = Record<string, unknown>;

export function entries(json: unknown, what: string): Json[] {
  if (!Array.isArray(json) || json.some((e) => typeof e !== 'object' || e === null)) {
    throw new SystemError(`unexpected output from ip ${what}`);
  }
  return json as Json[];
}

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function withLength(prefix: string, len: unknown): string {
  if (prefix === 'all' || prefix === 'default') return '0.0.0.0/0';
  if (prefix.includes('/')) return prefix;
  return `${prefix}/${typeof len === 'number' ? len : 32}`;
}

/** From `ip -4 -N -j rule show table T`: the rules carrying `protocol`. */
export function ownedRules(json: unknown, protocol: number): Rule[] {
  return entries(json, 'rule show')
    .filter((r) => str(r.protocol) === String(protocol) || r.protocol === protocol)
    .map((r) => ({
      from: withLength(str(r.src) ?? 'all', r.srclen),
      table: Number(r.table),
      priority: Number(r.priority),
    }));
}

/** From `ip -4 -N -j route show table all proto P`: those of them in `table` (or all). */
export function ownedRoutes(json: unknown, table: number | 'all'): Route[] {
  return entries(json, 'route show')
    .filter((r) => table === 'all' || Number(r.table) === table)
    .map((r) => ({
      dst: withLength(str(r.dst) ?? '', undefined),
      dev: str(r.dev) ?? '',
      gateway: str(r.gateway),
      onlink: Array.isArray(r.flags) && r.flags.includes('onlink'),
      table: Number(r.table),
    }));
}
