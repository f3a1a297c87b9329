// ifupdown's part (Debian 12 and 13, DietPi): /etc/network/interfaces.d/IFACE, the macvlan with its
// stable MAC, created by `ifup` at boot (networking.service runs `ifup -a`). ifupdown 0.8.41 runs
// the first one installed of dhclient (`dhclient -4 -v -i -pf /run/dhclient.IFACE.pid -lf
// /var/lib/dhcp/dhclient.IFACE.leases … IFACE`, Debian 12, DietPi, upgraded Debian 13), udhcpc,
// dhcpcd (`dhcpcd IFACE`, fresh Debian 13 installs with dhcpcd-base) for `inet dhcp`, and `ifdown`
// releases (`dhclient -r`, `dhcpcd -k IFACE`). dhclient leases the macvlan that way, its hooks
// kept off the main table by srcroute's enter hook (hooks/dhclient-enter-hook); dhcpcd does too,
// through `nogateway` in dhcpcd.conf (./dhcpcd.ts), but not as ifup runs it: where ifup's client
// would be dhcpcd, srcroute's srcroute-dhcpcd@ unit leases instead (`inet manual`; `up systemctl
// start --no-block`, `pre-down` a release and the stop: dhcpcd-unit.ts's releaseThenStop): ifupdown
// 0.8.44's `down` for dhcpcd is `dhcpcd -k IFACE`, which gives up after 10 s ("pid N failed to
// exit", exit 1) while dhcpcd still runs its release hooks, and ifdown then fails and keeps the
// interface configured: a real Debian 13 boot's `systemctl restart networking` left the macvlan
// without a client (its `ifup -a` skipped what ifupdown thought up). The unit's stop waits for
// dhcpcd to exit (dhcpcd-unit.ts) while the link is still there, and is bounded by systemd.
// `--no-block`: at boot ifup runs inside networking.service's start job.
// `auto`, not `allow-hotplug`: nothing hot-plugs a macvlan before ifup creates it. Debian's
// /etc/network/interfaces sources interfaces.d/* at its top, so the macvlan may come up before
// the LAN: harmless now that it adds nothing to main (seen before: the LAN's `ifup` failed with
// "File exists"). The parent is brought up here too: on the modem's cable it has no stanza of its
// own (it carries no address), and before it comes up its IPv6 is off (disable_ipv6=1: no
// link-local address, so no DAD, RS or MLD from the port's MAC; the macvlan's own IPv6 is not
// the parent's, checked in a netns: link-local and ping6 on the macvlan over a parent with IPv6
// off). Only accept_ra 0 before: it still sent from the port's MAC, and with the kernel's
// default it took a public SLAAC address of its own from the modem, with no rule, and under
// ifupdown a second IPv6 default into main (seen on Debian 13). `ip link add` is skipped when
// the link exists, so an ifup after a failed ifdown still works. In Debian 12's --stack dhcpcd
// the same file uses `inet manual` (the link only): dhcpcd.service leases it.
// The modem on a VLAN of the LAN's port (--vlan): ifupdown 0.8 (Debian 12, 13) and ifupdown2
// (Proxmox) make PORT.VID natively, without the `vlan` package; its stanza is `auto`, `inet
// manual` with IPv6 off (it takes no address), in a file of its own that every macvlan on the
// VLAN shares (vlanFile: two stanzas for one interface are an error that stops networking), named
// as `source-directory` accepts (no dot). A pre-up makes the VLAN, IPv6 off before it is up, when
// it is missing, in every stanza on it, whatever order `ifup -a` reads the files in: `ifup IFACE`
// alone, and an admin's own VLAN stanza in /etc/network/interfaces, read after interfaces.d/*
// (the issue: after a reboot nothing routed, the macvlan came up before its VLAN).
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
import { macvlanHeader, vlanHeader, vlanName, vlanOfName } from './plan.js';
import { RA_DEFRTR_METRIC } from '../../kernel/kernel.js';
import { dhcpcdUnit, releaseThenStop, unitName } from './dhcpcd-unit.js';
import type { MacvlanSpec, StackFile, StackPlan, VlanSpec } from './plan.js';

/**
 * Who leases the macvlan: ifup's own client (`inet dhcp`), Debian's dhcpcd.service (`manual`, the
 * link only: --stack dhcpcd), or srcroute's srcroute-dhcpcd@ unit, started and stopped by ifup and
 * ifdown (`unit`).
 */
export type IfupdownMethod = 'dhcp' | 'manual' | 'unit';

