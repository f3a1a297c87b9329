// `srcroute install [--parent ETH] [--stack S] [--node PATH] [--root DIR] [--configure-dhcpcd]
// [--dry-run] IFACE...`: gather (gather.ts), plan (install-plan.ts, pure), apply (writer.ts).
// install.sh hands over to it.
import { FIRST_TABLE, PROTO_NUM } from './layout.js';
import { isInterfaceName } from '../hook/event.js';
import { InputError } from '../shared/errors.js';
import type { Command } from '../shared/command.js';
import type { OperatorDeps } from '../operator/deps.js';
import { STACKS } from '../operator/stacks/plan.js';
import { gatherInstall } from './gather.js';
import { planInstall } from './install-plan.js';
import { rerun, uninstallCommand } from './names.js';
import { applyPlan, distDir, embeddedHooks, given, under } from './run-plan.js';
import { PACKAGE_DIST } from '../shared/paths.js';

/** --vlan VID: a VLAN ID (1-4094) on --parent. */
function vlanOf(given: string | undefined, parent: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  if (parent === undefined) throw new InputError(`--vlan ${given} needs --parent ETH (the port the VLAN goes on)`);
  const id = /^\d{1,4}$/.test(given) ? Number(given) : 0;
  if (id < 1 || id > 4094) throw new InputError(`--vlan '${given}': a VLAN ID from 1 to 4094`);
  return id;
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute install [OPTION ...] IFACE [IFACE ...]
       srcroute install --parent ETH [--vlan VID] [--stack STACK] IFACE

Installs srcroute for the macvlan interfaces named (e.g. eth0v0): the srcroute
command in /usr/local/sbin and /etc/dhcpcd/IFACE.exit-hook (each a whole
bundle; the hooks run node --jitless), a marked block in /etc/dhcpcd.exit-hook,
the dhclient shim and enter hook in /etc/dhcp, the routing tables (pub = ${FIRST_TABLE}
for the first interface, one more per further interface) and protocol ${PROTO_NUM} in
/etc/iproute2, /etc/srcroute/srcroute.env and IFACE.env (never overwritten),
and, under Debian's dhcpcd.service, a drop-in that lets its hooks write
/run/srcroute. Without IFACE it updates the interfaces already installed. A
second run changes nothing. What it wrote is listed in
/usr/local/lib/srcroute/installed.list, for \`srcroute uninstall\`.

Options:
  --parent ETH        also set up the macvlan on ETH (the modem's link: a port
                      of its own, never the LAN's) in the network stack's own
                      configuration, with its stable MAC (srcroute mac), and
                      its DHCP client
  --vlan VID          the modem is on VLAN VID (1-4094) of the port ETH the LAN
                      also uses: the stack makes the VLAN ETH.VID, with no
                      address of its own, and the macvlan on it; ETH's own
                      configuration stays as it is
  --stack STACK       the stack to set up instead of the one that runs: nm,
                      networkd, ifupdown, dhcpcd (Debian's dhcpcd.service)
  --configure-dhcpcd  also add the interfaces' stanza to /etc/dhcpcd.conf (a
                      marked block)
  --forward           FORWARD=yes in IFACE.env: connections forwarded from
                      IFACE (Docker's -p, a port forward) answer through it;
                      writes /etc/srcroute/nft/IFACE.nft and enables
                      srcroute-nft@IFACE.service, which loads it at boot
  --node PATH         the node the hooks run with (default: the one running
                      this)
  --no-command        do not write /usr/local/sbin/srcroute (a package
                      provides the command; so when run from the Debian
                      package, which has /usr/sbin/srcroute)
  --root DIR          stage every file under DIR (packaging, tests); run
                      nothing, no kernel change
  --dry-run           print what would be written, changed or run; change
                      nothing

Examples:
  sudo srcroute install --parent eth1 eth1v0     # the modem's own port
  sudo srcroute install --parent eth0 --vlan 100 eth0v0   # one port`,
  // 'purge' only to refuse it in words: install.sh once took `--purge` alone for --uninstall --purge
  flags: ['dry-run', 'configure-dhcpcd', 'forward', 'no-command', 'purge'],
  options: ['parent', 'vlan', 'stack', 'node', 'root'],
  positional: { min: 0, max: 255 },
  run: async (args, deps, io, tag) => {
    const prog = tag;
    if (args.flags.has('purge')) {
      throw new InputError(`--purge goes only with uninstall: ${uninstallCommand(prog)} --purge`);
    }
    const parent = args.options.get('parent');
    const stack = args.options.get('stack');
    if (parent !== undefined && !isInterfaceName(parent))
      throw new InputError(`--parent '${parent}' is not a plain interface name`);
    if (stack !== undefined && !(STACKS as readonly string[]).includes(stack))
      throw new InputError(`--stack '${stack}': one of ${STACKS.join(', ')}`);
    if (stack !== undefined && parent === undefined)
      throw new InputError('--stack needs --parent ETH (the interface the macvlan sits on)');
    const vlan = vlanOf(args.options.get('vlan'), parent);
    if (parent !== undefined && args.positional.length === 0)
      throw new InputError(
        `--parent ${parent}: name the macvlan too, e.g. ${rerun(prog)} --parent ${parent} ${parent}v0`,
      );
    const g = given(args, io, prog);
    const facts = await gatherInstall(under(deps, g.root), g, {
      ifaces: args.positional,
      parent,
      vlan,
      stack,
      ssh: process.env.SSH_CONNECTION,
      node: args.options.get('node') ?? process.execPath,
      configureDhcpcd: args.flags.has('configure-dhcpcd'),
      forward: args.flags.has('forward'),
      // the package's own /usr/sbin/srcroute is the command: no second copy in /usr/local (policy 9.1.2)
      command: !args.flags.has('no-command') && distDir() !== PACKAGE_DIST,
      packaged: distDir() === PACKAGE_DIST,
    }, embeddedHooks(), distDir());
    await applyPlan(planInstall(facts), deps, g, io);
  },
};
