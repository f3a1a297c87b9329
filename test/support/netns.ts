// Throw-away network namespaces for tests. Names carry the test process's PID so parallel test
// files never collide, and destroy() only ever removes what this object created.
import { must, run, type RunOptions, type RunResult } from './run.js';

let counter = 0;
/** LAB_NETNS_PREFIX: where several people run labs on one machine, each keeps to a prefix of their own. */
const PREFIX = process.env.LAB_NETNS_PREFIX ?? 'sr-';

export class Netns {
  private constructor(readonly name: string) {}

  /** A fresh namespace with `lo` up. */
  static create(tag = 'ns'): Netns {
    const name = `${PREFIX}${tag}-${process.pid}-${++counter}`;
    must(['ip', 'netns', 'add', name]);
    const ns = new Netns(name);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** Run argv inside the namespace. */
  run(argv: readonly string[], opts: RunOptions = {}): RunResult {
    return run(['ip', 'netns', 'exec', this.name, ...argv], opts);
  }

  /** `ip ARGS` inside the namespace; throws on failure, returns stdout. */
  ip(...args: string[]): string {
    return must(['ip', '-n', this.name, ...args]);
  }

  /** `ip -j ARGS` parsed; a missing table counts as empty. */
  json<T = unknown>(...args: string[]): T[] {
    const r = run(['ip', '-n', this.name, '-j', ...args]);
    const text = r.stdout.trim();
    if (r.code !== 0 && /does not exist/.test(r.stderr)) return [];
    if (r.code !== 0) throw new Error(`ip -j ${args.join(' ')}: ${r.stderr.trim()}`);
    return text === '' ? [] : (JSON.parse(text) as T[]);
  }

  destroy(): void {
    run(['ip', 'netns', 'del', this.name]);
  }
}

/**
 * A namespace holding the interfaces a hook expects: `eth0` (one end of a veth whose other end
 * stays in the namespace as `eth0peer`) and macvlans on it named `macvlans`, all up.
 */
export function boxWithMacvlans(macvlans: readonly string[] = ['eth0v0']): Netns {
  const ns = Netns.create('box');
  ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0peer');
  ns.ip('link', 'set', 'eth0', 'up');
  ns.ip('link', 'set', 'eth0peer', 'up');
  macvlans.forEach((name, i) => {
    const mac = `02:00:00:aa:bb:${(i + 1).toString(16).padStart(2, '0')}`;
    ns.ip('link', 'add', 'link', 'eth0', 'name', name, 'address', mac, 'type', 'macvlan', 'mode', 'private');
    ns.ip('link', 'set', name, 'up');
  });
  return ns;
}