/** `echo VALUE` into /proc/sys/net/ipv6/conf/LINK/KEY, a pre-up line; nothing without IPv6. */
const v6 = (link: string, key: string, value: string | number): string => {
  const path = `/proc/sys/net/ipv6/conf/${link}/${key}`;
  return `    pre-up ! test -w ${path} || echo ${value} >${path}\n`;
};

/**
 * Pre-ups that bring the port's link up (its own stanza may come later: `systemctl restart
 * networking` took it down, and a macvlan read first had no carrier for its DHCP, so the restart
 * failed; a real Debian 12 boot), make the VLAN unless it is there, with no IPv6 of its own, and
 * bring it up.
 */
const vlanUp = (v: VlanSpec): string => {
  const name = vlanName(v);
  const add = `ip link add link ${v.port} name ${name} type vlan id ${v.id}`;
  return (
    linkUp(v.port) +
    `    pre-up ip link show dev ${name} >/dev/null 2>&1 || ${add}\n` +
    // before it is up: no link-local address, so no DAD, RS or MLD either
    v6(name, 'disable_ipv6', 1) +
    linkUp(name)
  );
};

const linkUp = (link: string): string => `    pre-up ip link set dev ${link} up\n`;

/** The VLAN's own file, the same for every macvlan on it (no dot: `source-directory` skips such names). */
export const vlanFilePath = (v: VlanSpec): string => `/etc/network/interfaces.d/srcroute-vlan-${v.port}-${v.id}`;

/**
 * The modem's VLAN (--vlan). Its pre-down takes down, first, every macvlan on it that ifupdown has
 * up (their clients released, their links deleted): deleting the VLAN deletes them with it, under
 * their running clients, and `ifdown -a` goes by the order things came up, an admin's `ifdown
 * eth0.100` by none. The kernel lists a link's uppers as /sys/class/net/VLAN/upper_NAME.
 */
function vlanFile(v: VlanSpec): StackFile {
  const name = vlanName(v);
  const each = `u=\${u##*/upper_}; ! ifquery --state "\$u" >/dev/null 2>&1 || ifdown "\$u"`;
  return {
    path: vlanFilePath(v),
    mode: 0o644,
    content:
      `${vlanHeader(v)}auto ${name}\niface ${name} inet manual\n${vlanUp(v)}` +
      `    pre-down for u in /sys/class/net/${name}/upper_*; do ${each}; done\n`,
  };
}

/**
 * On the LAN's port, at shutdown: networking.service (`ifdown -a`: the macvlans, then their VLAN)
 * before the port's own hotplug unit (`ifdown PORT`, which takes the VLAN's link away). Side by
 * side, on a real Debian 12 boot, the macvlan was gone under its `dhclient -r` ("Failed to get
 * interface index: No such device", ifdown's `Cannot find device "ens3v0"`). Stop order is the
 * reverse of start order, so: After=. At boot networking.service then waits for the port.
 */
export const networkingDropIn = (v: VlanSpec): StackFile => ({
  path: `/etc/systemd/system/networking.service.d/srcroute-vlan-${v.port}.conf`,
  mode: 0o644,
  content:
    `# srcroute: the macvlans on ${vlanName(v)} go down before ${v.port} itself (ifup@${v.port}.service).\n` +
    `[Unit]\nAfter=ifup@${v.port}.service\n`,
});

/** The macvlan's stanza (and, on a VLAN srcroute makes, the VLAN's file and networking's drop-in first). */
export function ifupdownFiles(s: MacvlanSpec, method: IfupdownMethod): StackFile[] {
  const unit = `'${unitName(s.iface)}'`;
  const who = {
    dhcp:
      "# ifup creates it and runs the system's DHCP client on it (dhclient, else dhcpcd); srcroute's\n" +
      '# hooks route the lease through its own table; nothing of it goes to main.\n',
    manual: "# ifup creates it (the link only: dhcpcd.service leases its address and runs srcroute's hook).\n",
    unit:
      `# ifup creates it and starts dhcpcd for it, which runs srcroute's hooks; ifdown stops dhcpcd\n` +
      '# (and waits for its release) before the link goes.\n',
  }[method];
  const vlan = s.vlan ?? vlanOfName(s.parent);
  const macvlan: StackFile = {
    path: `/etc/network/interfaces.d/${s.iface}`,
    mode: 0o644,
    content:
      `${macvlanHeader(s)}${who}` +
      `auto ${s.iface}\niface ${s.iface} inet ${method === 'dhcp' ? 'dhcp' : 'manual'}\n` +
      // before the parent comes up: nothing of its own (as networkd's LinkLocalAddressing=no)
      (vlan === undefined ? v6(s.parent, 'disable_ipv6', 1) + linkUp(s.parent) : vlanUp(vlan)) +
      `    pre-up ip link show dev ${s.iface} >/dev/null 2>&1 || ip link add link ${s.parent} name ${s.iface} ` +
      `address ${s.mac} type macvlan mode private\n` +
      v6(s.iface, 'accept_ra', 0) +
      v6(s.iface, 'ra_defrtr_metric', RA_DEFRTR_METRIC) +
      (method === 'dhcp' ? '' : `    up ip link set dev ${s.iface} up\n`) +
      (method === 'unit'
        ? `    up systemctl start --no-block ${unit}\n` + `    pre-down ${releaseThenStop(s.iface)}\n`
        : '') +
      // gone already when its VLAN or parent went first: no "Cannot find device" in the journal
      `    post-down ! ip link show dev ${s.iface} >/dev/null 2>&1 || ip link del ${s.iface}\n`,
  };
  return s.vlan === undefined ? [macvlan] : [vlanFile(s.vlan), networkingDropIn(s.vlan), macvlan];
}

