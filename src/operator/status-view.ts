// `srcroute status`, the showing part: interface states -> a block per interface a person reads
// at a glance on an 80-column console, or JSON for scripts. Pure.
import type { FamilyState, InterfaceState } from './judge.js';
import { commandOf } from '../hook/apply.js';
import type { Family } from '../kernel/kernel.js';

/** IPv6 at a glance: `off` (IPV6=no), how many global addresses, and through which router. */
function ipv6Line(s: InterfaceState): string {
  if (s.ipv6 === null) return 'off';
  const n = s.ipv6.addresses.length;
  return `${n === 0 ? 'no global address' : `${n} addr`}${s.ipv6.router ? ` via ${s.ipv6.router}` : ''}`;
}

function leaseLine(s: InterfaceState): string {
  if (!s.lease) return 'no lease';
  const at = `${s.lease.address}/${s.lease.prefix}`;
  return s.lease.gateway ? `${at} via ${s.lease.gateway}` : `${at} on-link`;
}

/**
 * The parts of a family's table as the hook judges them ("-": nothing wanted, nothing there):
 * the source rule, the rules that keep local networks local, the table's routes.
 */
const partsLine = (f: FamilyState | null): string =>
  `rule ${f?.rule ?? '-'}, local ${f?.local ?? '-'}, default ${f?.default ?? '-'}, connected ${f?.connected ?? '-'}`;

/** `text` in lines of at most `width` columns, each after `indent`. */
function wrap(text: string, indent: string, width = 80): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(`${indent}${word}`);
  }
  return lines;
}

/**
 * One block per interface, a line per thing judged, so that it fits an 80-column console with
 * the longest IPv6 router and leaves room for more lines (a rule, a firewall chain) later:
 *   eth0v0: table pub (123), rp_filter loose
 *     ipv4  100.64.0.56/24 via 100.64.0.1
 *           rule ok, local ok, default ok, connected ok
 */
/** An interface's state, and with FORWARD=yes its line (forward-check.ts forwardLine). */
export type StatusOf = InterfaceState & { forward?: string };

function block(s: StatusOf): string[] {
  const t = s.table;
  const named = t && t.name !== String(t.number) ? `${t.name} (${t.number})` : t?.name;
  const lines = [`${s.iface}: table ${named ?? '?'}, rp_filter ${s.rpFilter}`];
  lines.push(`  ipv4  ${leaseLine(s)}`, `        ${partsLine(s.ipv4)}`, `  ipv6  ${ipv6Line(s)}`);
  if (s.ipv6 !== null) lines.push(`        ${partsLine(s.ipv6)}`);
  if (s.forward !== undefined) lines.push(`  ${s.forward}`);
  if (s.problem !== null) lines.push(...wrap(`problem: ${s.problem}`, '  '));
  return lines;
}

export function renderStatusTable(states: readonly StatusOf[]): string[] {
  if (states.length === 0)
    return ['srcroute status: no interface is configured (no /etc/srcroute/IFACE.env, no /etc/dhcpcd/IFACE.exit-hook)'];
  return states.flatMap((s, i) => [...(i > 0 ? [''] : []), ...block(s)]);
}

/** The same for scripts; each family's plan as the commands the hook would run (none: converged). */
export function renderStatusJson(states: readonly StatusOf[]): string {
  const family = (f: FamilyState | null, n: Family) => f && { ...f, plan: f.plan.map((c) => commandOf(c, n)) };
  return JSON.stringify(
    { interfaces: states.map((s) => ({ ...s, ipv4: family(s.ipv4, 4), ipv6: family(s.ipv6, 6) })) },
    null,
    2,
  );
}
