// Debian's dhcpcd.service (older Raspberry Pi OS, anyone who installed the `dhcpcd` package): a
// manager-mode dhcpcd (`dhcpcd -q -b`, every interface) that the admin runs on purpose for the
// LAN. srcroute never enables or starts it (beside NetworkManager or ifupdown it fights
// for every interface). Here it leases the macvlan with srcroute's block in dhcpcd.conf
// (nogateway, nohook resolv.conf, hostname), and the block keeps the macvlan's parent bare
// (srcroute install writes `interface PARENT` / noipv4 / noipv6 for every interface on this stack):
// the parent is on the modem's cable, and dhcpcd.service leased it beside the macvlan (a second
// public address, a second default route in main). Per-interface options, because dhcpcd 9.4.1
// ignores a global `denyinterfaces eth0` written after an `interface` block (measured: eth0 was
// leased), and srcroute's block comes last.
// dhcpcd creates no links: ifupdown does (`inet manual`, the link only), as it did on those
// systems. A running manager keeps the options it read for an interface until told, and must
// reread srcroute's block before the macvlan (and the VLAN) appear. Measured in lab-dhcpcd-stack's
// box with both the LAN and the modem's port leased by the manager (dnsmasq on each side; the
// block appended; sampled every ~250 ms for 8 s; two runs on dhcpcd 9.4.1 and 10.1, with and
// without `persistent`): `dhcpcd -n` (all) took the LAN's address and default away for 1-5
// samples in 6 of 8 runs and kept the port's lease under `persistent` (the issue: until the next
// boot); `dhcpcd -k PORT` is "dhcpcd not running" on 9.4.1 and kept the lease on 10.1 under
// `persistent`; a restart without `persistent` took the LAN away for 6-11 samples. `dhcpcd -n
// PORT` rereads the options and rebinds that port alone: the LAN untouched in every run, the port
// released but under 9.4.1 with `persistent`, which leaves its address: flushed then (noipv4:
// nothing puts it back; its IPv6 goes with the stanza's disable_ipv6). The VLAN install makes is
// not there yet to name: `dhcpcd -n`, all.
// Only when a manager runs: a dhcpcd control command that finds no daemon starts one.
import { InputError } from '../../shared/errors.js';
import { runsDhcpcdManager } from '../dhcp-clients.js';
import type { Proc } from '../running.js';
import { daemonReload, ifdownCommands, ifupdownFiles, ifupNames, parentNote, type IfupdownFacts } from './ifupdown.js';
import type { MacvlanSpec, StackPlan } from './plan.js';

/** What makes a running manager reread the block (see above), and the port's address of its own go. */
function rereadCommands(s: MacvlanSpec, dhcpcd: string): string[][] {
  if (s.vlan !== undefined) return [[dhcpcd, '-n']];
  return [[dhcpcd, '-n', s.parent], ['ip', '-4', 'addr', 'flush', 'dev', s.parent, 'scope', 'global']];
}

export function dhcpcdPlan(
  s: MacvlanSpec,
  facts: IfupdownFacts & { processes: readonly Proc[]; dhcpcd: string },
  how: string,
): StackPlan {
  if (!facts.ifup)
    throw new InputError(
      '--stack dhcpcd creates the macvlan with ifupdown, which is not installed (no /sbin/ifup): sudo apt install ' +
        'ifupdown',
    );
  const files = ifupdownFiles(s, 'manual');
  const running = runsDhcpcdManager(facts.processes);
  const reread = running ? rereadCommands(s, facts.dhcpcd) : [];
  return {
    stack: 'dhcpcd',
    how,
    files,
    run: [
      ...reread.map((argv) => ({ when: '*' as const, argv })),
      ...daemonReload(files),
      { when: files.map((f) => f.path), argv: ['ifup', ...ifupNames(s)] },
    ],
    stop: ifdownCommands(s),
    reload: daemonReload(files).map((c) => c.argv),
    dhcpcdConf: true,
    notes: [
      running
        ? `dhcpcd.service leases ${s.iface}; ${s.parent} leases nothing (srcroute's block in /etc/dhcpcd.conf)` +
          (s.vlan === undefined
            ? `: what it holds of its own goes now (${reread.map((c) => c.join(' ')).join('; ')})`
            : '')
        : `no manager-mode dhcpcd runs: dhcpcd.service leases ${s.iface} once it runs (srcroute neither enables nor ` +
          `starts it)`,
      ...parentNote(s, facts),
    ],
  };
}
