// The one place that runs ip(8). A single `ip -4|-6 -batch` process per event both reads the kernel's
// state and applies the change (the protocol, pure, is ip-batch.ts): one process instead of three
// matters, dhcpcd waits for its hook on every lease event. Starting, the time limit and killing
// are spawn.ts's, as for every child srcroute starts.
import { batchArgs, IpBatch, type Outcome } from './ip-batch.js';
import { startChild } from './spawn.js';
import type { Change } from './change.js';
import type { Family } from './kernel.js';

/**
 * Read with `queries`, let `decide` turn their JSON answers into changes, apply them unless `dry`.
 * `gate` wraps the read-decide-write part (the caller's lock): ip is started before it, so that
 * its start overlaps the wait for the lock instead of adding to it.
 */
export type IpRunner = (
  queries: string[][],
  decide: (answers: unknown[]) => Change[],
  dry: boolean,
  gate?: <T>(critical: () => Promise<T>) => Promise<T>,
) => Promise<Outcome>;

/** A runner for the ip binary at `path` and one address family, giving up (and killing it) `timeoutMs` after the gate opens. */
export function ipRunner(path: string, timeoutMs: number, family: Family = 4): IpRunner {
  return async (queries, decide, dry, gate = (critical) => critical()) => {
    const batch = new IpBatch(path, queries, decide, dry);
    // ip starts before the gate and everything it says is recorded from then on (it may fail, or
    // exit, while we still wait for the lock); the queries go in only once the gate is open, so
    // the state read is the one the changes are decided from; every word moves things on.
    let advance = (): void => {};
    const ip = startChild([path, ...batchArgs(family)], { stdin: true }, {
      stdout: (text) => (batch.out(text), advance()),
      stderr: (text) => (batch.err(text), advance()),
      end: (how) => (batch.end(how), advance()),
    });
    try {
      return await gate(
        () =>
          new Promise<Outcome>((resolve, reject) => {
            ip.limit(timeoutMs);
            ip.write(batch.input);
            advance = () => {
              const { write, result } = batch.next();
              if (write !== undefined) {
                if (write) ip.write(write);
                ip.close();
              }
              if (result) 'error' in result ? reject(result.error) : resolve(result.outcome);
            };
            advance(); // it may have said everything already
          }),
      );
    } catch (e) {
      ip.kill();
      throw e;
    }
  };
}
