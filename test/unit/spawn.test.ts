// The one spawner (src/kernel/spawn.ts): how a child ended, and its kill policy (the whole process
// group, on kill() or at the time limit, reported at once even while a grandchild holds the pipes).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startChild, type ChildEnd } from '../../src/kernel/spawn.js';
import { tempDir } from '../support/tmp.js';

interface Ran { end: ChildEnd; stdout: string; stderr: string }

/** Hold this process's only thread for `ms`: a hook that gets no CPU (timers fall due meanwhile). */
const stall = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

function run(argv: string[], opts: { input?: string; limitMs?: number; kill?: boolean; stallMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = startChild(argv, { stdin: opts.input !== undefined }, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      end: (end) => resolve({ end, stdout, stderr }),
    });
    if (opts.input !== undefined) {
      child.write(opts.input);
      child.close();
    }
    if (opts.limitMs) child.limit(opts.limitMs);
    if (opts.kill) setTimeout(child.kill, 200);
    if (opts.stallMs) stall(opts.stallMs);
  });
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describe('startChild', () => {
  it('reports the exit code, stdout and stderr; stdin is a pipe when asked for', async () => {
    expect(await run(['sh', '-c', 'cat; echo oops >&2; exit 3'], { input: 'hello\n' })).toEqual({
      end: { kind: 'exited', code: 3, signal: null }, stdout: 'hello\n', stderr: 'oops\n',
    });
  });

  it('gives a child without a stdin pipe /dev/null', async () => {
    expect((await run(['readlink', '/proc/self/fd/0'])).stdout).toBe('/dev/null\n');
  });

  it('says why a program could not be started', async () => {
    expect((await run(['/nonexistent/ip'])).end).toEqual({ kind: 'not-started', why: 'no such file' });
    expect((await run([tempDir('srcroute-spawn')])).end).toEqual({ kind: 'not-started', why: 'permission denied (not an executable file?)' });
  });

  it('at the time limit kills the whole process group and reports it, though a grandchild held the pipes', async () => {
    const pids = join(tempDir('srcroute-spawn'), 'pids');
    const r = await run(['sh', '-c', `sleep 60 & echo $$ $! > ${pids}; wait`], { limitMs: 300 });
    expect(r.end).toEqual({ kind: 'timed-out', ms: 300 });
    const both = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(both).toHaveLength(2);
    // SIGKILL is delivered asynchronously: wait for it, up to the test's own timeout.
    while (both.some(alive)) await new Promise((ok) => setTimeout(ok, 20));
    expect(both.filter(alive), 'no process of the group left').toEqual([]);
  });

  it('a limit that falls due while the process itself had no CPU starts again once: the answer waiting in the pipe is read', async () => {
    // the child answers at once and exits; this process is stalled past the limit and beyond half of
    // it again, from the loop's check phase, so that the next turn runs its due timers before it
    // reads (from the poll phase the same turn would read first, and the test could not fail)
    await new Promise((r) => setImmediate(r));
    const r = await run(['sh', '-c', 'echo answer'], { limitMs: 200, stallMs: 700 });
    expect(r).toEqual({ end: { kind: 'exited', code: 0, signal: null }, stdout: 'answer\n', stderr: '' });
  });

  it('a stalled limit starts again only once: a child that hangs is still killed', async () => {
    const r = await run(['sh', '-c', 'sleep 60'], { limitMs: 200, stallMs: 700 });
    expect(r.end).toEqual({ kind: 'timed-out', ms: 200 });
  });

  it('kill() kills the group; the end says by which signal', async () => {
    expect((await run(['sh', '-c', 'sleep 60 & wait'], { kill: true })).end).toEqual({ kind: 'exited', code: null, signal: 'SIGKILL' });
  });
});
