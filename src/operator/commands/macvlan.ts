// `srcroute macvlan IFACE --parent ETH [--stack S] [--write [--force]]`: the macvlan's persistent
// definition with its stable MAC, printed, and with --write installed. Files are written
// atomically; an existing file with other content is left alone unless --force, and either
// way the output says which.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, SystemError, systemCallError } from '../../shared/errors.js';
import { checkInterface } from '../../hook/event.js';
import { exists, readText, writeAtomic } from '../../shared/files.js';
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
  write: boolean;
  force: boolean;
}

export async function runMacvlan(
  deps: OperatorDeps,
  args: MacvlanArgs,
  out: (line: string) => void,
  log: (line: string) => void,
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
  if (!args.write) return;

  const targets = def.files.map((f) => ({ ...f, at: join(deps.paths.root || '/', f.path) }));
  const clashes = targets.filter((t) => exists(t.at) && readText(t.at) !== t.content);
  if (clashes.length > 0 && !args.force) {
    throw new InputError(
      `not written: ${clashes.map((c) => c.at).join(', ')} already exist${clashes.length === 1 ? 's' : ''} with ` +
        `other content (compare, then use --force to replace)`,
    );
  }
  for (const t of targets) {
    const before = readText(t.at);
    if (before === t.content) {
      log(`srcroute macvlan: ${t.at} unchanged`);
      continue;
    }
    try {
      mkdirSync(dirname(t.at), { recursive: true });
      writeAtomic(t.at, t.content, t.mode);
    } catch (e) {
      throw new SystemError(`cannot write ${t.at}: ${systemCallError(e).message}`);
    }
    log(`srcroute macvlan: ${t.at} ${before === null ? 'written' : 'replaced (--force): it had other content'}`);
  }
  log(`srcroute macvlan: now: ${def.activate.join(' && ')}`);
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute macvlan IFACE --parent ETH [--stack networkd|ifupdown|nm]
                         [--write [--force]]

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
  --stack STACK  the network stack to write for, instead of the one detected
  --write        install the files (atomically)
  --force        with --write: replace a file that exists with other content
                 (else it is left alone)

\`sudo srcroute install --parent ETH IFACE\` installs these and the DHCP client
that leases IFACE.

Example:
  srcroute macvlan eth0v0 --parent eth0          # look first
  srcroute macvlan eth0v0 --parent eth0 --write && networkctl reload`,
  flags: ['write', 'force'],
  options: ['parent', 'stack'],
  positional: { min: 1, max: 1 },
  run: (args, deps, io) =>
    runMacvlan(
      deps,
      {
        iface: args.positional[0]!,
        parent: args.options.get('parent'),
        stack: args.options.get('stack'),
        write: args.flags.has('write'),
        force: args.flags.has('force'),
      },
      io.out,
      io.err,
    ),
};
