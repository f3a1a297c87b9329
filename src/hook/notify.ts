// What the admin's scripts in /etc/srcroute/hooks.d are told, and when (docs/hooks.md). Loaded
// only when followed.ts saw the addresses or gateway srcroute routes change, so a RENEW costs one
// small read and nothing of this. The pure core (decide) compares the last notification with
// what is routed now; the edges read and write the per-interface memory in the state dir and
// hand the call to hooks-spawn.ts.
// Why a memory: dhcpcd renumbers as a down event and an up event (NAK with old_* only, then BOUND
// with new_* only), and its hooks get no old address to compare with (dhcpcd #107). Keeping the
// last address told per interface and family makes a renumbering one call with both. A NAK is
// held back: the client sends DISCOVER at once (RFC 2131 3.1), and the next event tells either
// the new address (one call, old and new) or the loss (FAIL, EXPIRE: one call, old only). Every
// other loss is told at once: a lease that expired, was released or whose link went away.
// Which IPv6 addresses count: every global address srcroute routes except the kernel's temporary
// (RFC 8981 privacy) ones, which rotate daily and name no service; an address the event holds
// before the kernel lists it is a DHCPv6 or SLAAC one, never temporary.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Family } from '../kernel/kernel.js';
import { parseIPv4 } from '../shared/ipv4.js';
import { canonicalIPv6, parseIPv6 } from '../shared/ipv6.js';
import type { Report } from './apply.js';
import type { Followed } from './want.js';

/** What was told last, or is routed now: the addresses (sorted) and the gateway ('' for none). */
export interface Told {
  addresses: readonly string[];
  gateway: string;
}

/** One notification: what the scripts see as SRCROUTE_OLD_* and SRCROUTE_NEW_ADDRESS, SRCROUTE_GATEWAY. */
export interface Call {
  old: Told;
  now: Told;
}

export const NOTHING: Told = { addresses: [], gateway: '' };

const same = (a: Told, b: Told): boolean => a.gateway === b.gateway && a.addresses.join(' ') === b.addresses.join(' ');

/** The pure core: given what was told last and what is routed now, the call to make (if any) and what to remember. */
export function decide(last: Told, now: Told, reason: string): { call: Call | null; remember: Told } {
  if (same(last, now)) return { call: null, remember: last };
  if (reason === 'NAK' && now.addresses.length === 0) return { call: null, remember: last };
  return { call: { old: last, now }, remember: now };
}

/** /proc/net/if_inet6's temporary addresses of `iface` (flag IFA_F_TEMPORARY, 0x01), canonical. */
export function temporaries(ifInet6: string, iface: string): Set<string> {
  const found = new Set<string>();
  for (const line of ifInet6.split('\n')) {
    const [hex, , , , flags, name] = line.trim().split(/\s+/);
    const temporary = (parseInt(flags ?? '0', 16) & 0x01) !== 0;
    if (name !== iface || hex === undefined || !/^[0-9a-f]{32}$/.test(hex) || !temporary) continue;
    found.add(canonicalIPv6(hex.replace(/(.{4})(?!$)/g, '$1:')));
  }
  return found;
}

/** What the scripts are told is routed now: the routed addresses but temporary ones; no gateway without an address. */
export function toldOf(addresses: readonly string[], gateway: string, temporary: ReadonlySet<string>): Told {
  const kept = addresses.filter((a) => !temporary.has(a)).sort();
  return { addresses: kept, gateway: kept.length > 0 ? gateway : '' };
}

const isAddress = (family: Family, text: string): boolean =>
  (family === 4 ? parseIPv4(text) : parseIPv6(text)) !== null;

/** The memory file: the routed key (followed.ts), the addresses and gateway told last. Anything odd: nothing told. */
export function parseMemory(text: string, family: Family): Told {
  const [, addresses = '', gateway = ''] = text.split('\n');
  const list = addresses.split(' ').filter((a) => a !== '');
  if (!list.every((a) => isAddress(family, a)) || (gateway !== '' && !isAddress(family, gateway))) return NOTHING;
  return { addresses: list, gateway };
}

export const memoryText = (key: string, told: Told): string => `${key}\n${told.addresses.join(' ')}\n${told.gateway}\n`;

/** Starts the scripts for a call (hooks-spawn.ts): true when started or there is nothing to run. */
export type Start = (f: Followed, call: Call, report: Report) => boolean;

/** Loads the starter (hooks-spawn.ts) only for a call. */
export type Starter = () => Promise<Start>;

/** What the edges need: where the memory is, /proc/net/if_inet6, and how to start the scripts. */
export interface NotifyEdges {
  memoryPath: string;
  ifInet6: string;
  starter: Starter;
}

/** The routed addresses or gateway changed (followed.ts): tell the scripts if what they see changed; remember it. */
export async function notify(
  f: Followed, routed: Told, key: string, memory: string, edges: NotifyEdges, report: Report,
): Promise<void> {
  let temporary = new Set<string>();
  if (f.family === 6) {
    try {
      temporary = temporaries(readFileSync(edges.ifInet6, 'latin1'), f.iface);
    } catch {
      // no IPv6 in this kernel: nothing is temporary
    }
  }
  const now = toldOf(routed.addresses, routed.gateway, temporary);
  const { call, remember } = decide(parseMemory(memory, f.family), now, f.reason);
  if (call !== null && !(await edges.starter())(f, call, report)) return; // not started: the next change tries again
  try {
    // as ra-signature.ts writes its files: whole or not at all, no fsync (a tmpfs, lost at boot by design)
    writeFileSync(`${edges.memoryPath}.${process.pid}`, memoryText(key, remember), { mode: 0o600 });
    renameSync(`${edges.memoryPath}.${process.pid}`, edges.memoryPath);
  } catch (e) {
    const where = edges.memoryPath;
    report.log(`${report.tag}: warning: cannot remember the address told to hooks.d in ${where}: ${String(e)}`);
  }
}
