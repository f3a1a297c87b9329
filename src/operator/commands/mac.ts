// `srcroute mac IFACE`: print the interface's stable MAC (see mac.ts for why it must be stable).
import { checkInterface } from '../../hook/event.js';
import { readMachineId, stableMac } from '../mac.js';
import type { OperatorDeps } from '../deps.js';
import type { Command } from '../../shared/command.js';

export function macOf(deps: OperatorDeps, iface: string): string {
  return stableMac(readMachineId(deps.paths.machineId), checkInterface(iface, 'interface name'));
}

export async function runMac(deps: OperatorDeps, iface: string, out: (line: string) => void): Promise<void> {
  out(macOf(deps, iface));
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute mac IFACE

Print a stable, locally administered unicast MAC for IFACE: 02: followed by
five bytes of sha256(machine-id ":" IFACE). The same machine and interface
always give the same MAC (also after a reinstall), another interface another
one. The modem pins one public address per MAC; a new MAC every boot would use
up its quota.

Example:
  ip link add link eth0 name eth0v0 address "$(srcroute mac eth0v0)" \\
      type macvlan mode private`,
  flags: [],
  positional: { min: 1, max: 1 },
  run: (args, deps, io) => runMac(deps, args.positional[0]!, io.out),
};
