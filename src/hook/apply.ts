// Runs one read-decide-write round through ip(8) and reports it: in a dry run the exact
// commands on stdout; otherwise one log line per change made, and a SystemError naming the
// first change ip refused (the rest were still attempted: `ip -force`).
import { SystemError } from '../shared/errors.js';
import type { IpRunner } from '../kernel/ip.js';
import type { Change } from '../kernel/change.js';
import type { Io } from '../shared/command.js';
import type { Family } from '../kernel/kernel.js';

export interface Report {
  /** stdout: the commands of a dry run. */
  out: (line: string) => void;
  /** stderr: what was done, prefixed with the tag. */
  log: (line: string) => void;
  tag: string;
}

/** A command's Io as a Report: the dry run's commands to stdout, the log to stderr. */
export const reportTo = (io: Io, tag: string): Report => ({ out: io.out, log: io.err, tag });

export async function execute(
  ip: IpRunner,
  queries: string[][],
  decide: (answers: unknown[]) => Change[],
  dry: boolean,
  report: Report,
  gate?: <T>(critical: () => Promise<T>) => Promise<T>,
  family: Family = 4,
): Promise<Change[]> {
  const { changes, failed } = await ip(queries, decide, dry, gate);
  if (dry) {
    // IPv6 rule commands need -6 to work when pasted (ip does not guess a rule's family).
    for (const c of changes) report.out(`ip ${family === 6 ? '-6 ' : ''}${c.argv.join(' ')}`);
    return changes;
  }
  for (const c of changes) {
    if (!failed.some((f) => f.change === c)) report.log(`${report.tag}: ${c.says}`);
  }
  const first = failed[0];
  if (first) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
    throw new SystemError(`ip ${first.change.argv.join(' ')}: ${first.message}${more}`);
  }
  return changes;
}
