// ifupdown's part (Debian 12 and 13, DietPi): /etc/network/interfaces.d/IFACE, the macvlan with its
// stable MAC, created by `ifup` at boot (networking.service runs `ifup -a`) and leased by the
// client ifupdown picks for `inet dhcp`. ifupdown 0.8.41 runs the first one installed of dhclient
// (`dhclient -4 -v -i -pf /run/dhclient.IFACE.pid -lf /var/lib/dhcp/dhclient.IFACE.leases … IFACE`,
// Debian 12, DietPi, upgraded Debian 13), udhcpc, dhcpcd (`dhcpcd IFACE`, fresh Debian 13 installs
// with dhcpcd-base); `ifdown` releases (`dhclient -r`, `dhcpcd -k IFACE`). Both run srcroute's
// hooks, and neither may touch the main table: dhclient through srcroute's enter hook
// (hooks/dhclient-enter-hook), dhcpcd through `nogateway` in dhcpcd.conf (./dhcpcd.ts).
// `auto`, not `allow-hotplug`: nothing hot-plugs a macvlan before ifup creates it. Debian's
// /etc/network/interfaces sources interfaces.d/* at its top, so the macvlan may come up before
// the LAN: harmless now that it adds nothing to main (seen before: the LAN's `ifup` failed with
// "File exists"). The parent is brought up here too: on the modem's cable it has no stanza of its
// own (it carries no address), and before it comes up its accept_ra is 0: with the kernel's
// default it took a public SLAAC address of its own from the modem, with no rule, and under
// ifupdown a second IPv6 default into main (issue 18, Debian 13). `ip link add` is skipped when the link exists, so an ifup after a
// failed ifdown still works. In Debian 12's --stack dhcpcd the same file uses `inet manual` (the
// link only): dhcpcd.service leases it.
// IPv6: `inet dhcp` runs dhclient -4, which leases IPv4 only, so a pre-up turns the kernel's RA
// handling off on the macvlan before it is up: with the kernel's default it took a public SLAAC
// address nothing routed and put a second IPv6 default into main (a real Debian 12 boot, issue
// 18). dhcpcd does the RAs itself (and sets the same). An admin's own `iface IFACE inet6 dhcp`
// (dhclient -6) or `inet6 auto` sets accept_ra back (ifupdown's defaults: 1 and 2); then the
// kernel's default from the modem's RAs, which srcroute reads the router from, went into main
// at metric 1024, tying the LAN's (measured in test/integration/lab-ifupdown.test.ts), so
// another pre-up sets the macvlan's ra_defrtr_metric above it (shell builtins only; nothing
// without IPv6).
import { InputError } from '../../shared/errors.js';
import { macvlanHeader, type MacvlanSpec, type StackFile, type StackPlan } from './plan.js';

export type IfupdownMethod = 'dhcp' | 'manual';

/** The macvlan's kernel RA default metric: above a LAN default's usual 1024, so it never wins main. */
export const RA_DEFRTR_METRIC = 2048;

export function ifupdownFile(s: MacvlanSpec, method: IfupdownMethod): StackFile {
  const who =
    method === 'dhcp'
      ? "# ifup creates it and runs the system's DHCP client on it (dhclient, else dhcpcd); srcroute's\n" +
        '# hooks route the lease through its own table; nothing of it goes to main.\n'
      : "# ifup creates it (the link only: dhcpcd.service leases its address and runs srcroute's hook).\n";
  return {
    path: `/etc/network/interfaces.d/${s.iface}`,
    mode: 0o644,
    content:
      `${macvlanHeader(s)}${who}` +
      `auto ${s.iface}\niface ${s.iface} inet ${method}\n` +
      // before the parent comes up: no IPv6 of its own from the modem's RAs (as networkd's IPv6AcceptRA=no)
      `    pre-up ! test -w /proc/sys/net/ipv6/conf/${s.parent}/accept_ra || echo 0 >/proc/sys/net/ipv6/conf/${s.parent}/accept_ra\n` +
      `    pre-up ip link set dev ${s.parent} up\n` +
      `    pre-up ip link show dev ${s.iface} >/dev/null 2>&1 || ip link add link ${s.parent} name ${s.iface} address ${s.mac} type macvlan mode private\n` +
      `    pre-up ! test -w /proc/sys/net/ipv6/conf/${s.iface}/accept_ra || echo 0 >/proc/sys/net/ipv6/conf/${s.iface}/accept_ra\n` +
      `    pre-up ! test -w /proc/sys/net/ipv6/conf/${s.iface}/ra_defrtr_metric || echo ${RA_DEFRTR_METRIC} >/proc/sys/net/ipv6/conf/${s.iface}/ra_defrtr_metric\n` +
      (method === 'manual' ? `    up ip link set dev ${s.iface} up\n` : '') +
      `    post-down ip link del ${s.iface}\n`,
  };
}

