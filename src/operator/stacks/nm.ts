// NetworkManager (Raspberry Pi OS, desktops, Armbian): NM creates the macvlan from a keyfile
// with the stable MAC and leaves its addresses alone (ipv4.method=disabled), and a dispatcher
// script runs dhcpcd for it on `up` and stops it on `pre-down` (and `down`). Why not NM's own DHCP: 1.42.4 (Debian
// 12, Raspberry Pi OS 12) sends no dispatcher event on a renewal, not even when the address
// changes, so nothing could follow the lease (stacks notes); and a dhcpcd beside an NM lease
// would take a second public address. A walk-through on Debian 12 found: the dispatcher pair survived
// down/up cycles, a reapply and a reboot; without the `down` line a quick down/up fails (the
// old dhcpcd is still there when the new link comes up).
// ipv6.method=ignore: dhcpcd does IPv6 on the macvlan too (SLAAC, DHCPv6, the RAs srcroute
// follows); `disabled` would turn IPv6 off on the link, `auto` would make NM a second RA client.
// With `ignore` NetworkManager writes accept_ra=1 on every activation (measured: 0 -> 1 on
// `nmcli connection up`, over a /etc/sysctl.d value too), so until dhcpcd turns it off the kernel
// takes the modem's RA and puts `default via fe80::1 dev IFACE proto ra metric 1024` into main,
// where it stays for the router lifetime (dhcpcd leaves it): the dispatcher turns it off first.
// NetworkManager runs the dispatcher after the link is up, and the kernel answers its own router
// solicitation at once: under load the RA came first (CI, debian-12, main got that default), so
// the dispatcher also toggles disable_ipv6, which takes every IPv6 address and route the kernel
// made on the link (a route of the link's own, never a nexthop-object route of another device's)
// before dhcpcd starts; an interface with IPv6 off stays off.
// The modem's link gets a profile of srcroute's with both families disabled (nmLinkKeyfile): the
// VLAN it makes on the LAN's port (--vlan), or a port of its own, so that the link takes no
// address and sends nothing from its MAC; the macvlan's parent= is that link.
import { createHash } from 'node:crypto';
import { dhcpcdUnit, unitName, DHCPCD_UNIT_PATH } from './dhcpcd-unit.js';
import { connectionId, macvlanHeader, vlanHeader, vlanName, vlanOfName } from './plan.js';
import type { MacvlanSpec, StackFile, StackPlan } from './plan.js';

export const keyfilePath = (iface: string): string =>
  `/etc/NetworkManager/system-connections/${connectionId(iface)}.nmconnection`;
export const dispatcherPath = (iface: string): string => `/etc/NetworkManager/dispatcher.d/90-srcroute-${iface}`;
/** The same script where NetworkManager runs `pre-down` (only there) and waits for it before it deactivates. */
export const preDownPath = (iface: string): string =>
  `/etc/NetworkManager/dispatcher.d/pre-down.d/90-srcroute-${iface}`;

/** A UUID that stays the same for the same key (interface and MAC; NM keys connections by UUID). */
function stableUuid(key: string): string {
  const h = createHash('sha256').update(`srcroute:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The keyfile: mode 3 is private (NMSettingMacvlanMode); NM reads it only if it is root's and 0600. */
export function nmKeyfile(s: MacvlanSpec): StackFile {
  const content = [
    macvlanHeader(s).trimEnd(),
    '# NetworkManager creates the link only: dhcpcd leases its addresses (ipv4 disabled, ipv6 ignored) and runs',
    `# srcroute's hook, started by ${dispatcherPath(s.iface)}.`,
    '[connection]',
    `id=${connectionId(s.iface)}`,
    `uuid=${stableUuid(`${s.iface}:${s.mac}`)}`,
    'type=macvlan',
    `interface-name=${s.iface}`,
    '',
    '[ethernet]',
    `cloned-mac-address=${s.mac}`,
    '',
    '[macvlan]',
    'mode=3',
    `parent=${s.parent}`,
    'tap=false',
    '',
    '[ipv4]',
    'method=disabled',
    '',
    '[ipv6]',
    'method=ignore',
    '',
  ].join('\n');
  return { path: keyfilePath(s.iface), mode: 0o600, content };
}

/** A profile of srcroute's for the modem's link: no address, no IPv6 link-local, no RS, DAD or MLD. */
function linkKeyfile(name: string, header: string, kind: string[]): StackFile {
  const content = [
    header.trimEnd(),
    '[connection]',
    `id=${connectionId(name)}`,
    `uuid=${stableUuid(`link:${name}`)}`,
    ...kind,
    '',
    '[ipv4]',
    'method=disabled',
    '',
    '[ipv6]',
    'method=disabled',
    '',
  ].join('\n');
  return { path: keyfilePath(name), mode: 0o600, content };
}

/**
 * The modem's link, both families disabled (a modem profile with only ipv4.method=disabled took a
 * SLAAC address and an IPv6 default through the modem): the VLAN install makes (--vlan) on the
 * LAN's port, whose own profile stays as it is; or a port of its own, this profile ahead of any
 * other for it (autoconnect-priority; `nmcli connection up` takes the port from the one active,
 * and its lease with it).
 */
