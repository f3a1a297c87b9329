// The kernel's policy rules as a whole, for the one question srcroute's own view cannot answer:
// which rule decides where packets from a routed address go, when it is not srcroute's. `ip
// route get DST from ADDR` tells the table the kernel chose (route-probe.ts); this finds the rule
// that chose it, the first by preference whose selector matches such a packet: locally made, no
// firewall mark, uid 0, no protocol or ports. Measured (iproute2 6.1, `ip -N -j rule show`):
// wg-quick's `not fwmark 51820 table 51820` and `table main suppress_prefixlength 0`, added
// without a preference, land just before the first rule after 0 (998 and 999 beside srcroute's
// 1000), and the first one wins for every unmarked packet.
import { MAIN_TABLE, protocolName, type Family } from '../kernel/kernel.js';
import { containsAddress } from '../shared/prefix.js';

export interface PolicyRule {
  priority: number;
  /** The table it looks up; null for an action without one (unreachable, blackhole, prohibit, goto, nop). */
  table: number | null;
  /** FR_ACT_* by name: lookup, goto, nop, blackhole, unreachable, prohibit. */
  action: string;
  /** Its protocol number (0 when ip shows none). */
  protocol: number;
  /** `suppress_prefixlength N`: a route found with a prefix this short or shorter does not count. */
  suppress: number | null;
  /** As `ip rule show` prints it (numbers for tables and protocols). */
  text: string;
  /** Could it match a packet made here from `src` to `dst`, with no mark? */
  matches: (src: string, dst: string) => boolean;
}

type Json = Record<string, unknown>;

/** include/uapi/linux/fib_rules.h */
const ACTIONS: Record<string, string> = {
  '1': 'lookup',
  '2': 'goto',
  '3': 'nop',
  '6': 'blackhole',
  '7': 'unreachable',
  '8': 'prohibit',
};
/** Selectors a plain `route get` packet never carries (ports, protocol, tunnel id, l3mdev, an output device). */
const NEVER = ['ipproto', 'sport', 'sport_start', 'dport', 'dport_start', 'tun_id', 'l3mdev', 'oif', 'tos', 'dscp'];

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const prefixOf = (json: Json, key: 'src' | 'dst', family: Family): string | null => {
  const p = str(json[key]);
  if (p === null || p === 'all') return null;
  const len = json[`${key}len`];
  return `${p}/${typeof len === 'number' ? len : family === 6 ? 128 : 32}`;
};

function selectorMatches(json: Json, family: Family, src: string, dst: string): boolean {
  const from = prefixOf(json, 'src', family);
  const to = prefixOf(json, 'dst', family);
  if (from !== null && !containsAddress(from, src)) return false;
  if (to !== null && !containsAddress(to, dst)) return false;
  const mark = str(json.fwmark);
  if (mark !== null && (Number(mark) & Number(str(json.fwmask) ?? '0xffffffff')) !== 0) return false;
  const iif = str(json.iif);
  if (iif !== null && iif !== 'lo') return false;
  if (typeof json.uid_start === 'number' && json.uid_start > 0) return false;
  return !NEVER.some((k) => json[k] !== undefined);
}

function textOf(json: Json, family: Family, table: number | null, action: string): string {
  const words = [`${json.priority}:`];
  if (json.not !== undefined) words.push('not');
  words.push('from', prefixOf(json, 'src', family) ?? 'all');
  const to = prefixOf(json, 'dst', family);
  if (to !== null) words.push('to', to);
  const mark = str(json.fwmark);
  if (mark !== null) words.push('fwmark', json.fwmask === undefined ? mark : `${mark}/${str(json.fwmask)}`);
  for (const key of ['iif', 'oif', 'ipproto', 'sport', 'dport'])
    if (json[key] !== undefined) words.push(key, String(json[key]));
  if (json.uid_start !== undefined) words.push('uidrange', `${json.uid_start}-${json.uid_end}`);
  words.push(...(table !== null ? ['lookup', String(table)] : [action]));
  if (json.suppress_prefixlen !== undefined) words.push('suppress_prefixlength', String(json.suppress_prefixlen));
  if (json.protocol !== undefined) words.push('proto', protocolName(Number(json.protocol)));
  return words.join(' ');
}

/** From `ip -4|-6 -N -j rule show`. */
export function parsePolicy(json: unknown, family: Family): PolicyRule[] {
  const list = Array.isArray(json) ? (json.filter((r) => typeof r === 'object' && r !== null) as Json[]) : [];
  return list.map((r) => {
    const action = ACTIONS[str(r.action) ?? '1'] ?? `action ${str(r.action)}`;
    const table = action === 'lookup' ? Number(str(r.table) ?? MAIN_TABLE) : null;
    return {
      priority: Number(r.priority),
      table,
      action,
      protocol: Number(str(r.protocol) ?? 0) || 0,
      suppress: typeof r.suppress_prefixlen === 'number' ? r.suppress_prefixlen : null,
      text: textOf(r, family, table, action),
      matches: (src, dst) => selectorMatches(r, family, src, dst) !== (r.not !== undefined),
    };
  });
}

/**
 * The rule that decided a packet from `src` to `dst` (made here, unmarked) when the kernel looked
 * it up in `table` (null: the lookup failed), among those before srcroute's `ours` preference.
 */
export function decidingRule(
  rules: readonly PolicyRule[],
  src: string,
  dst: string,
  table: number | null,
  ours: number,
): PolicyRule | null {
  const before = [...rules]
    .filter((r) => r.priority < ours && r.matches(src, dst))
    .sort((a, b) => a.priority - b.priority);
  if (table === null) return before.find((r) => ['blackhole', 'unreachable', 'prohibit'].includes(r.action)) ?? null;
  // `route get` does not say how long the route's prefix was: a rule that suppresses short ones is the decider only
  // when nothing else can be
  const lookups = before.filter((r) => r.table === table);
  return lookups.find((r) => r.suppress === null) ?? lookups[0] ?? null;
}