/**
 * How this box starts IFACE's DHCP client at boot, from its interfaces.d stanza (`text`, null when
 * there is none), for check's "no DHCP client runs" fix: ifup's own client for `inet dhcp` (--force:
 * ifupdown still thinks it up after its client died); Debian's dhcpcd.service for `inet manual`
 * (--stack dhcpcd, where it is the one that leases it).
 */
export function clientStart(iface: string, text: string | null): string | null {
  if (text === null) return null;
  if (/^\s*iface\s+\S+\s+inet\s+manual\b/m.test(text)) return 'systemctl start dhcpcd.service   # it leases every interface, this one included';
  return `ifdown --force ${iface}; ifup ${iface}`;
}

/** The method /etc/network/interfaces gives `iface` (`dhcp`, `static`, `manual`…), or null. */
export function ifaceMethod(text: string | null, iface: string): string | null {
  const m = new RegExp(`^\\s*iface\\s+${iface.replace(/\./g, '\\.')}\\s+inet\\s+(\\S+)`, 'm').exec(text ?? '');
  return m?.[1] ?? null;
}

/** What is installed, as the planners need it (stacks/gather.ts finds it). */
export interface IfupdownFacts {
  /** /sbin/ifup exists. */
  ifup: boolean;
  /** The client ifupdown runs for `inet dhcp`: the first installed of dhclient and dhcpcd. */
  ifupClient: 'dhclient' | 'dhcpcd' | null;
  dhcpcdInstalled: boolean;
  /** How /etc/network/interfaces configures the parent (Debian's installer: `inet dhcp`), or null. */
  parentMethod: string | null;
}

/** The parent is the modem's cable: an address of its own is a second public address, its default route main's. */
export function parentNote(s: MacvlanSpec, facts: IfupdownFacts): string[] {
  if (facts.parentMethod === null || facts.parentMethod === 'manual') return [];
  return [`/etc/network/interfaces gives ${s.parent} "inet ${facts.parentMethod}": on the modem's cable that is another public address and a default route in main; make it "iface ${s.parent} inet manual"`];
}

/** Installed as it would be at boot: `ifup` now, `ifdown` (release, link deleted) on --uninstall. */
export function ifupdownPlan(s: MacvlanSpec, facts: IfupdownFacts, how: string): StackPlan {
  if (!facts.ifup) throw new InputError('ifupdown is not installed (no /sbin/ifup): sudo apt install ifupdown, or give --stack for the stack this box runs');
  if (facts.ifupClient === null) throw new InputError('no DHCP client for ifup to run: sudo apt install isc-dhcp-client (or dhcpcd-base)');
  const file = ifupdownFile(s, 'dhcp');
  const client =
    facts.ifupClient === 'dhclient'
      ? `ifup runs dhclient for ${s.iface}; srcroute's enter hook (/etc/dhcp/dhclient-enter-hooks.d/srcroute) keeps its routers, DNS and hostname out of the system`
      : `ifup runs dhcpcd for ${s.iface}; srcroute's block in /etc/dhcpcd.conf keeps its routers, DNS and hostname out of the system`;
  return {
    stack: 'ifupdown',
    how,
    files: [file],
    run: [{ when: [file.path], argv: ['ifup', s.iface] }],
    stop: [['ifdown', s.iface]],
    reload: [],
    // needed when ifup's client is dhcpcd, harmless beside dhclient (and right if dhclient goes)
    dhcpcdConf: facts.ifupClient === 'dhcpcd' || facts.dhcpcdInstalled,
    notes: [client, ...parentNote(s, facts)],
  };
}