/**
 * How this box starts IFACE's DHCP client at boot, from its interfaces.d stanza (`text`, null when
 * there is none), for check's "no DHCP client runs" fix: srcroute-dhcpcd@ where the stanza starts
 * it; ifup's own client for `inet dhcp` (--force: ifupdown still thinks it up after its client
 * died); Debian's dhcpcd.service for `inet manual` (--stack dhcpcd, where it is the one that leases it).
 */
export function clientStart(iface: string, text: string | null): string | null {
  if (text === null) return null;
  const unit = unitName(iface);
  if (text.includes(unit)) return `systemctl restart '${unit}'`;
  if (/^\s*iface\s+\S+\s+inet\s+manual\b/m.test(text))
    return 'systemctl start dhcpcd.service   # it leases every interface, this one included';
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
  return [
    `/etc/network/interfaces gives ${s.parent} "inet ${facts.parentMethod}": on the modem's cable that is another ` +
      `public address and a default route in main; make it "iface ${s.parent} inet manual"`,
  ];
}

/** What ifup brings up, in order (the VLAN first), and ifdown takes down (the macvlan first). */
export const ifupNames = (s: MacvlanSpec): string[] => [...(s.vlan === undefined ? [] : [vlanName(s.vlan)]), s.iface];
export const ifdownCommands = (s: MacvlanSpec): string[][] => ifupNames(s).reverse().map((n) => ['ifdown', n]);

/** `systemctl daemon-reload` once a unit file or networking's drop-in (a VLAN's) is written, before ifup. */
export function daemonReload(files: readonly StackFile[]): { when: string[]; argv: string[] }[] {
  const units = files.filter((f) => f.path.startsWith('/etc/systemd/')).map((f) => f.path);
  return units.length === 0 ? [] : [{ when: units, argv: ['systemctl', 'daemon-reload'] }];
}

/** Installed as it would be at boot: `ifup` now, `ifdown` (release, link deleted) on --uninstall. */
export function ifupdownPlan(s: MacvlanSpec, facts: IfupdownFacts & { dhcpcd: string }, how: string): StackPlan {
  if (!facts.ifup)
    throw new InputError(
      'ifupdown is not installed (no /sbin/ifup): sudo apt install ifupdown, or give --stack for the stack this box ' +
        'runs',
    );
  if (facts.ifupClient === null)
    throw new InputError('no DHCP client for ifup to run: sudo apt install isc-dhcp-client (or dhcpcd-base)');
  const dhclient = facts.ifupClient === 'dhclient';
  const files = dhclient ? ifupdownFiles(s, 'dhcp') : [dhcpcdUnit(facts.dhcpcd), ...ifupdownFiles(s, 'unit')];
  const client = dhclient
    ? `ifup runs dhclient for ${s.iface}; srcroute's enter hook (/etc/dhcp/dhclient-enter-hooks.d/srcroute) keeps ` +
      `its routers, DNS and hostname out of the system`
    : `ifup starts dhcpcd for ${s.iface} (${unitName(s.iface)}), ifdown stops it; srcroute's block in ` +
      `/etc/dhcpcd.conf keeps its routers, DNS and hostname out of the system`;
  return {
    stack: 'ifupdown',
    how,
    files,
    run: [...daemonReload(files), { when: files.map((f) => f.path), argv: ['ifup', ...ifupNames(s)] }],
    stop: ifdownCommands(s),
    reload: daemonReload(files).map((c) => c.argv),
    // needed when ifup's client is dhcpcd, harmless beside dhclient (and right if dhclient goes)
    dhcpcdConf: facts.ifupClient === 'dhcpcd' || facts.dhcpcdInstalled,
    notes: [client, ...parentNote(s, facts)],
  };
}
