// `srcroute mac IFACE`: print the interface's stable MAC (see mac.ts for why it must be stable).
import { checkInterface } from '../../hook/event.js';
import { readMachineId, stableMac } from '../mac.js';
import type { OperatorDeps } from '../deps.js';

export function macOf(deps: OperatorDeps, iface: string): string {
  return stableMac(readMachineId(deps.paths.machineId), checkInterface(iface, 'interface name'));
}

export async function runMac(deps: OperatorDeps, iface: string, out: (line: string) => void): Promise<void> {
  out(macOf(deps, iface));
}
