// systemd-networkd (Ubuntu Server's netplan, minimal Armbian): the macvlan as a .netdev/.network
// pair, made by networkd through its parent (MACVLAN= in the parent's .network), dhcpcd for it
// alone (srcroute-dhcpcd@IFACE, started when the device appears), and networkd told to leave
// srcroute's rules alone. What a walk-through on a netplan box found, and how this answers it:
// - MACVLAN= must be in the parent's .network, which netplan generates under /run (edits are lost
//   at the next `netplan apply`): a drop-in in /etc/systemd/network/NAME.network.d/, where NAME is
//   that file's name (drop-ins apply per file name), is kept and works with `networkctl reload`.
// - networkd reads networkd.conf.d only when it starts: a running networkd keeps
//   ManageForeignRoutingPolicyRules=yes and deletes srcroute's rule on the next reconfigure or
//   reload, so a new drop-in means a restart (and `check` finds one that started before it).
import { fnmatch } from '../../shared/fnmatch.js';
import { basename } from 'node:path';
import { NETWORKD_DROP_IN } from '../networkd.js';
import { dhcpcdUnit, unitName, DHCPCD_UNIT_PATH } from './dhcpcd-unit.js';
import { InputError } from '../../shared/errors.js';
import { macvlanHeader, vlanHeader, vlanName } from './plan.js';
import type { MacvlanSpec, StackFile, StackPlan, VlanSpec } from './plan.js';

/** Where .network files live, highest precedence first (a file in /etc hides one of the same name in /run). */
export const NETWORK_DIRS = [
  '/etc/systemd/network',
  '/run/systemd/network',
  '/usr/local/lib/systemd/network',
  '/usr/lib/systemd/network',
  '/lib/systemd/network',
];

/**
 * Whether a .network file's [Match] Name= list takes `iface` (a leading ! inverts the list). Files that match by other
 * keys only are not judged.
 */
export function matchesName(text: string, iface: string): boolean {
  let section = '';
  let names: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    const m = /^Name\s*=\s*(.*)$/.exec(line);
    if (section === '[Match]' && m)
      names = m[1]!.trim() === '' ? null : [...(names ?? []), ...m[1]!.trim().split(/\s+/)];
  }
  if (names === null) return false;
  const invert = names[0]!.startsWith('!');
  const hit = names.some((n) => fnmatch(n.replace(/^!/, ''), iface));
  return invert ? !hit : hit;
}

/**
 * The .network file networkd applies to `iface`: the first by file name (over all dirs, /etc first for equal names)
 * whose [Match] Name= takes it.
 */
export function networkFileFor(files: readonly { path: string; text: string }[], iface: string): string | null {
  const byName = new Map<string, { path: string; text: string }>();
  for (const dir of NETWORK_DIRS) {
    for (const f of files)
      if (f.path === `${dir}/${basename(f.path)}` && f.path.endsWith('.network') && !byName.has(basename(f.path)))
        byName.set(basename(f.path), f);
  }
  const hit = [...byName.keys()].sort().map((n) => byName.get(n)!).find((f) => matchesName(f.text, iface));
  return hit?.path ?? null;
}

/** The modem's link takes no address, no IPv6 link-local (so sends no DAD, RS or MLD), no RA. */
const NOTHING_OF_ITS_OWN = 'DHCP=no\nLinkLocalAddressing=no\nIPv6AcceptRA=no';

/** The VLAN's own .network (--vlan), named to sort ahead of netplan's 10-*, whose Name=en* may match the VLAN too. */
export const vlanNetwork = (vlan: string): string => `/etc/systemd/network/09-srcroute-${vlan}.network`;

/** The parent's own .network when nothing configures the parent (the modem's link carries only macvlans). */
export const ownParentNetwork = (parent: string): string => `/etc/systemd/network/60-srcroute-${parent}.network`;

/**
 * The modem's VLAN (--vlan): its .netdev, and VLAN= in a drop-in for the .network networkd applies
 * to the port (netplan's match on a MAC has no Name=: networkctl says which one); the VLAN's own
 * .network, with the MACVLAN=, is the parent's below.
 */
function vlanFiles(v: VlanSpec, portNetwork: string | null): StackFile[] {
  const name = vlanName(v);
  if (portNetwork === null) {
    throw new InputError(
      `networkd applies no .network to ${v.port} (networkctl status ${v.port}): ` +
        `the VLAN is made through the port's own .network; configure ${v.port} in networkd first`,
    );
  }
  return [
    {
      path: `/etc/systemd/network/${name}.netdev`,
      mode: 0o644,
      content: `${vlanHeader(v)}[NetDev]\nName=${name}\nKind=vlan\n\n[VLAN]\nId=${v.id}\n`,
    },
    {
      path: `/etc/systemd/network/${basename(portNetwork)}.d/srcroute-vlan-${name}.conf`,
      mode: 0o644,
      content: `# srcroute: networkd makes the VLAN ${name} on ${v.port} (${portNetwork}).\n[Network]\nVLAN=${name}\n`,
    },
  ];
}

/**
 * The macvlan's files: .netdev, .network, MACVLAN= for the parent (a drop-in for the .network
 * that matches it; when none does, a .network of srcroute's own for the parent, with no address),
 * and ManageForeignRoutingPolicyRules=no.
 */
