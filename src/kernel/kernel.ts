// The kernel's rules and routes, read from `ip -4|-6 -N -j` (numeric, JSON) output, in one shape for
// everyone: the hook keeps only what it owns (stamped with srcroute's protocol number: anything
// else is somebody else's and is never touched); `status` and `check` look at all of it (the
// rules the original shell hook left, what a table holds besides ours).
import { SystemError } from '../shared/errors.js';

export type Family = 4 | 6;

export interface Rule {
  /** Source prefix, always with its length: `100.64.0.50/32`, `2001:db8::1/128`. */
  from: string;
  table: number;
  priority: number;
}

export interface Route {
  /** Destination with its length; the default route is `0.0.0.0/0` (`::/0`). */
  dst: string;
  dev: string;
  gateway: string | null;
  onlink: boolean;
  table: number;
}

/** A rule or route as the kernel shows it, with its protocol (0 when ip shows none). */
export type SeenRule = Rule & { protocol: number };
export type SeenRoute = Route & { protocol: number };

export interface OwnedState {
  rules: Rule[];
  routes: Route[];
}

export interface KernelView {
  rules: SeenRule[];
  routes: SeenRoute[];
}

type Json = Record<string, unknown>;

function entries(json: unknown, what: string): Json[] {
  if (!Array.isArray(json) || json.some((e) => typeof e !== 'object' || e === null)) {
    throw new SystemError(`unexpected output from ip ${what}`);
  }
  return json as Json[];
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const protocolOf = (v: unknown): number => (typeof v === 'number' ? v : Number(str(v) ?? 0) || 0);
/** ip omits `table` for the main table. */
const tableOf = (v: unknown): number => (v === undefined ? 254 : Number(v));

/** The whole address space of a family. */
export const ANY: Record<Family, string> = { 4: '0.0.0.0/0', 6: '::/0' };

function withLength(prefix: string, len: unknown, family: Family): string {
  if (prefix === 'all' || prefix === 'default') return ANY[family];
  if (prefix.includes('/')) return prefix;
  return `${prefix}/${typeof len === 'number' ? len : family === 6 ? 128 : 32}`;
}

/** From `ip -4|-6 -N -j rule show …`. */
export function parseRules(json: unknown, family: Family = 4): SeenRule[] {
  return entries(json, 'rule show').map((r) => ({
    from: withLength(str(r.src) ?? 'all', r.srclen, family),
    table: tableOf(r.table),
    priority: Number(r.priority),
    protocol: protocolOf(r.protocol),
  }));
}

/** From `ip -4|-6 -N -j route show …` (`dev` is absent when the query named the device). */
export function parseRoutes(json: unknown, family: Family = 4): SeenRoute[] {
  return entries(json, 'route show').map((r) => ({
    dst: withLength(str(r.dst) ?? '', undefined, family),
    dev: str(r.dev) ?? '',
    gateway: str(r.gateway),
    onlink: Array.isArray(r.flags) && r.flags.includes('onlink'),
    table: tableOf(r.table),
    protocol: protocolOf(r.protocol),
  }));
}

/** A route with the metric that ranks defaults (ip omits it for IPv4's 0). */
export type MetricRoute = SeenRoute & { metric: number };

export function parseMetricRoutes(json: unknown, family: Family): MetricRoute[] {
  const metrics = entries(json, 'route show').map((r) => (typeof r.metric === 'number' ? r.metric : 0));
  return parseRoutes(json, family).map((r, i) => ({ ...r, metric: metrics[i]! }));
}

/** A route of one device (`route show table main dev IF`: ip leaves the device out). */
export type DevRoute = Omit<MetricRoute, 'dev' | 'table'>;

export function parseDevRoutes(json: unknown, family: Family): DevRoute[] {
  return parseMetricRoutes(json, family).map(({ dev: _, table: __, ...r }) => r);
}

/**
 * From `ip -N -j addr show [dev IF] scope global`: the addresses each device holds, without
 * those whose duplicate address detection failed. ip prints `{}` for the addresses the filter drops.
 */
export function parseAddresses(json: unknown): Map<string, string[]> {
  const byDevice = new Map<string, string[]>();
  for (const link of entries(json, 'addr show')) {
    const held = entries(link.addr_info ?? [], 'addr show')
      .filter((a) => typeof a.local === 'string' && a.dadfailed !== true)
      .map((a) => a.local as string);
    const name = str(link.ifname) ?? '';
    byDevice.set(name, [...(byDevice.get(name) ?? []), ...held]);
  }
  return byDevice;
}

/** The questions `status` and `check` ask: every rule, every route in every table. */
export const VIEW_QUERIES = [
  ['rule', 'show'],
  ['route', 'show', 'table', 'all'],
];

export function kernelView(answers: readonly unknown[]): KernelView {
  return { rules: parseRules(answers[0]), routes: parseRoutes(answers[1]) };
}
