// A DHCP client's *current* lease, read back after the fact (for `sync`, `status`, `check`), in
// dhcpcd's variable names without the new_ prefix: ip_address, subnet_cidr, routers, …
// Three encodings, all parsed here, purely:
//  - `dhcpcd -U IFACE` output: `key=value` lines (values unquoted), a blank line between blocks;
//  - dhcpcd's lease file /var/lib/dhcpcd/IFACE.lease: the server's raw DHCP message;
//  - ISC dhclient's dhclient.IFACE.leases: `lease { … }` blocks, the last one current.
// leaseEnv() turns the result into the hook environment that runHook() validates as usual.
import type { Env } from './env.js';
import { formatIPv4, prefixOfMask } from '../shared/ipv4.js';

export type LeaseVars = Record<string, string>;

/** The DHCP block of `dhcpcd -U` output (the one with ip_address), or null. */
export function parseDumpedLease(text: string): LeaseVars | null {
  for (const block of text.split(/\n\s*\n/)) {
    const vars: LeaseVars = {};
    for (const line of block.split('\n')) {
      const m = /^([a-z][a-z0-9_]*)=(.*)$/.exec(line);
      if (m) vars[m[1]!] = m[2]!.trim();
    }
    if (vars.ip_address !== undefined) return vars;
  }
  return null;
}

/** A raw DHCP message (BOOTREPLY): its address, mask, routers, classless routes and lease time. */
export function parseDhcpMessage(bytes: Uint8Array): { vars: LeaseVars; leaseSeconds: number } | null {
  const COOKIE = [99, 130, 83, 99];
  if (bytes.length < 240 || bytes[0] !== 2 || COOKIE.some((b, i) => bytes[236 + i] !== b)) return null;
  const u32 = (at: number): number =>
    ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const quad = (at: number): string => formatIPv4(u32(at));
  const vars: LeaseVars = { ip_address: quad(16) };
  let leaseSeconds = 0;
  for (let i = 240; i < bytes.length && bytes[i] !== 255; ) {
    const code = bytes[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    const len = bytes[i + 1] ?? 0;
    const at = i + 2;
    if (at + len > bytes.length) return null;
    if (code === 1 && len === 4) {
      vars.subnet_mask = quad(at);
      const prefix = prefixOfMask(u32(at));
      if (prefix !== null) vars.subnet_cidr = String(prefix);
    }
    if (code === 3 && len >= 4 && len % 4 === 0) {
      vars.routers = Array.from({ length: len / 4 }, (_, k) => quad(at + 4 * k)).join(' ');
    }
    if (code === 51 && len === 4) leaseSeconds = u32(at);
    // option 121 in its wire form is exactly what dhclient exports: decimal bytes, spaces
    if (code === 121) vars.rfc3442_classless_static_routes = Array.from(bytes.subarray(at, at + len)).join(' ');
    i = at + len;
  }
  return { vars, leaseSeconds };
}

/** The last `lease { … }` block of a dhclient lease file, unless it expired before `nowMs`. */
export function parseDhclientLeases(text: string, nowMs: number): LeaseVars | null {
  const blocks = [...text.matchAll(/lease\s*\{([^}]*)\}/g)];
  const body = blocks[blocks.length - 1]?.[1];
  if (body === undefined) return null;
  const vars: LeaseVars = {};
  let expired = false;
  for (const raw of body.split(';')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^fixed-address\s+(\S+)$/.exec(line))) vars.ip_address = m[1]!;
    else if ((m = /^option\s+subnet-mask\s+(\S+)$/.exec(line))) vars.subnet_mask = m[1]!;
    else if ((m = /^option\s+routers\s+(.+)$/.exec(line))) vars.routers = m[1]!.split(/\s*,\s*/).join(' ');
    else if ((m = /^option\s+rfc3442-classless-static-routes\s+(.+)$/.exec(line)))
      vars.rfc3442_classless_static_routes = m[1]!.split(/\s*,\s*/).join(' ');
    else if ((m = /^expire\s+\d\s+(\d{4})\/(\d\d)\/(\d\d)\s+(\d\d):(\d\d):(\d\d)$/.exec(line))) {
      const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
      expired = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) <= nowMs;
    }
  }
  return vars.ip_address === undefined || expired ? null : vars;
}

/** The hook environment for a lease read back: BOUND with new_* variables, or STOP (no lease). */
export function leaseEnv(iface: string, vars: LeaseVars | null): Env {
  if (vars === null) return { reason: 'STOP', interface: iface };
  const env: Record<string, string> = { reason: 'BOUND', interface: iface };
  for (const [key, value] of Object.entries(vars)) {
    if (!['reason', 'interface', 'protocol'].includes(key)) env[`new_${key}`] = value;
  }
  return env;
}
