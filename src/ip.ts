// The one place that runs ip(8). A single `ip -4 -N -j -force -batch -` process per event both
// reads the kernel's state and applies the change: ip flushes each command's JSON as soon as it
// is done, so srcroute reads the answers, decides, and writes the changes into the same stdin.
// One process instead of three matters: dhcpcd waits for its hook on every lease event.
// The process gets its own process group so a timeout kills whatever a wrapper script started.
import { spawn } from 'node:child_process';
import { SystemError } from './errors.js';
import type { Change } from './plan.js';

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

/** Read with `queries`, let `decide` turn their JSON answers into changes, apply them unless `dry`. */
export type IpRunner = (queries: string[][], decide: (answers: unknown[]) => Change[], dry: boolean) => Promise<Outcome>;

const GONE = /No such process|No such file or directory|Cannot find device/;
const WHY: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied (not an executable file?)' };

/** A runner for the ip binary at `path`, giving up (and killing it) after `timeoutMs`. */
export function ipRunner(path: string, timeoutMs: number): IpRunner {
  return (queries, decide, dry) =>
    new Promise<Outcome>((resolve, reject) => {
      const child = spawn(path, ['-4', '-N', '-j', '-force', '-batch', '-'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let changes: Change[] | null = null;
      let stdout = '';
      let stderr = '';
      const answers: unknown[] = [];
      let settled = false;

      const finish = (error: Error | null, outcome?: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
          reject(error);
        } else resolve(outcome!);
      };
      const timer = setTimeout(
        () => finish(new SystemError(`${path} did not finish within ${timeoutMs / 1000}s; killed it`)),
        timeoutMs,
      );

      child.on('error', (e: NodeJS.ErrnoException) =>
        finish(new SystemError(`cannot run ${path}: ${WHY[e.code ?? ''] ?? e.code ?? e.message}`)),
      );
      child.stdin.on('error', () => {
        // ip went away early; its exit status and stderr tell why
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (changes === null && /Command failed/.test(stderr)) {
          finish(new SystemError(`ip could not read the kernel's state: ${oneLine(stderr)}`));
        }
      });
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        let nl: number;
        while (changes === null && (nl = stdout.indexOf('\n')) !== -1) {
          const line = stdout.slice(0, nl).trim();
          stdout = stdout.slice(nl + 1);
          if (line === '') continue;
          try {
            answers.push(JSON.parse(line));
          } catch {
            finish(new SystemError(`unexpected output from ip: ${oneLine(line)}`));
            return;
          }
          if (answers.length === queries.length) {
            try {
              changes = decide(answers);
            } catch (e) {
              finish(e as Error);
              return;
            }
            if (!dry && changes.length > 0) child.stdin.write(changes.map((c) => `${c.argv.join(' ')}\n`).join(''));
            child.stdin.end();
          }
        }
      });
      child.on('close', (code, signal) => {
        // A killed ip has no exit code: say which signal, not "exited null".
        const ended = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited ${code}`;
        if (changes === null) {
          finish(new SystemError(`${path} ${ended} before reporting the kernel's state: ${oneLine(stderr) || 'no message'}`));
          return;
        }
        const failed = failures(stderr, queries.length, changes);
        if (code !== 0 && failed.length === 0) {
          finish(new SystemError(`${path} ${ended}${dry || changes.length === 0 ? '' : ' while changing the kernel'}: ${oneLine(stderr) || 'no message'}`));
          return;
        }
        finish(null, { changes, failed: failed.filter((f) => !(f.change.mayBeGone && GONE.test(f.message))) });
      });

      child.stdin.write(queries.map((q) => `${q.join(' ')}\n`).join(''));
    });
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

function oneLine(text: string): string {
  const flat = text.trim().replace(/\s*\n\s*/g, '; ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