export function nmLinkKeyfile(s: MacvlanSpec): StackFile | null {
  if (s.vlan !== undefined) {
    const v = s.vlan;
    const name = vlanName(v);
    return linkKeyfile(name, vlanHeader(v), [
      'type=vlan',
      `interface-name=${name}`,
      '',
      '[vlan]',
      `id=${v.id}`,
      `parent=${v.port}`,
    ]);
  }
  // a VLAN the admin made has a profile of the admin's
  if (vlanOfName(s.parent) !== undefined) return null;
  const header = `# srcroute: ${s.parent}, the modem's port: it carries the macvlans, with no address of its own.\n`;
  return linkKeyfile(s.parent, header, ['type=ethernet', `interface-name=${s.parent}`, 'autoconnect-priority=100']);
}

/**
 * The dispatcher script ($1 interface, $2 action): starts and stops srcroute-dhcpcd@IFACE, so
 * dhcpcd runs in its own unit (cgroup, sandbox, journal), not as a child of the dispatcher: a
 * dhcpcd forked from here keeps the dispatcher's descriptors, and nm-dispatcher waits for them
 * (30 s per event, measured: dhcpcd 9.4.1 holds them until its timeout). --no-block on `up` and
 * `down`: NetworkManager runs dispatcher scripts one at a time and waits for each. On `up` it first
 * turns the kernel's RA handling off (dhcpcd's job, but dhcpcd may start late) and clears what the
 * kernel took meanwhile: written directly, no fork. `pre-down` (the same script in pre-down.d, the
 * only place NetworkManager runs that action, and waits for it) stops dhcpcd and waits for it
 * before NetworkManager takes the link down: on a real Debian 12 boot `nmcli connection up` of the
 * active macvlan removed its addresses and reset its MAC to the random one it was created with
 * while dhcpcd still ran (a frame from that MAC reached the modem's VLAN; the stop that `down`
 * asked for then killed a hook mid-event). `down` stays for a link that went without a pre-down.
 * (A backslash at a line's end here continues the line: the script has it as one line.)
 */
export function nmDispatchers(s: MacvlanSpec): StackFile[] {
  const unit = unitName(s.iface);
  const content = `#!/bin/sh
# srcroute: dhcpcd for ${s.iface} while NetworkManager has it up (see ${keyfilePath(s.iface)}).
# Written by srcroute install --parent; sudo srcroute uninstall removes it.
[ "$1" = ${s.iface} ] || exit 0
case $2 in
up)
	# the kernel takes no RA here (dhcpcd does); what it took before this ran goes (accept_ra was 1):
	v6=/proc/sys/net/ipv6/conf/${s.iface}
	if [ -e "$v6/accept_ra" ]; then echo 0 >"$v6/accept_ra"; read -r off <"$v6/disable_ipv6"; \
[ "$off" != 0 ] || { echo 1 >"$v6/disable_ipv6"; echo 0 >"$v6/disable_ipv6"; }; fi
	exec systemctl start --no-block '${unit}' ;;
pre-down) exec systemctl stop '${unit}' ;;
down) exec systemctl stop --no-block '${unit}' ;;
esac
exit 0
`;
  return [dispatcherPath(s.iface), preDownPath(s.iface)].map((path) => ({ path, mode: 0o755, content }));
}

export interface NmPlanFacts {
  dhcpcd: string;
}

const up = (id: string): string[] => ['nmcli', '--wait', '30', 'connection', 'up', 'id', id];
const down = (id: string): string[] => ['nmcli', '--wait', '30', 'connection', 'down', 'id', id];

export function nmPlan(s: MacvlanSpec, facts: NmPlanFacts, how: string): StackPlan {
  const link = nmLinkKeyfile(s);
  const keyfiles = [...(link === null ? [] : [link]), nmKeyfile(s)];
  // the modem's link first: the macvlan's parent must exist (and be bare) when it comes up
  const ids = [...(link === null ? [] : [connectionId(s.parent)]), connectionId(s.iface)];
  const unit = unitName(s.iface);
  return {
    stack: 'nm',
    how,
    files: [...keyfiles, ...nmDispatchers(s), dhcpcdUnit(facts.dhcpcd)],
    run: [
      { when: [DHCPCD_UNIT_PATH], argv: ['systemctl', 'daemon-reload'] },
      { when: keyfiles.map((k) => k.path), argv: ['nmcli', 'connection', 'reload'] },
      ...ids.map((id) => ({ when: '*' as const, argv: up(id) })),
    ],
    // the dispatcher stops dhcpcd with --no-block on `down`: the stop job is waited for here, so that
    // uninstall removes no hook while dhcpcd still runs one (a hook gone mid-event); the VLAN goes after the macvlan
    stop: [down(ids.at(-1)!), ['systemctl', 'stop', unit], ...ids.slice(0, -1).map(down)],
    reload: [['nmcli', 'connection', 'reload'], ['systemctl', 'daemon-reload']],
    dhcpcdConf: true,
    notes: [],
  };
}
