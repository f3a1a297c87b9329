// ip(8)'s batch protocol as srcroute speaks it, pure: no process here (kernel/ip.ts wires a real
// `ip` to it) so that the unit tests feed it what iproute2 really says (test/fixtures/ip-batch,
// recorded by its record.sh). The conversation with `ip -4|-6 -N -j -force -batch -`:
//  1. ask: srcroute writes queries; ip answers each with one line of JSON, flushed at once, so
//     the answers arrive while ip still waits for more input (a failed query is fatal here);
//  2. then one of: commit (the changes are written and stdin closed; nothing written means
//     nothing to wait for, and dhcpcd need not wait for ip to exit), or probe (questions that may
//     fail, such as `route get`: stdin is closed, and once ip has ended its answers are matched
//     to the questions that did not fail), or nothing (stdin closed, ip exits by itself);
//  3. ip goes on after a failed line (-force) and reports it, after that line's messages, as
//     `Command failed -:N` (N counts the batch's lines, queries included), then exits 1; a line
//     it cannot parse ends it at once with status 255 and no `Command failed`.
import { SystemError, oneLine } from '../shared/errors.js';
import type { Change } from './change.js';
import type { Family } from './kernel.js';
import type { ChildEnd } from './spawn.js';

/** ip's arguments: one address family, numbers, JSON, go on after a failed line, commands from stdin. */
export const batchArgs = (family: Family): string[] => [`-${family}`, '-N', '-j', '-force', '-batch', '-'];

export interface Failed {
  change: Change;
  message: string;
}

/** A step's result once known: its value, or why it failed. */
export type Settled<T> = { value: T } | { error: unknown };

/** One probe's answer: ip's JSON, or its words when that line failed. */
export type ProbeAnswer = { json: unknown } | { error: string };

/** Messages of a delete whose object is already gone (Change.mayBeGone). */
const GONE = /No such process|No such file or directory|Cannot find device/;

/**
 * ip's words for a device that is not there (an event can outlive its link): `Cannot find device
 * "X"` to route and address questions, `Device "X" does not exist.` to link questions (iproute2
 * 6.1; test/integration/vanished-interface.test.ts).
 */
export function isDeviceGone(e: unknown, iface: string): boolean {
  const words = [`Cannot find device "${iface}"`, `Device "${iface}" does not exist`];
  return iface !== '' && e instanceof SystemError && words.some((w) => e.message.includes(w));
}

/**
 * A kernel without IPv6 (booted with ipv6.disable=1, as some Raspberry Pi guides advise) answers
 * every `ip -6` request with EAFNOSUPPORT: it holds no IPv6 rule or route to read or remove.
 */
export function isNoIPv6(e: unknown): boolean {
  return e instanceof SystemError && /Address family not supported/.test(e.message);
}

const lines = (commands: readonly (readonly string[])[]): string => commands.map((c) => `${c.join(' ')}\n`).join('');

/** One conversation. Feed it what ip says (out, err, end); ask it what is known so far. */
export class IpBatch {
  private stdout = '';
  private stderr = '';
  private ended: ChildEnd | null = null;
  /** Lines written so far: ip numbers its failures by them. */
  private sent = 0;
  private awaited = 0;
  private answers: unknown[] = [];
  private last:
    | { kind: 'commit'; changes: readonly Change[]; offset: number }
    | { kind: 'probe'; count: number; offset: number }
    | null = null;

  /** `path`: ip's, for messages. */
  constructor(private readonly path: string) {}

  out(text: string): void {
    this.stdout += text;
  }

  err(text: string): void {
    this.stderr += text;
  }

  end(how: ChildEnd): void {
    this.ended ??= how;
  }

  /** The lines that ask `queries`; their answers come from answered(). */
  ask(queries: readonly string[][]): string {
    this.awaited = queries.length;
    this.answers = [];
    return this.send(queries);
  }

  /** The last ask's answers once all are in, why they never will be, or null while waiting. */
  answered(): Settled<unknown[]> | null {
    const gone = this.startFailure();
    if (gone) return gone;
    if (/Command failed/.test(this.stderr))
      return this.fail(`ip could not read the kernel's state: ${oneLine(this.stderr)}`);
    let nl: number;
    while (this.answers.length < this.awaited && (nl = this.stdout.indexOf('\n')) !== -1) {
      const line = this.stdout.slice(0, nl).trim();
      this.stdout = this.stdout.slice(nl + 1);
      if (line === '') continue;
      try {
        this.answers.push(JSON.parse(line));
      } catch {
        return this.fail(`unexpected output from ip: ${oneLine(line)}`);
      }
    }
    if (this.answers.length === this.awaited) return { value: this.answers };
    if (this.ended === null) return null;
    return this.fail(
      `${this.path} ${this.how()} before reporting the kernel's state: ${oneLine(this.stderr) || 'no message'}`,
    );
  }

