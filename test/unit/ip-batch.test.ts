// The batch protocol (src/kernel/ip-batch.ts) fed what iproute2 6.1 really said to the batches in
// test/fixtures/ip-batch (recorded by its record.sh in a network namespace): each case's stdout
// and stderr, whole and one byte at a time, then its exit status.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpBatch, type Next } from '../../src/kernel/ip-batch.js';
import type { Change } from '../../src/kernel/change.js';
import type { ChildEnd } from '../../src/kernel/spawn.js';
import { SystemError } from '../../src/shared/errors.js';
import { stateQueries } from '../../src/hook/state.js';
import type { Config } from '../../src/hook/config.js';

const DIR = join(__dirname, '..', 'fixtures', 'ip-batch');
/** What hook/state.ts asks for table 123 and protocol 213. */
const QUERIES = stateQueries({ protocol: 213 } as Config, 123);

interface Recorded { input: string[]; stdout: string; stderr: string; status: number }
const recorded = (name: string): Recorded => {
  const read = (ext: string): string => readFileSync(join(DIR, `${name}.${ext}`), 'utf8');
  return { input: read('in').split('\n').filter(Boolean), stdout: read('out'), stderr: read('err'), status: Number(read('status')) };
};

/** The recorded batch's change lines as Changes (the ones named in `gone` may be gone). */
const changesOf = (r: Recorded, gone: number[] = []): Change[] =>
  r.input.slice(QUERIES.length).map((line, i) => ({ argv: line.split(' '), says: `change ${i}`, ...(gone.includes(i) ? { mayBeGone: true as const } : {}) }));

interface Run { answers: unknown[] | null; written: string | undefined; result: Next['result'] }

/** Replay a recording: ip's stdout and stderr in `chunk`-sized pieces, then its end. */
function replay(r: Recorded, changes: Change[], opts: { chunk?: number; dry?: boolean; end?: ChildEnd } = {}): Run {
  let answers: unknown[] | null = null;
  const queries = r.input.slice(0, QUERIES.length).map((line) => line.split(' '));
  const batch = new IpBatch('/usr/sbin/ip', queries, (a) => ((answers = a), changes), opts.dry ?? false);
  expect(batch.input).toBe(r.input.slice(0, QUERIES.length).map((l) => `${l}\n`).join(''));
  const run: Run = { answers: null, written: undefined, result: undefined };
  const take = (n: Next): void => {
    if (n.write !== undefined) {
      expect(run.written, 'written once').toBeUndefined();
      run.written = n.write;
    }
    if (n.result) {
      expect(run.result, 'settled once').toBeUndefined();
      run.result = n.result;
    }
  };
  const size = opts.chunk ?? Infinity;
  for (const [text, feed] of [[r.stdout, (t: string) => batch.out(t)], [r.stderr, (t: string) => batch.err(t)]] as const) {
    for (let i = 0; i < text.length; i += size) {
      feed(text.slice(i, i + size));
      take(batch.next());
    }
  }
  batch.end(opts.end ?? { kind: 'exited', code: r.status, signal: null });
  take(batch.next());
  run.answers = answers;
  return run;
}

const outcome = (run: Run) => {
  if (!run.result || !('outcome' in run.result)) throw new Error(`no outcome: ${JSON.stringify(run.result)}`);
  return run.result.outcome;
};
const error = (run: Run): unknown => {
  if (!run.result || !('error' in run.result)) throw new Error(`no error: ${JSON.stringify(run.result)}`);
  return run.result.error;
};

it('the recordings asked what srcroute asks', () => {
  for (const name of ['read-empty', 'bound', 'read-bound', 'some-fail', 'expire-gone']) {
    expect(recorded(name).input.slice(0, QUERIES.length)).toEqual(QUERIES.map((q) => q.join(' ')));
  }
});