export function networkdMacvlanFiles(
  s: MacvlanSpec,
  parentNetwork: string | null,
  portNetwork: string | null = null,
): StackFile[] {
  // the VLAN's is always srcroute's own
  const own = s.vlan === undefined ? ownParentNetwork(s.parent) : vlanNetwork(s.parent);
  const parentFile = s.vlan === undefined ? parentNetwork ?? own : own;
  const files = macvlanLinkFiles(s);
  if (parentFile === own) files.push(ownParentFile(s, parentFile));
  if (s.vlan !== undefined) files.unshift(...vlanFiles(s.vlan, portNetwork));
  files.push(
    {
      path: `/etc/systemd/network/${basename(parentFile)}.d/srcroute-${s.iface}.conf`,
      mode: 0o644,
      content:
        `# srcroute: networkd creates ${s.iface} through its parent ${s.parent} (${parentFile}).\n` +
        `[Network]\nMACVLAN=${s.iface}\n` +
        // the admin's (netplan's) file for the modem's port: nothing of its own there either (a LAN port is refused)
        (parentFile === own ? '' : `${NOTHING_OF_ITS_OWN}\n`),
    },
    {
      path: NETWORKD_DROP_IN.path,
      mode: 0o644,
      content: `# srcroute: keep networkd from deleting srcroute's source rules.\n${NETWORKD_DROP_IN.text}`,
    },
  );
  return files;
}

/** The macvlan's .netdev and .network: networkd makes the link and brings it up, dhcpcd leases it. */
function macvlanLinkFiles(s: MacvlanSpec): StackFile[] {
  return [
    {
      path: `/etc/systemd/network/${s.iface}.netdev`,
      mode: 0o644,
      content:
        `${macvlanHeader(s)}[NetDev]\nName=${s.iface}\nKind=macvlan\nMACAddress=${s.mac}\n\n` +
        `[MACVLAN]\nMode=private\n`,
    },
    {
      path: `/etc/systemd/network/${s.iface}.network`,
      mode: 0o644,
      content:
        `${macvlanHeader(s)}` +
        `# networkd only brings the link up: dhcpcd leases its addresses (DHCP=no and IPv6AcceptRA=no\n` +
        `# here, or two clients would fight; the IPv6 link-local address stays, dhcpcd's RAs need it)\n` +
        `# and runs srcroute's hook. KeepConfiguration keeps those addresses on restarts.\n` +
        `[Match]\nName=${s.iface}\n\n` +
        `[Network]\nDHCP=no\nLinkLocalAddressing=ipv6\nIPv6AcceptRA=no\nKeepConfiguration=yes\n`,
    },
  ];
}

/** srcroute's own .network for the modem's link, when no file of the admin's configures it. */
function ownParentFile(s: MacvlanSpec, parentFile: string): StackFile {
  return {
    path: parentFile,
    mode: 0o644,
    content:
      `# srcroute: ${s.parent}, the modem's link, configured by nothing else: networkd brings it up to\n` +
      `# carry the macvlans (MACVLAN= in ${basename(parentFile)}.d/), with no address of its own.\n` +
      `[Match]\nName=${s.parent}\n\n[Network]\n${NOTHING_OF_ITS_OWN}\n` +
      // the boot waits for no address here (it never has one)
      '\n[Link]\nRequiredForOnline=no\n',
  };
}

export interface NetworkdPlanFacts {
  /** The .network file that matches the parent now, if any. */
  parentNetwork: string | null;
  /** The .network networkd applies to the VLAN's port (--vlan), if any. */
  portNetwork?: string | null;
  /** A running networkd started before its srcroute drop-in was written: it still deletes foreign rules. */
  networkdStale: boolean;
  dhcpcd: string;
}

export function networkdPlan(s: MacvlanSpec, facts: NetworkdPlanFacts, how: string): StackPlan {
  const macvlan = networkdMacvlanFiles(s, facts.parentNetwork, facts.portNetwork ?? null);
  const unit = unitName(s.iface);
  return {
    stack: 'networkd',
    how,
    files: [...macvlan, dhcpcdUnit(facts.dhcpcd)],
    run: [
      { when: [DHCPCD_UNIT_PATH], argv: ['systemctl', 'daemon-reload'] },
      {
        when: facts.networkdStale ? 'always' : [NETWORKD_DROP_IN.path],
        argv: ['systemctl', 'try-restart', 'systemd-networkd.service'],
      },
      {
        when: macvlan.filter((f) => f.path !== NETWORKD_DROP_IN.path).map((f) => f.path),
        argv: ['networkctl', 'reload'],
      },
      { when: '*', argv: ['systemctl', 'enable', '--now', '--no-block', unit] },
    ],
    stop: [['systemctl', 'disable', '--now', unit]],
    // networkd deletes no netdev whose file went: the macvlan, then the VLAN under it
    reload: [
      ['systemctl', 'daemon-reload'],
      ['networkctl', 'reload'],
      ...[s.iface, ...(s.vlan ? [vlanName(s.vlan)] : [])].map((link) => ['networkctl', 'delete', link]),
    ],
    dhcpcdConf: true,
    notes: [],
  };
}