  /** The lines that make `changes` (stdin is closed after them); applied() tells the outcome. */
  commit(changes: readonly Change[]): string {
    this.last = { kind: 'commit', changes, offset: this.sent };
    return this.send(changes.map((c) => c.argv));
  }

  /** The changes ip refused, once known (at once when there were none to make); null while ip runs. */
  applied(): Settled<Failed[]> | null {
    if (this.last?.kind !== 'commit') throw new Error('applied() before commit()');
    const { changes, offset } = this.last;
    if (changes.length === 0) return { value: [] };
    const gone = this.startFailure();
    if (gone) return gone;
    if (this.ended === null) return null;
    const failed = failures(this.stderr, offset, changes.length).map(({ index, message }) => ({
      change: changes[index]!,
      message,
    }));
    if (this.ended.kind === 'exited' && this.ended.code !== 0 && failed.length === 0) {
      return this.fail(`${this.path} ${this.how()} while changing the kernel: ${oneLine(this.stderr) || 'no message'}`);
    }
    return { value: failed.filter((f) => !(f.change.mayBeGone && GONE.test(f.message))) };
  }

  /** The lines that ask `queries`, any of which may fail (stdin is closed after them); probed() tells. */
  probe(queries: readonly string[][]): string {
    this.last = { kind: 'probe', count: queries.length, offset: this.sent };
    return this.send(queries);
  }

  /** Each probe's answer or failure, once ip has ended; null while it runs. */
  probed(): Settled<ProbeAnswer[]> | null {
    if (this.last?.kind !== 'probe') throw new Error('probed() before probe()');
    const gone = this.startFailure();
    if (gone) return gone;
    if (this.ended === null) return null;
    const { count, offset } = this.last;
    const failed = new Map(failures(this.stderr, offset, count).map((f) => [f.index, f.message]));
    const json = this.stdout.split('\n').filter((l) => l.trim() !== '');
    const out: ProbeAnswer[] = [];
    for (let i = 0; i < count; i++) {
      const why = failed.get(i);
      if (why !== undefined) {
        out.push({ error: why });
        continue;
      }
      const line = json.shift();
      if (line === undefined)
        return this.fail(`${this.path} ${this.how()} before answering: ${oneLine(this.stderr) || 'no message'}`);
      try {
        out.push({ json: JSON.parse(line) });
      } catch {
        return this.fail(`unexpected output from ip: ${oneLine(line)}`);
      }
    }
    return { value: out };
  }

  private send(commands: readonly (readonly string[])[]): string {
    this.sent += commands.length;
    return lines(commands);
  }

  /** ip never ran, or its time ran out. */
  private startFailure(): Settled<never> | null {
    if (this.ended?.kind === 'not-started') return this.fail(`cannot run ${this.path}: ${this.ended.why}`);
    if (this.ended?.kind === 'timed-out')
      return this.fail(`${this.path} did not finish within ${this.ended.ms / 1000}s; killed it`);
    return null;
  }

  /** How ip ended, for a message: a killed ip has no exit code, so say which signal. */
  private how(): string {
    const e = this.ended;
    if (e?.kind !== 'exited') return 'ended';
    return e.code === null ? `was killed by ${e.signal ?? 'a signal'}` : `exited ${e.code}`;
  }

  private fail(message: string): Settled<never> {
    return { error: new SystemError(message) };
  }
}

/**
 * The failed lines among `count` lines written after the first `offset`, by index: ip reports
 * `Command failed -:N` after the messages of line N.
 */
export function failures(stderr: string, offset: number, count: number): { index: number; message: string }[] {
  const failed: { index: number; message: string }[] = [];
  let messages: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(line.trim());
    if (!m) {
      if (line.trim() !== '') messages.push(line.trim());
      continue;
    }
    const index = Number(m[1]) - offset - 1;
    if (index >= 0 && index < count) failed.push({ index, message: oneLine(messages.join('; ')) || 'failed' });
    messages = [];
  }
  return failed;
}
