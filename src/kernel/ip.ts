// The one place that runs ip(8). A single `ip -4|-6 -batch` process per family and event both
// reads the kernel's state and applies the change (the protocol, pure, is ip-batch.ts): one
// process instead of three matters, dhcpcd waits for its hook on every lease event. Starting, the
// time limit and killing are spawn.ts's, as for every child srcroute starts.
//
// A session is started before the caller takes its lock, so that ip's start overlaps the wait for
// the lock; everything ip says is recorded from then on (it may fail, or exit, meanwhile). The
// queries go in only when read() is called, inside the lock, so the state read is the one the
// changes are planned from; the time limit runs from that first read.
import { batchArgs, IpBatch, type Failed, type ProbeAnswer, type Settled } from './ip-batch.js';
import { startChild } from './spawn.js';
import type { Change } from './change.js';
import type { Family } from './kernel.js';

export interface IpSession {
  /** Ask `queries` and wait for their JSON answers (any failure rejects). */
  read(queries: string[][]): Promise<unknown[]>;
  /** Make `changes` and end the session: the changes ip refused (at once when there are none). */
  apply(changes: readonly Change[]): Promise<Failed[]>;
  /** Ask questions that may fail, and end the session: each one's answer or ip's words. */
  probe(queries: string[][]): Promise<ProbeAnswer[]>;
  /** End the session without a change: ip exits by itself. */
  close(): void;
  /** End it now (SIGKILL): something went wrong on our side. */
  kill(): void;
}

/** A session with the ip at `path` for one family, killed `timeoutMs` after its first read. */
export type IpSessions = (family: Family) => IpSession;

export function ipSessions(path: string, timeoutMs: number): IpSessions {
  return (family) => {
    const batch = new IpBatch(path);
    // The step in progress checks, on every word ip says, whether its result is known yet.
    let check = (): void => {};
    const ip = startChild([path, ...batchArgs(family)], { stdin: true }, {
      stdout: (text) => (batch.out(text), check()),
      stderr: (text) => (batch.err(text), check()),
      end: (how) => (batch.end(how), check()),
    });
    let limited = false;
    const step = <T>(write: string, close: boolean, known: () => Settled<T> | null): Promise<T> => {
      if (!limited) ip.limit(timeoutMs);
      limited = true;
      ip.write(write);
      if (close) ip.close();
      return new Promise<T>((resolve, reject) => {
        check = () => {
          const result = known();
          if (result === null) return;
          check = () => {};
          if ('value' in result) resolve(result.value);
          else {
            ip.kill();
            reject(result.error);
          }
        };
        check(); // it may have said everything already
      });
    };
    return {
      read: (queries) => step(batch.ask(queries), false, () => batch.answered()),
      apply: (changes) => step(batch.commit(changes), true, () => batch.applied()),
      probe: (queries) => step(batch.probe(queries), true, () => batch.probed()),
      close: () => ip.close(),
      kill: () => ip.kill(),
    };
  };
}
