// One way for tests to run a program and see everything it did: argv in, code/stdout/stderr out.
import { spawnSync } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
  /** Open file descriptors the program gets as fd 3, 4, … (a sandbox's namespaces). */
  fds?: readonly number[];
}

export function run(argv: readonly string[], opts: RunOptions = {}): RunResult {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('run: empty argv');
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    input: opts.input ?? '',
    timeout: opts.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe', ...(opts.fds ?? [])],
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 128 + 9, stdout: r.stdout, stderr: r.stderr };
}

/** run(), but throw with the program's stderr unless it exited 0. */
export function must(argv: readonly string[], opts: RunOptions = {}): string {
  const r = run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