describe.each([undefined, 1, 7])('ip -batch replies, fed in %s-byte pieces', (chunk) => {

  it('reads an empty kernel: two answers, nothing to write, settled before ip exits', () => {
    const r = recorded('read-empty');
    const batch = new IpBatch('ip', QUERIES, () => [], false);
    for (let i = 0; i < r.stdout.length; i += chunk ?? Infinity) batch.out(r.stdout.slice(i, i + (chunk ?? Infinity)));
    expect(batch.next()).toEqual({ write: '', result: { outcome: { changes: [], failed: [] } } });
  });

  it("hands decide() ip's JSON answers as they are", () => {
    const run = replay(recorded('read-bound'), [], { ...(chunk ? { chunk } : {}) });
    expect(run.answers).toEqual([
      [{ priority: 1000, src: '100.64.0.50', table: '123', protocol: '213' }],
      [
        { dst: 'default', gateway: '100.64.0.1', dev: 'eth0v0', table: '123', flags: [] },
        { dst: '100.64.0.0/24', dev: 'eth0v0', table: '123', scope: '253', flags: [] },
      ],
    ]);
  });

  it('writes the changes as ip read them, and reports none failed when ip exits 0', () => {
    const r = recorded('bound');
    const changes = changesOf(r);
    const run = replay(r, changes, chunk ? { chunk } : {});
    expect(run.written).toBe(r.input.slice(QUERIES.length).map((l) => `${l}\n`).join(''));
    expect(outcome(run)).toEqual({ changes, failed: [] });
  });

  it('maps each `Command failed -:N` back to its change, with the messages before it', () => {
    const r = recorded('some-fail');
    const changes = changesOf(r);
    expect(outcome(replay(r, changes, chunk ? { chunk } : {})).failed).toEqual([
      { change: changes[0], message: 'RTNETLINK answers: File exists' },
      { change: changes[1], message: 'Cannot find device "nosuch0"' },
      { change: changes[3], message: 'RTNETLINK answers: No such file or directory' },
    ]);
  });

  it('forgives a delete that may be gone when ip says it is gone (exit 1 and all)', () => {
    const r = recorded('expire-gone');
    const gone = changesOf(r, [2, 3]);
    expect(outcome(replay(r, gone, chunk ? { chunk } : {}))).toEqual({ changes: gone, failed: [] });
    const strict = changesOf(r);
    expect(outcome(replay(r, strict, chunk ? { chunk } : {})).failed.map((f) => [f.change, f.message])).toEqual([
      [strict[2], 'RTNETLINK answers: No such process'],
      [strict[3], 'RTNETLINK answers: No such process'],
    ]);
  });
});

describe('ip -batch failures (SystemError, one line)', () => {
  const failsWith = (run: Run, message: string): void => {
    const e = error(run);
    expect(e).toBeInstanceOf(SystemError);
    expect((e as Error).message).toBe(message);
  };

  it('ip gave up on an unparsable query: it exited before answering everything', () => {
    const r = recorded('read-unparsable');
    failsWith(replay(r, []), `/usr/sbin/ip exited 255 before reporting the kernel's state: Error: argument "99999" is wrong: invalid "protocol"`);
  });

  it('ip gave up on an unparsable change: exit 255 and no `Command failed`', () => {
    const r = recorded('change-unparsable');
    failsWith(replay(r, changesOf(r)), `/usr/sbin/ip exited 255 while changing the kernel: Error: argument "99999" is wrong: "protocol" value is invalid`);
  });

  it('a query that failed', () => {
    const r = { ...recorded('read-empty'), stdout: '[]\n', stderr: 'RTNETLINK answers: Operation not permitted\nCommand failed -:2\n', status: 1 };
    failsWith(replay(r, []), "ip could not read the kernel's state: RTNETLINK answers: Operation not permitted; Command failed -:2");
  });

  it('output that is not JSON', () => {
    const r = { ...recorded('read-empty'), stdout: 'Usage: ip [ OPTIONS ] OBJECT\n' };
    failsWith(replay(r, []), 'unexpected output from ip: Usage: ip [ OPTIONS ] OBJECT');
  });

  it('killed by a signal while changing the kernel', () => {
    const r = recorded('bound');
    failsWith(replay(r, changesOf(r), { end: { kind: 'exited', code: null, signal: 'SIGTERM' } }), '/usr/sbin/ip was killed by SIGTERM while changing the kernel: no message');
  });

  it('not started, or out of time', () => {
    const r = recorded('read-empty');
    failsWith(replay({ ...r, stdout: '' }, [], { end: { kind: 'not-started', why: 'no such file' } }), 'cannot run /usr/sbin/ip: no such file');
    failsWith(replay({ ...r, stdout: '[]\n' }, [], { end: { kind: 'timed-out', ms: 5000 } }), '/usr/sbin/ip did not finish within 5s; killed it');
  });

  it('an error thrown by decide() (a bug, a bad config) comes back as it is', () => {
    const bug = new TypeError('x is undefined');
    const batch = new IpBatch('ip', QUERIES, () => {
      throw bug;
    }, false);
    batch.out(recorded('read-empty').stdout);
    expect(batch.next()).toEqual({ result: { error: bug } });
    expect(batch.next(), 'settled: nothing more').toEqual({});
  });
});
