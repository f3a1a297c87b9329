// Debian's dhcpcd.service (older Raspberry Pi OS, anyone who installed the `dhcpcd` package): a
// manager-mode dhcpcd (`dhcpcd -q -b`, every interface) that the admin runs on purpose for the
// LAN. srcroute never enables or starts it (issue 12: beside NetworkManager or ifupdown it fights
// for every interface). Here it leases the macvlan with srcroute's block in dhcpcd.conf
// (nogateway, nohook resolv.conf, hostname), and the block keeps the macvlan's parent bare
// (install.sh writes `interface PARENT` / noipv4 / noipv6 for every interface on this stack):
// the parent is on the modem's cable, and dhcpcd.service leased it beside the macvlan (a second
// public address, a second default route in main). Per-interface options, because dhcpcd 9.4.1
// ignores a global `denyinterfaces eth0` written after an `interface` block (measured: eth0 was
// leased), and srcroute's block comes last.
// dhcpcd creates no links: ifupdown does (`inet manual`, the link only), as it did on those
// systems. A running manager keeps the options it read for an interface until told: `dhcpcd -n`
// (one control command: dhcpcd 9.4.1 with privilege separation serves one per daemon) makes it
// reread them, measured: the parent lost its lease. It is only run when a manager runs, because a
// dhcpcd control command that finds no daemon starts one.
import { InputError } from '../../shared/errors.js';
import { runsDhcpcdManager } from '../dhcp-clients.js';
import type { Proc } from '../running.js';
import { ifdownCommands, ifupdownFile, ifupNames, parentNote, type IfupdownFacts } from './ifupdown.js';
import type { MacvlanSpec, StackPlan } from './plan.js';

export function dhcpcdPlan(s: MacvlanSpec, facts: IfupdownFacts & { processes: readonly Proc[]; dhcpcd: string }, how: string): StackPlan {
  if (!facts.ifup) throw new InputError('--stack dhcpcd creates the macvlan with ifupdown, which is not installed (no /sbin/ifup): sudo apt install ifupdown');
  const file = ifupdownFile(s, 'manual');
  const running = runsDhcpcdManager(facts.processes);
  // the port's own lease, taken before the block said noipv4: -n rereads the options and keeps it
  // (issue: a public address and a default through the modem in main until the next boot); the
  // VLAN install makes has none
  const release = running && s.vlan === undefined ? [[facts.dhcpcd, '-k', s.parent]] : [];
  return {
    stack: 'dhcpcd',
    how,
    files: [file],
    run: [
      ...[...(running ? [[facts.dhcpcd, '-n']] : []), ...release].map((argv) => ({ when: '*' as const, argv })),
      { when: [file.path], argv: ['ifup', ...ifupNames(s)] },
    ],
    stop: ifdownCommands(s),
    reload: [],
    dhcpcdConf: true,
    notes: [
      running
        ? `dhcpcd.service leases ${s.iface}; ${s.parent} leases nothing (srcroute's block in /etc/dhcpcd.conf)` +
          (release.length > 0 ? `: its own lease goes now (dhcpcd -k ${s.parent}), it carries only the macvlans` : '')
        : `no manager-mode dhcpcd runs: dhcpcd.service leases ${s.iface} once it runs (srcroute neither enables nor starts it)`,
      ...parentNote(s, facts),
    ],
  };
}
