// The one place that runs ip(8). A single `ip -4 -N -j -force -batch -` process per event both
// reads the kernel's state and applies the change: ip flushes each command's JSON as soon as it
// is done, so srcroute reads the answers, decides, and writes the changes into the same stdin.
// One process instead of three matters: dhcpcd waits for its hook on every lease event.
// The process gets its own process group so a timeout kills whatever a wrapper script started.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { SystemError, oneLine } from '../shared/errors.js';
import type { Change } from './change.js';

export interface Failed {
  change: Change;
  message: string;
}

export interface Outcome {
  /** What was decided (and, unless dry, sent), in order. */
  changes: Change[];
  /** The changes ip reported as failed, with ip's words. */
  failed: Failed[];
}

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

const GONE = /No such process|No such file or directory|Cannot find device/;
const WHY: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied (not an executable file?)' };

/** A runner for the ip binary at `path`, giving up (and killing it) after `timeoutMs`. */
export function ipRunner(path: string, timeoutMs: number): IpRunner {
  return async (queries, decide, dry, gate = (critical) => critical()) => {
    const ip = new IpProcess(path);
    try {
      return await gate(() => ip.exchange(queries, decide, dry, timeoutMs));
    } catch (e) {
      ip.kill();
      throw e;
    }
  };
}

/**
 * One `ip -batch` process. Everything it says is recorded from the moment it starts (it may
 * fail, or exit, while we still wait for the lock); exchange() then drives the conversation.
 */
class IpProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private stdout = '';
  private stderr = '';
  private error: Error | null = null;
  private ended: string | null = null;
  private exitCode: number | null = null;
  private notify: () => void = () => {};

  constructor(private readonly path: string) {
    this.child = spawn(path, ['-4', '-N', '-j', '-force', '-batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.on('error', (e: NodeJS.ErrnoException) => {
      this.error = new SystemError(`cannot run ${path}: ${WHY[e.code ?? ''] ?? e.code ?? e.message}`);
      this.notify();
    });
    this.child.stdin.on('error', () => {
      // ip went away early; its exit status and stderr tell why
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      this.notify();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.notify();
    });
    this.child.on('close', (code, signal) => {
      // A killed ip has no exit code: say which signal, not "exited null".
      this.ended = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited ${code}`;
      this.exitCode = code;
      this.notify();
    });
  }

  /** Kill ip and whatever it started (its own process group). */
  kill(): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  exchange(queries: string[][], decide: (answers: unknown[]) => Change[], dry: boolean, timeoutMs: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const answers: unknown[] = [];
      let changes: Change[] | null = null;
      const timer = setTimeout(() => fail(`${this.path} did not finish within ${timeoutMs / 1000}s; killed it`), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.notify = () => {};
      };
      const fail = (message: string): void => {
        done();
        reject(this.error ?? new SystemError(message));
      };
      const succeed = (outcome: Outcome): void => {
        done();
        resolve(outcome);
      };

      this.notify = () => {
        if (this.error) return fail(this.error.message);
        if (changes === null) {
          if (/Command failed/.test(this.stderr)) return fail(`ip could not read the kernel's state: ${oneLine(this.stderr)}`);
          let nl: number;
          while (answers.length < queries.length && (nl = this.stdout.indexOf('\n')) !== -1) {
            const line = this.stdout.slice(0, nl).trim();
            this.stdout = this.stdout.slice(nl + 1);
            if (line === '') continue;
            try {
              answers.push(JSON.parse(line));
            } catch {
              return fail(`unexpected output from ip: ${oneLine(line)}`);
            }
          }
          if (answers.length < queries.length) {
            if (this.ended !== null) fail(`${this.path} ${this.ended} before reporting the kernel's state: ${oneLine(this.stderr) || 'no message'}`);
            return;
          }
          try {
            changes = decide(answers);
          } catch (e) {
            done();
            return reject(e);
          }
          const writes = dry ? [] : changes;
          if (writes.length > 0) this.child.stdin.write(writes.map((c) => `${c.argv.join(' ')}\n`).join(''));
          this.child.stdin.end();
          // Nothing written, nothing for ip to report: it exits at the end of its input by
          // itself, and dhcpcd need not wait for that.
          if (writes.length === 0) return succeed({ changes, failed: [] });
        }
        if (this.ended === null) return;
        const failed = failures(this.stderr, queries.length, changes);
        if (this.exitCode !== 0 && failed.length === 0) {
          return fail(`${this.path} ${this.ended} while changing the kernel: ${oneLine(this.stderr) || 'no message'}`);
        }
        succeed({ changes, failed: failed.filter((f) => !(f.change.mayBeGone && GONE.test(f.message))) });
      };

      this.child.stdin.write(queries.map((q) => `${q.join(' ')}\n`).join(''));
      this.notify(); // it may have said everything already
    });
  }
}

/** ip -batch reports `Command failed -:N` after the messages of line N. */
function failures(stderr: string, offset: number, changes: readonly Change[]): Failed[] {
  const failed: Failed[] = [];
  let messages: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(line.trim());
    if (!m) {
      if (line.trim() !== '') messages.push(line.trim());
      continue;
    }
    const change = changes[Number(m[1]) - offset - 1];
    if (change) failed.push({ change, message: oneLine(messages.join('; ')) || 'failed' });
    messages = [];
  }
  return failed;
}
