// The kernel's routes, addresses and links, read from `ip -4|-6 -N -j` (numeric, JSON) output, in
// one shape for everyone (rules: rule.ts, on the helpers exported here): the hook keeps only what
// it owns (stamped with srcroute's protocol number: anything else is somebody else's and is never
// touched); `status` and `check` look at all of it (what a table holds besides ours).
import { SystemError } from '../shared/errors.js';

export type Family = 4 | 6;

export interface Route {
  /** Destination with its length; the default route is `0.0.0.0/0` (`::/0`). */
  dst: string;
  dev: string;
  gateway: string | null;
  onlink: boolean;
  table: number;
}

/** A route as the kernel shows it, with its protocol. */
export type SeenRoute = Route & { protocol: number };

type Json = Record<string, unknown>;

export function entries(json: unknown, what: string): Json[] {
  if (!Array.isArray(json) || json.some((e) => typeof e !== 'object' || e === null)) {
    throw new SystemError(`unexpected output from ip ${what}`);
  }
  return json as Json[];
}

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const protocolOf = (v: unknown, absent: number): number =>
  v === undefined ? absent : typeof v === 'number' ? v : Number(str(v) ?? 0) || 0;
/** rtnetlink's RTPROT_BOOT: `ip route add`'s own, which ip leaves out of a route's JSON (rules: unspec, 0). */
const RTPROT_BOOT = 3;
/** The main table's number (rtnetlink's RT_TABLE_MAIN). */
export const MAIN_TABLE = 254;
/** rtnetlink's protocol number for routes from router advertisements (RTPROT_RA). */
export const RTPROT_RA = 9;
/**
 * The kernel RA default metric srcroute gives a macvlan (sysctl ra_defrtr_metric; the ifupdown
 * stack sets it, check looks for it): above a LAN default's usual 1024, so it never wins main.
 */
export const RA_DEFRTR_METRIC = 2048;
/** ip omits `table` for the main table. */
export const tableOf = (v: unknown): number => (v === undefined ? MAIN_TABLE : Number(v));

/** rt_protos' names for the protocols other programs stamp their routes with (ip takes them too). */
const PROTOCOL_NAMES: Record<number, string> = { 2: 'kernel', 3: 'boot', 4: 'static', 9: 'ra', 16: 'dhcp' };
export const protocolName = (n: number): string => PROTOCOL_NAMES[n] ?? String(n);

/** The whole address space of a family. */
export const ANY: Record<Family, string> = { 4: '0.0.0.0/0', 6: '::/0' };

export function withLength(prefix: string, len: unknown, family: Family): string {
  if (prefix === 'all' || prefix === 'default') return ANY[family];
  if (prefix.includes('/')) return prefix;
  return `${prefix}/${typeof len === 'number' ? len : family === 6 ? 128 : 32}`;
}

/** From `ip -4|-6 -N -j route show …` (`dev` is absent when the query named the device). */
export function parseRoutes(json: unknown, family: Family = 4): SeenRoute[] {
  return entries(json, 'route show').map((r) => ({
    dst: withLength(str(r.dst) ?? '', undefined, family),
    dev: str(r.dev) ?? '',
    gateway: str(r.gateway),
    onlink: Array.isArray(r.flags) && r.flags.includes('onlink'),
    table: tableOf(r.table),
    protocol: protocolOf(r.protocol, RTPROT_BOOT),
  }));
}

/**
 * A route with the metric that ranks defaults (ip omits it for IPv4's 0), and the nexthop object
 * it uses, if any: the kernel deletes an IPv6 route with one by prefix, protocol and metric alone,
 * whatever device and gateway the delete names (measured on Linux 6.18).
 */
export type MetricRoute = SeenRoute & { metric: number; nhid: number | null };

export function parseMetricRoutes(json: unknown, family: Family): MetricRoute[] {
  const extra = entries(json, 'route show').map((r) => ({
    metric: typeof r.metric === 'number' ? r.metric : 0,
    nhid: typeof r.nhid === 'number' ? r.nhid : null,
  }));
  return parseRoutes(json, family).map((r, i) => ({ ...r, ...extra[i]! }));
}

/** From `ip -j link show`: each device's parent (a macvlan's link), null for one without. */
export function parseLinks(json: unknown): Map<string, string | null> {
  return new Map(entries(json, 'link show').map((l) => [str(l.ifname) ?? '', str(l.link)]));
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

