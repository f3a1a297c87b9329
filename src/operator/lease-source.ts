// Where the current lease of IFACE is read from, in order:
//  1. a dhcpcd running for IFACE alone (its control socket /run/dhcpcd/IFACE[-4].sock):
//     `dhcpcd [-4] -U IFACE`, the lease as dhcpcd reports it;
//  2. any running dhcpcd (a socket in /run/dhcpcd): its lease file /var/lib/dhcpcd/IFACE.lease,
//     while not past its lease time. A manager-mode dhcpcd (Debian's dhcpcd.service, `-b`)
//     cannot answer -U in 9.4.1: with privilege separation the dump always times out after 5 s
//     (seen here; upstream issue #205), so it is not asked;
//  3. ISC dhclient's lease file, its last lease, unless expired.
// dhcpcd is only ever run when its control socket exists: a dhcpcd control command that finds
// no daemon may start one with /etc/dhcpcd.conf (shared notes). `-U` did not in 9.4.1 (it says
// "dhcpcd is not running"), but nothing here depends on that.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exists, listDir, readText, statOf } from '../shared/files.js';
import { parseDhclientLeases, parseDhcpMessage, parseDumpedLease, type LeaseVars } from '../hook/lease.js';
import type { Paths } from '../shared/paths.js';
import type { ProgramRunner } from '../kernel/program.js';

export interface FoundLease {
  /** How it was read, for status and logs: `dhcpcd -U`, a lease file path. */
  source: string;
  vars: LeaseVars;
}

export interface LeaseDeps {
  paths: Paths;
  run: ProgramRunner;
  now: () => number;
  /** dhcpcd's path; the first of /usr/sbin/dhcpcd, /sbin/dhcpcd that exists. */
  dhcpcd: string;
}

export const DHCPCD_CANDIDATES = ['/usr/sbin/dhcpcd', '/sbin/dhcpcd', '/usr/bin/dhcpcd'];

/** Which dhcpcd runs for `iface`, judged from the control sockets' names. */
export function dhcpcdControl(sockets: readonly string[], iface: string): { dump: string[] } | 'manager' | null {
  if (sockets.includes(`${iface}-4.sock`)) return { dump: ['-4', '-U', iface] };
  if (sockets.includes(`${iface}.sock`)) return { dump: ['-U', iface] };
  return sockets.includes('sock') ? 'manager' : null;
}

function fromLeaseFile(path: string, nowMs: number): LeaseVars | null {
  const stat = statOf(path);
  if (stat === null) return null;
  const parsed = parseDhcpMessage(new Uint8Array(readFileSync(path)));
  if (parsed === null) return null;
  const infinite = parsed.leaseSeconds === 0xffffffff;
  return infinite || stat.mtimeMs + parsed.leaseSeconds * 1000 > nowMs ? parsed.vars : null;
}

export async function readLease(iface: string, deps: LeaseDeps): Promise<FoundLease | null> {
  const control = dhcpcdControl(listDir(deps.paths.dhcpcdRun), iface);
  if (control !== null && control !== 'manager' && exists(deps.dhcpcd)) {
    const r = await deps.run([deps.dhcpcd, ...control.dump], 10_000);
    const vars = r.code === 0 ? parseDumpedLease(r.stdout) : null;
    if (vars !== null) return { source: `dhcpcd ${control.dump.join(' ')}`, vars };
  }
  return leaseFromFiles(iface, deps, control !== null);
}

/**
 * The lease files alone (2 and 3 above), never a control command: `srcroute heal` runs every
 * half minute, and Debian 12's privsep dhcpcd serves one control client at a time.
 */
export function leaseFromFiles(
  iface: string,
  deps: Omit<LeaseDeps, 'run' | 'dhcpcd'>,
  dhcpcdRuns?: boolean,
): FoundLease | null {
  if (dhcpcdRuns ?? dhcpcdControl(listDir(deps.paths.dhcpcdRun), iface) !== null) {
    const file = join(deps.paths.dhcpcdLeases, `${iface}.lease`);
    const vars = fromLeaseFile(file, deps.now());
    if (vars !== null) return { source: file, vars };
  }
  const dhclient = join(deps.paths.dhclientLeases, `dhclient.${iface}.leases`);
  const text = readText(dhclient);
  const vars = text === null ? null : parseDhclientLeases(text, deps.now());
  return vars === null ? null : { source: dhclient, vars };
}
