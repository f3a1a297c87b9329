// `srcroute macvlan IFACE --parent ETH [--stack S]`: the macvlan's persistent definition with its
// stable MAC, printed, to read or to copy. It writes nothing: `srcroute install --parent` writes
// these files and records them, so that uninstall removes them (a --write here once wrote them
// outside that record, and uninstall left them behind).
import { InputError } from '../../shared/errors.js';
import { checkInterface } from '../../hook/event.js';
import { definitionFor, renderDefinition, MACVLAN_STACKS, type MacvlanStack } from '../macvlan.js';
import type { OperatorDeps } from '../deps.js';
import { readProcesses } from '../running.js';
import { chooseStack, parentNetworkOf } from '../stacks/gather.js';
import { macOf } from './mac.js';
import type { Command } from '../../shared/command.js';

export interface MacvlanArgs {
  iface: string;
  parent: string | undefined;
  stack: string | undefined;
}

export async function runMacvlan(
  deps: OperatorDeps,
  args: MacvlanArgs,
  out: (line: string) => void,
): Promise<void> {
  const iface = checkInterface(args.iface, 'interface name');
  if (args.parent === undefined)
    throw new InputError('--parent is required: the interface the macvlan sits on, e.g. --parent eth0');
  const parent = checkInterface(args.parent, '--parent');
  const { stack, how } = chooseStack(args.stack, readProcesses(deps.paths.proc, deps.now()), deps, MACVLAN_STACKS);
  const def = definitionFor(
    stack as MacvlanStack,
    { iface, parent, mac: macOf(deps, iface) },
    parentNetworkOf(deps, parent),
  );
  renderDefinition(def, how).forEach((line) => out(line));
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute macvlan IFACE --parent ETH [--stack networkd|ifupdown|nm]

Print the persistent definition of macvlan IFACE on ETH (mode private, with the
stable MAC of \`srcroute mac IFACE\`) for the system's network stack, detected
unless --stack is given:
  networkd  /etc/systemd/network/IFACE.netdev and IFACE.network (DHCP=no:
            dhcpcd leases the address), MACVLAN=IFACE in a drop-in for the
            parent's .network (netplan's under /run stays as it is), and a
            networkd.conf drop-in so networkd keeps srcroute's rules
  ifupdown  /etc/network/interfaces.d/IFACE (auto, inet dhcp: ifup runs the
            DHCP client; pre-up ip link add ...)
  nm        a keyfile in /etc/NetworkManager/system-connections
            (ipv4.method=disabled)

Options:
  --parent ETH   the interface the macvlan sits on (the modem's link)
  --stack STACK  the network stack to print for, instead of the one detected

It writes nothing: \`sudo srcroute install --parent ETH IFACE\` installs these
files and the DHCP client that leases IFACE, and records them, so that
\`sudo srcroute uninstall\` removes them.

Example:
  srcroute macvlan eth0v0 --parent eth0          # look first
  sudo srcroute install --parent eth0 eth0v0     # then install`,
  flags: [],
  options: ['parent', 'stack'],
  positional: { min: 1, max: 1 },
  run: (args, deps, io) =>
    runMacvlan(
      deps,
      {
        iface: args.positional[0]!,
        parent: args.options.get('parent'),
        stack: args.options.get('stack'),
      },
      io.out,
    ),
};
