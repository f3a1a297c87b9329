// The batch protocol (src/kernel/ip-batch.ts) fed what iproute2 6.1 really said to the batches in
// test/fixtures/ip-batch (recorded by its record.sh in a network namespace): each case's stdout
// and stderr, whole and one byte at a time, then its exit status.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpBatch, type Failed, type ProbeAnswer, type Settled } from '../../src/kernel/ip-batch.js';
import type { Change } from '../../src/kernel/change.js';
import type { ChildEnd } from '../../src/kernel/spawn.js';
import { SystemError } from '../../src/shared/errors.js';
import { ownedQueries } from '../../src/hook/kernel-state.js';
import type { Config } from '../../src/hook/config.js';

const DIR = join(__dirname, '..', 'fixtures', 'ip-batch');
/** What hook/kernel-state.ts asks for table 123 and protocol 213. */
const QUERIES = ownedQueries({ protocol: 213 } as Config, { iface: 'eth0v0', table: 123 });

interface Recorded { input: string[]; stdout: string; stderr: string; status: number }
const recorded = (name: string): Recorded => {
  const read = (ext: string): string => readFileSync(join(DIR, `${name}.${ext}`), 'utf8');
  return { input: read('in').split('\n').filter(Boolean), stdout: read('out'), stderr: read('err'), status: Number(read('status')) };
};

/** The recorded batch's change lines as Changes (the ones named in `gone` may be gone). */
const changesOf = (r: Recorded, gone: number[] = []): Change[] =>
  r.input.slice(QUERIES.length).map((line, i) => ({ argv: line.split(' '), says: `change ${i}`, ...(gone.includes(i) ? { mayBeGone: true as const } : {}) }));

interface Run { answers: Settled<unknown[]> | null; written: string | undefined; result: Settled<Failed[]> | null }

/**
 * Replay a recording as kernel/ip.ts drives a batch: ask the queries; once the answers are in,
 * commit `changes` (none in a dry run: the session just ends); feed ip's stdout and stderr in
 * `chunk`-sized pieces, then its end, asking after each piece what is known.
 */
function replay(r: Recorded, changes: Change[], opts: { chunk?: number; dry?: boolean; end?: ChildEnd } = {}): Run {
  const queries = r.input.slice(0, QUERIES.length).map((line) => line.split(' '));
  const batch = new IpBatch('/usr/sbin/ip');
  expect(batch.ask(queries)).toBe(r.input.slice(0, QUERIES.length).map((l) => `${l}\n`).join(''));
  const run: Run = { answers: null, written: undefined, result: null };
  const look = (): void => {
    if (run.answers === null) run.answers = batch.answered();
    if (run.answers === null || !('value' in run.answers) || opts.dry) return;
    if (run.written === undefined) run.written = batch.commit(changes);
    if (run.result === null) run.result = batch.applied();
  };
  const size = opts.chunk ?? Infinity;
  for (const [text, feed] of [[r.stdout, (t: string) => batch.out(t)], [r.stderr, (t: string) => batch.err(t)]] as const) {
    for (let i = 0; i < text.length; i += size) {
      feed(text.slice(i, i + size));
      look();
    }
  }
  batch.end(opts.end ?? { kind: 'exited', code: r.status, signal: null });
  look();
  return run;
}

const outcome = (run: Run): Failed[] => {
  if (!run.result || !('value' in run.result)) throw new Error(`no outcome: ${JSON.stringify(run.result ?? run.answers)}`);
  return run.result.value;
};
const error = (run: Run): unknown => {
  const settled = run.result ?? run.answers;
  if (!settled || !('error' in settled)) throw new Error(`no error: ${JSON.stringify(settled)}`);
  return settled.error;
};

it('the recordings asked what srcroute asks', () => {
  for (const name of ['read-empty', 'bound', 'read-bound', 'some-fail', 'expire-gone']) {
    expect(recorded(name).input.slice(0, QUERIES.length)).toEqual(QUERIES.map((q) => q.join(' ')));
  }
});

