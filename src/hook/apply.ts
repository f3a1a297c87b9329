// Applies a plan through the session that read the kernel, and says what happened: in a dry run
// the exact commands on stdout and nothing changed; otherwise one log line per change made, and
// a SystemError naming the first change ip refused (the rest were still attempted: `ip -force`).
import { SystemError } from '../shared/errors.js';
import type { IpSession } from '../kernel/ip.js';
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

/** A change as a command an admin can paste (IPv6 rules need -6: ip does not guess a rule's family). */
export const commandOf = (change: Change, family: Family): string =>
  `ip ${family === 6 ? '-6 ' : ''}${change.argv.join(' ')}`;

export async function applyPlan(
  session: IpSession,
  changes: readonly Change[],
  family: Family,
  dry: boolean,
  report: Report,
): Promise<void> {
  if (dry) {
    session.close();
    for (const c of changes) report.out(commandOf(c, family));
    return;
  }
  const failed = await session.apply(changes);
  for (const c of changes) {
    if (!failed.some((f) => f.change === c)) report.log(`${report.tag}: ${c.says}`);
  }
  const first = failed[0];
  if (first) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
    throw new SystemError(`ip ${first.change.argv.join(' ')}: ${first.message}${more}`);
  }
}
