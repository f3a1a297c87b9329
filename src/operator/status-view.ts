// `srcroute status`, the showing part: interface states -> an aligned table a person reads at
// a glance, or JSON for scripts. Pure.
import type { InterfaceState } from './interface-state.js';

const COLUMNS = ['IFACE', 'LEASE', 'GATEWAY', 'TABLE', 'RULE', 'DEFAULT', 'CONNECTED', 'RP_FILTER', 'IPV6', 'RULES6', 'DEFAULT6'] as const;

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
    s.rule,
    s.defaultRoute,
    s.connected,
    s.rpFilter,
    ipv6Cell(s),
    s.ipv6?.rules ?? '-',
    s.ipv6?.defaultRoute ?? '-',
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

export function renderStatusJson(states: readonly InterfaceState[]): string {
  return JSON.stringify({ interfaces: states }, null, 2);
}
