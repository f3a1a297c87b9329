// What the operator commands (sync, status, check, mac, macvlan) need beyond the hook's Deps:
// where the system's files are, how to run dhcpcd, and the clock. cli.ts hands in the real
// ones; tests a temp root, a fake runner and a fixed time.
import type { Deps } from './hook.js';
import type { Paths } from './paths.js';
import type { ProgramRunner } from './program.js';

export interface OperatorDeps extends Deps {
  /** Prefix of every path written by `macvlan --write` ('' on a real system). */
  root: string;
  paths: Paths;
  run: ProgramRunner;
  now: () => number;
  dhcpcd: string;
}
