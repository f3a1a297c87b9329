// Which DHCP clients lease which interface, judged from the processes that run (running.ts), for
// `check` (which once said "no problem found" with no client running, and with two). Pure.
//  - dhcpcd 9/10 retitles itself (setproctitle): a manager-mode daemon (Debian's dhcpcd.service,
//    `dhcpcd -q -b`) shows `dhcpcd: [manager] [ip4] [ip6]` and leases every interface it is not
//    told to leave alone; one started for an interface (`dhcpcd eth0v0`, as ifup runs it) shows
//    `dhcpcd: eth0v0 [ip4] [ip6]`; its helpers show `dhcpcd: [privileged proxy] …`, `[network
//    proxy] …`, `[control proxy] …`, `[BPF ARP] …` and lease nothing (all seen with 9.4.1).
//    Without a title (no privilege separation) its argv is read as dhcpcd(8) parses it.
//  - ISC dhclient: `dhclient -4 -v -i -pf /run/dhclient.eth0v0.pid -lf … eth0v0` (ifupdown 0.8.41);
//    no interface named: every interface. `-6` (ifupdown's `inet6 dhcp`) leases IPv6 only, so
//    `dhclient -4` and `dhclient -6` on one interface are one client per family, not two fighting.
//  - busybox udhcpc: `udhcpc -i IFACE …`.
import type { Proc } from './running.js';

export type Family = 4 | 6;
const BOTH: Family[] = [4, 6];

export interface DhcpClient {
  pid: number;
  program: 'dhcpcd' | 'dhclient' | 'udhcpc';
  /** The interfaces it leases; 'all' for a manager-mode dhcpcd or a dhclient given none. */
  ifaces: string[] | 'all';
  /** The address families it leases: dhclient one (-4 by default, or -6), the others both. */
  families: Family[];
  startedMs: number;
}

/** dhcpcd(8)'s options that take a value (the next word is not an interface). */
const DHCPCD_VALUED = new Set('cefFhIijlmOoQrSstuvXyzZ'.split('').map((c) => `-${c}`));
/** dhclient(8)'s options that take a value. */
const DHCLIENT_VALUED = new Set([
  '-pf',
  '-lf',
  '-cf',
  '-sf',
  '-df',
  '-s',
  '-g',
  '-e',
  '-p',
  '-D',
  '-C',
  '--decline-wait-time',
  '--address-prefix-len',
  '--dad-wait-time',
  '--prefix-len-hint',
]);

/** The words of argv that are not options or their values. */
function operands(args: readonly string[], valued: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (valued.has(a)) i++;
    else if (!a.startsWith('-')) out.push(a);
  }
  return out;
}

function dhcpcd(p: Proc): DhcpClient | null {
  const words = p.argv.join(' ').split(/\s+/).filter(Boolean);
  const base = { pid: p.pid, program: 'dhcpcd' as const, families: BOTH, startedMs: p.startedMs };
  if (words[0] === 'dhcpcd:') {
    if (words[1] === '[manager]') return { ...base, ifaces: 'all' };
    if (words[1] === undefined || words[1].startsWith('[')) return null; // a helper
    return { ...base, ifaces: words.slice(1).filter((w) => !w.startsWith('[')) };
  }
  const named = operands(p.argv.slice(1), DHCPCD_VALUED);
  // control commands (-k -n -x -U …) are short-lived and lease nothing
  if (p.argv.some((a) => /^-[knxNUT]$|^--(release|rebind|exit|renew|dumplease|test)$/.test(a))) return null;
  return { ...base, ifaces: named.length > 0 ? named : 'all' };
}

function dhclient(p: Proc): DhcpClient | null {
  if (p.argv.some((a) => a === '-r' || a === '-x')) return null; // a release or stop on its way out
  const named = operands(p.argv.slice(1), DHCLIENT_VALUED);
  const families: Family[] = p.argv.includes('-6') ? [6] : [4];
  return {
    pid: p.pid,
    program: 'dhclient',
    ifaces: named.length > 0 ? named : 'all',
    families,
    startedMs: p.startedMs,
  };
}

function udhcpc(p: Proc): DhcpClient | null {
  const i = p.argv.findIndex((a) => a === '-i' || a === '--interface');
  const iface = i === -1 ? undefined : p.argv[i + 1];
  return {
    pid: p.pid,
    program: 'udhcpc',
    ifaces: iface === undefined ? 'all' : [iface],
    families: BOTH,
    startedMs: p.startedMs,
  };
}

const BY_COMM: Record<string, (p: Proc) => DhcpClient | null> = { dhcpcd, dhclient, udhcpc };

export function dhcpClients(procs: readonly Proc[]): DhcpClient[] {
  return procs.flatMap((p) => {
    const judge = BY_COMM[p.comm];
    const c = judge ? judge(p) : null;
    return c ? [c] : [];
  });
}

/** A manager-mode dhcpcd runs (Debian's dhcpcd.service): it leases every interface. */
export function runsDhcpcdManager(procs: readonly Proc[]): boolean {
  return dhcpClients(procs).some((c) => c.program === 'dhcpcd' && c.ifaces === 'all');
}

/** The clients that lease `iface`. */
export function clientsOf(clients: readonly DhcpClient[], iface: string): DhcpClient[] {
  return clients.filter((c) => c.ifaces === 'all' || c.ifaces.includes(iface));
}

/** The clients that lease the same family of `clients` (one interface's), or [] when each family has at most one. */
export function fighting(clients: readonly DhcpClient[]): DhcpClient[] {
  const per = BOTH.map((f) => clients.filter((c) => c.families.includes(f)));
  return per.find((cs) => cs.length > 1) ?? [];
}

/** `dhcpcd (manager mode, every interface; pid 812)`, `dhclient (pid 990)`. */
export function describeClient(c: DhcpClient): string {
  const what =
    c.ifaces === 'all'
      ? c.program === 'dhcpcd'
        ? 'manager mode, every interface'
        : 'every interface'
      : c.ifaces.join(' ');
  return `${c.program} (${what}; pid ${c.pid})`;
}