describe.each([undefined, 1, 7])('ip -batch replies, fed in %s-byte pieces', (chunk) => {

  it('reads an empty kernel: three answers (main holds its own rule), nothing to write, settled before ip exits', () => {
    const r = recorded('read-empty');
    const batch = new IpBatch('ip');
    batch.ask(QUERIES);
    for (let i = 0; i < r.stdout.length; i += chunk ?? Infinity) {
      expect(batch.answered(), 'not before the last answer').toBeNull();
      batch.out(r.stdout.slice(i, i + (chunk ?? Infinity)));
    }
    expect(batch.answered()).toEqual({ value: [[], [{ priority: 32766, src: 'all', table: '254' }], []] });
    expect(batch.commit([])).toBe('');
    expect(batch.applied()).toEqual({ value: [] });
  });

  it("answers with ip's JSON as it is", () => {
    const run = replay(recorded('read-bound'), [], { ...(chunk ? { chunk } : {}) });
    expect(run.answers).toEqual({ value: [
      [
        { priority: 998, src: '100.64.0.50', dst: '100.64.0.0', dstlen: 24, table: '123', protocol: '213' },
        { priority: 1000, src: '100.64.0.50', table: '123', protocol: '213' },
      ],
      [
        { priority: 999, src: '100.64.0.50', table: '254', suppress_prefixlen: 0, protocol: '213' },
        { priority: 32766, src: 'all', table: '254' },
      ],
      [
        { dst: 'default', gateway: '100.64.0.1', dev: 'eth0v0', table: '123', flags: [] },
        { dst: '100.64.0.0/24', dev: 'eth0v0', table: '123', scope: '253', flags: [] },
      ],
    ] });
  });

  it('writes the changes as ip read them, and reports none failed when ip exits 0', () => {
    const r = recorded('bound');
    const changes = changesOf(r);
    const run = replay(r, changes, chunk ? { chunk } : {});
    expect(run.written).toBe(r.input.slice(QUERIES.length).map((l) => `${l}\n`).join(''));
    expect(outcome(run)).toEqual([]);
  });

  it('maps each `Command failed -:N` back to its change, with the messages before it', () => {
    const r = recorded('some-fail');
    const changes = changesOf(r);
    expect(outcome(replay(r, changes, chunk ? { chunk } : {}))).toEqual([
      { change: changes[0], message: 'RTNETLINK answers: File exists' },
      { change: changes[1], message: 'Cannot find device "nosuch0"' },
      { change: changes[3], message: 'RTNETLINK answers: No such file or directory' },
    ]);
  });

  it('forgives a delete that may be gone when ip says it is gone (exit 1 and all)', () => {
    const r = recorded('expire-gone');
    const gone = changesOf(r, [2, 3]);
    expect(outcome(replay(r, gone, chunk ? { chunk } : {}))).toEqual([]);
    const strict = changesOf(r);
    expect(outcome(replay(r, strict, chunk ? { chunk } : {})).map((f) => [f.change, f.message])).toEqual([
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

  it('asked for nothing more, an error is not made up: a step not reached is a bug', () => {
    expect(() => new IpBatch('ip').applied()).toThrow(/before commit/);
    expect(() => new IpBatch('ip').probed()).toThrow(/before probe/);
  });
});

describe('probes: questions that may fail (`route get`)', () => {
  /** The recording's first two lines are the read; the rest are probes. */
  const probe = (r: Recorded, chunk = Infinity, end: ChildEnd = { kind: 'exited', code: r.status, signal: null }): Settled<ProbeAnswer[]> | null => {
    const batch = new IpBatch('/usr/sbin/ip');
    batch.ask(QUERIES);
    let answered: Settled<unknown[]> | null = null;
    let probed: Settled<ProbeAnswer[]> | null = null;
    let sent = false;
    const look = (): void => {
      answered ??= batch.answered();
      if (answered === null) return;
      if (!sent) {
        expect(batch.probe(r.input.slice(QUERIES.length).map((l) => l.split(' ')))).toBe(r.input.slice(QUERIES.length).map((l) => `${l}\n`).join(''));
        sent = true;
      }
      probed ??= batch.probed();
    };
    for (let i = 0; i < r.stdout.length; i += chunk) (batch.out(r.stdout.slice(i, i + chunk)), look());
    for (let i = 0; i < r.stderr.length; i += chunk) (batch.err(r.stderr.slice(i, i + chunk)), look());
    expect(probed, 'nothing is known before ip ends').toBeNull();
    batch.end(end);
    look();
    return probed;
  };

  it.each([Infinity, 1, 7])('each answer lines up with its question; a failed one carries ip\'s words (%s-byte pieces)', (chunk) => {
    const got = probe(recorded('probe'), chunk);
    expect(got).toEqual({
      value: [
        { json: [{ dst: '192.0.2.1', from: '100.64.0.50', gateway: '100.64.0.1', dev: 'eth0v0', table: '123', flags: [], uid: 0, cache: [] }] },
        { error: 'RTNETLINK answers: Network is unreachable' },
        { json: [{ dst: '198.51.100.1', from: '100.64.0.50', gateway: '100.64.0.1', dev: 'eth0v0', table: '123', flags: [], uid: 0, cache: [] }] },
      ],
    });
  });

  it('ip out of time: a SystemError, not half the answers', () => {
    const got = probe(recorded('probe'), Infinity, { kind: 'timed-out', ms: 5000 });
    expect(got !== null && 'error' in got && (got.error as Error).message).toBe('/usr/sbin/ip did not finish within 5s; killed it');
  });
});
