// A fake outside world for main(): an ip runner and a lock that only record that they were
// used, a config dir of the test's choosing, and captured stdout/stderr. Shared by the hostile
// corpus and the fuzzer, which both need to prove "nothing was run" for bad input.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, realDeps } from '../../src/cli.js';
import type { Env } from '../../src/hook/env.js';
import type { Deps } from '../../src/hook/hook.js';
import type { Change } from '../../src/kernel/change.js';
import type { Family } from '../../src/kernel/kernel.js';
import type { IpSession } from '../../src/kernel/ip.js';
import type { ProbeAnswer } from '../../src/kernel/ip-batch.js';

export interface Outcome {
  code: number;
  out: string[];
  err: string[];
  /** Times the ip runner was asked for (deps.ip) and actually run; the families asked for. */
  ipMade: number;
  families: Family[];
  ipRan: number;
  locked: number;
  /** What the hook told the RA signature files: [iface, signature or null]; ['*', null] for all. */
  signatures: [string, string | null][];
  /** Changes a run decided (the fake kernel is empty unless `state` is given). */
  changes: Change[];
}

export interface FakeOptions {
  configDir?: string;
  tables?: ReadonlyMap<string, number>;
  /** What the fake kernel answers to the state queries (default: nothing owned). */
  answers?: unknown[];
  argv?: string[];
  uid?: number;
  /** An error the ip runner of a family throws instead of answering (a kernel without IPv6). */
  ipError?: (family: Family) => Error | undefined;
}

let empty: string | null = null;
/** One empty config dir (the defaults) per test file; removeEmptyConfigDir() in afterAll. */
export function emptyConfigDir(): string {
  empty ??= mkdtempSync(join(tmpdir(), 'srcroute-fake-'));
  return empty;
}
export function removeEmptyConfigDir(): void {
  if (empty !== null) rmSync(empty, { recursive: true, force: true });
  empty = null;
}

/** Run main() in hook mode with `env` and fakes; never touches the machine. */
export async function runMain(env: Env, opts: FakeOptions = {}): Promise<Outcome> {
  const o: Outcome = { code: -1, out: [], err: [], ipMade: 0, families: [], ipRan: 0, locked: 0, changes: [], signatures: [] };
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const deps: Deps = {
    ...realDeps(env, uid),
    env,
    uid,
    configDir: opts.configDir ?? emptyConfigDir(),
    tables: () => opts.tables ?? new Map([['pub', 123], ['isp2', 124]]),
    isExecutable: (path) => path === '/usr/sbin/ip',
    ip: (_config, family) => {
      o.ipMade++;
      o.families.push(family);
      return fakeSession(async (queries) => {
        o.ipRan++;
        const error = opts.ipError?.(family);
        if (error) throw error;
        return opts.answers ?? queries.map(() => []);
      }, (changes) => void o.changes.push(...changes));
    },
    lock: async (_name, _options, fn) => {
      o.locked++;
      return fn();
    },
    raSignatures: { set: (iface, signature) => void o.signatures.push([iface, signature]), clear: () => void o.signatures.push(['*', null]) },
  };
  o.code = await main(opts.argv ?? [], env, { out: (l) => o.out.push(l), err: (l) => o.err.push(l), uid }, deps);
  return o;
}

/** An ip session that answers with `read` (and `probed`), and hands what it applies to `applied` (nothing fails). */
export function fakeSession(
  read: (queries: string[][]) => Promise<unknown[]>,
  applied: (changes: readonly Change[]) => void = () => {},
  probed: (query: string[]) => ProbeAnswer = () => ({ error: 'the fake kernel has no routes' }),
): IpSession {
  return {
    read,
    apply: async (changes) => (applied(changes), []),
    probe: async (queries) => queries.map(probed),
    close: () => {},
    kill: () => {},
  };
}

/** stderr as the bytes a DHCP client would see. */
export const stderrText = (o: Outcome): string => o.err.map((l) => `${l}\n`).join('');
