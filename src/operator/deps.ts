// What the operator commands (sync, status, check, mac, macvlan) need beyond the hook's Deps:
// where the system's files are, how to run dhcpcd, and the clock. cli.ts hands in the real
// ones; tests a temp root, a fake runner and a fixed time.
import { isExecutable } from '../shared/files.js';
import type { Deps } from '../hook/hook.js';
import { DHCPCD_CANDIDATES } from './lease-source.js';
import { systemPaths, type Paths } from '../shared/paths.js';
import { runProgram, type ProgramRunner } from '../kernel/program.js';

export interface OperatorDeps extends Deps {
  paths: Paths;
  run: ProgramRunner;
  now: () => number;
  dhcpcd: string;
}

/** The real machine's: its paths, its dhcpcd, its clock. */
export function machineDeps(): Omit<OperatorDeps, keyof Deps> {
  return {
    paths: systemPaths(),
    run: runProgram,
    now: () => Date.now(),
    dhcpcd: DHCPCD_CANDIDATES.find(isExecutable) ?? DHCPCD_CANDIDATES[0]!,
  };
}
