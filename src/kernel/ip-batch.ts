// ip(8)'s batch protocol as srcroute speaks it, pure: no process here (kernel/ip.ts wires a real
// `ip` to it) so that the unit tests feed it what iproute2 really says (test/fixtures/ip-batch,
// recorded by its record.sh). The conversation with `ip -4 -N -j -force -batch -`:
//  1. srcroute writes the queries; ip answers each with one line of JSON, flushed at once, so
//     the answers arrive while ip still waits for more input;
//  2. with every answer in, `decide` turns them into changes, which are written (unless dry) and
//     stdin closed. Nothing written means nothing to wait for: the outcome is known, and dhcpcd
//     need not wait for ip to exit;
//  3. ip goes on after a failed line (-force) and reports it, after that line's messages, as
//     `Command failed -:N` (N counts the batch's lines, queries included), then exits 1; a line
//     it cannot parse ends it at once with status 255 and no `Command failed`.
import { SystemError, oneLine } from '../shared/errors.js';
import type { Change } from './change.js';
import type { Family } from './kernel.js';
import type { ChildEnd } from './spawn.js';

/** ip's arguments: IPv4, numbers not names, JSON, go on after a failure, commands on stdin. */
/** ip's arguments: one address family, numbers, JSON, go on after a failed line, commands from stdin. */
export const batchArgs = (family: Family): string[] => [`-${family}`, '-N', '-j', '-force', '-batch', '-'];

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

/** What the caller does next: write `write` to ip and close its stdin; settle with `result`. */
export interface Next {
  write?: string;
  result?: { outcome: Outcome } | { error: unknown };
}

/** Messages of a delete whose object the kernel already removed (Change.mayBeGone). */
const GONE = /No such process|No such file or directory|Cannot find device/;

/**
 * A kernel without IPv6 (booted with ipv6.disable=1, as some Raspberry Pi guides advise) answers
 * every `ip -6` request with EAFNOSUPPORT: it holds no IPv6 rule or route to read or remove.
 */
export function isNoIPv6(e: unknown): boolean {
  return e instanceof SystemError && /Address family not supported/.test(e.message);
}

const lines = (commands: readonly (readonly string[])[]): string => commands.map((c) => `${c.join(' ')}\n`).join('');

/** One conversation. Feed it what ip says (stdout, stderr, end), then ask next(). */
export class IpBatch {
  private stdout = '';
  private stderr = '';
  private ended: ChildEnd | null = null;
  private readonly answers: unknown[] = [];
  private changes: Change[] | null = null;
  private settled = false;

  constructor(
    /** ip's path, for messages. */
    private readonly path: string,
    private readonly queries: readonly string[][],
    private readonly decide: (answers: unknown[]) => Change[],
    private readonly dry: boolean,
  ) {}

  /** What to write first. */
  get input(): string {
    return lines(this.queries);
  }

  out(text: string): void {
    this.stdout += text;
  }

  err(text: string): void {
    this.stderr += text;
  }

  end(how: ChildEnd): void {
    this.ended ??= how;
  }

  next(): Next {
    if (this.settled) return {};
    const next = this.step();
    if (next.result) this.settled = true;
    return next;
  }

  private step(): Next {
    if (this.ended?.kind === 'not-started') return this.fail(`cannot run ${this.path}: ${this.ended.why}`);
    if (this.ended?.kind === 'timed-out') return this.fail(`${this.path} did not finish within ${this.ended.ms / 1000}s; killed it`);
    if (this.changes === null) return this.read();
    if (this.ended === null) return {};
    const failed = failures(this.stderr, this.queries.length, this.changes);
    if (this.ended.code !== 0 && failed.length === 0) {
      return this.fail(`${this.path} ${this.how()} while changing the kernel: ${oneLine(this.stderr) || 'no message'}`);
    }
    const outcome = { changes: this.changes, failed: failed.filter((f) => !(f.change.mayBeGone && GONE.test(f.message))) };
    return { result: { outcome } };
  }

  /** Collect the answers; once all are in, decide and say what to write. */
  private read(): Next {
    if (/Command failed/.test(this.stderr)) return this.fail(`ip could not read the kernel's state: ${oneLine(this.stderr)}`);
    let nl: number;
    while (this.answers.length < this.queries.length && (nl = this.stdout.indexOf('\n')) !== -1) {
      const line = this.stdout.slice(0, nl).trim();
      this.stdout = this.stdout.slice(nl + 1);
      if (line === '') continue;
      try {
        this.answers.push(JSON.parse(line));
      } catch {
        return this.fail(`unexpected output from ip: ${oneLine(line)}`);
      }
    }
    if (this.answers.length < this.queries.length) {
      if (this.ended === null) return {};
      return this.fail(`${this.path} ${this.how()} before reporting the kernel's state: ${oneLine(this.stderr) || 'no message'}`);
    }
    let changes: Change[];
    try {
      changes = this.decide(this.answers);
    } catch (error) {
      return { result: { error } };
    }
    this.changes = changes;
    const writes = this.dry ? [] : changes;
    if (writes.length === 0) return { write: '', result: { outcome: { changes, failed: [] } } };
    return { write: lines(writes.map((c) => c.argv)), ...this.step() };
  }

  /** How ip ended, for a message: a killed ip has no exit code, so say which signal. */
  private how(): string {
    const e = this.ended;
    if (e?.kind !== 'exited') return 'ended';
    return e.code === null ? `was killed by ${e.signal ?? 'a signal'}` : `exited ${e.code}`;
  }

  private fail(message: string): Next {
    return { result: { error: new SystemError(message) } };
  }
}

/** The failed changes: ip reports `Command failed -:N` after the messages of line N. */
export function failures(stderr: string, offset: number, changes: readonly Change[]): Failed[] {
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
