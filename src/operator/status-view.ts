// `srcroute status`, the showing part: interface states -> an aligned table a person reads at
// a glance, or JSON for scripts. Pure.
import type { FamilyState, InterfaceState } from './judge.js';
import { commandOf } from '../hook/apply.js';
import type { Family } from '../kernel/kernel.js';

const COLUMNS = ['IFACE', 'LEASE', 'GATEWAY', 'TABLE', 'RULE', 'DEFAULT', 'CONNECTED', 'RP_FILTER', 'IPV6', 'RULES6', 'DEFAULT6', 'CONNECTED6'] as const;

/** IPv6 at a glance: `off` (IPV6=no), how many global addresses, and through which router. */
function ipv6Cell(s: InterfaceState): string {
  if (s.ipv6 === null) return 'off';
  const n = s.ipv6.addresses.length;
  return `${n === 0 ? 'none' : `${n} addr`}${s.ipv6.router ? ` via ${s.ipv6.router}` : ''}`;
}

function row(s: InterfaceState): string[] {
  return [
    s.iface,
    s.lease ? `${s.lease.address}/${s.lease.prefix}` : 'none',
    s.lease ? (s.lease.gateway ?? 'on-link') : '-',
    s.table ? (s.table.name === String(s.table.number) ? s.table.name : `${s.table.name} (${s.table.number})`) : '?',
    s.ipv4?.rule ?? '-',
    s.ipv4?.default ?? '-',
    s.ipv4?.connected ?? '-',
    s.rpFilter,
    ipv6Cell(s),
    s.ipv6?.rule ?? '-',
    s.ipv6?.default ?? '-',
    s.ipv6?.connected ?? '-',
  ];
}

export function renderStatusTable(states: readonly InterfaceState[]): string[] {
  if (states.length === 0) return ['srcroute status: no interface is configured (no /etc/srcroute/IFACE.env, no /etc/dhcpcd/IFACE.exit-hook)'];
  const rows = [[...COLUMNS], ...states.map(row)];
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
  for (const s of states) if (s.problem !== null) lines.push(`${s.iface}: ${s.problem}`);
  return lines;
}

/** The same for scripts; each family's plan as the commands the hook would run (none: converged). */
export function renderStatusJson(states: readonly InterfaceState[]): string {
  const family = (f: FamilyState | null, n: Family) => f && { ...f, plan: f.plan.map((c) => commandOf(c, n)) };
  return JSON.stringify({ interfaces: states.map((s) => ({ ...s, ipv4: family(s.ipv4, 4), ipv6: family(s.ipv6, 6) })) }, null, 2);
}
