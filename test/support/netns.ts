// Throw-away network namespaces for tests, the demo and the bench. Names carry the prefix and
// the owning process's PID (PREFIX TAG-PID-N), so parallel test files never collide, destroy()
// only ever removes what this object created, and what a crashed run left behind is found: the
// first create() of a process sweeps every namespace of this prefix whose owner is dead (its
// processes killed, each after its network namespace was checked to be that one; their mount
// namespaces, with the overlays and tmpfs in them, die with them) and the owner's temp dirs.
// Every command of a Netns runs in its own Sandbox (sandbox.ts), made at the first: not under
// `ip netns exec`, whose copy of the host's mounts writes to the host's /etc, /run and /var/lib.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, killIfInNet } from './ns-identity.js';
import { run, type RunOptions, type RunResult } from './run.js';
import { Sandbox } from './sandbox.js';

let counter = 0;
/** LAB_NETNS_PREFIX: where several people run labs on one machine, each keeps to a prefix of their own. */
const PREFIX = process.env.LAB_NETNS_PREFIX ?? 'sr-';
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The owner PID of a namespace named by Netns.create() under `prefix`, or undefined for any other name. */
export function ownerOf(name: string, prefix = PREFIX): number | undefined {
  const m = new RegExp(`^${escaped(prefix)}[a-z0-9]+-(\\d+)-\\d+$`).exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The named network namespaces (`ip netns add` makes `dir` with the first one): none on a machine
 * that never had one, where reading the missing directory made the bench's first create() throw.
 */
export function namedNamespaces(dir = '/run/netns'): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * Remove what crashed runs under `prefix` left: namespaces whose owner PID is dead (a live owner,
 * or a PID reused since, keeps them: the next sweep gets them), their processes, and the temp
 * dirs (srcroute-sandbox-PID-*, srcroute-lab-PID-*) of those owners. Returns the namespaces removed.
 */
export function sweepOrphans(prefix = PREFIX): string[] {
  const names = namedNamespaces().filter((n) => {
    const owner = ownerOf(n, prefix);
    return owner !== undefined && !alive(owner);
  });
  for (const name of names) {
    const net = statSync(join('/run/netns', name)).ino;
    for (const pid of pidsInNetns(name)) killIfInNet(pid, net);
    run(['ip', 'netns', 'del', name]);
  }
  const owners = new Set(names.map((n) => ownerOf(n, prefix)));
  for (const d of readdirSync(tmpdir())) {
    const m = /^srcroute-(?:sandbox|lab)-(\d+)-/.exec(d);
    if (m && owners.has(Number(m[1]))) rmSync(join(tmpdir(), d), { recursive: true, force: true });
  }
  return names;
}

/** PIDs of the processes in a named network namespace. */
export function pidsInNetns(name: string): number[] {
  return run(['ip', 'netns', 'pids', name]).stdout.split(/\s+/).filter(Boolean).map(Number);
}

export class Netns {
  private box: Sandbox | undefined;
  private constructor(readonly name: string) {}

  /** A fresh namespace with `lo` up. */
  static create(tag = 'ns'): Netns {
    if (counter === 0) sweepOrphans();
    const name = `${PREFIX}${tag}-${process.pid}-${++counter}`;
    const added = run(['ip', 'netns', 'add', name]);
    if (added.code !== 0) throw new Error(`ip netns add ${name}: ${added.stderr.trim()}`);
    const ns = new Netns(name);
    try {
      ns.ip('link', 'set', 'lo', 'up');
    } catch (e) {
      ns.destroy();
      throw e;
    }
    return ns;
  }

  /**
   * The namespace's own sandbox, made at first use: private /etc, /run, /var/lib and /usr/local,
   * its holder verified (sandbox.ts). The host's /run/netns is in it, read-only, so that `ip link
   * add ... netns OTHER` finds the other namespaces.
   */
  get sandbox(): Sandbox {
    return (this.box ??= Sandbox.start({ netns: this.name, netnsDir: true }));
  }

  /** The namespace's inode: what /proc/PID/ns/net of a process in it stats to. */
  get inode(): number {
    return statSync(join('/run/netns', this.name)).ino;
  }

  /** Run argv inside the namespace (in its sandbox). */
  run(argv: readonly string[], opts: RunOptions = {}): RunResult {
    return this.sandbox.run(argv, opts);
  }

  /** `ip ARGS` inside the namespace; throws on failure, returns stdout. */
  ip(...args: string[]): string {
    const r = this.run(['ip', ...args]);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')} (in ${this.name}) exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `ip -j ARGS` parsed; a missing table counts as empty. */
  json<T = unknown>(...args: string[]): T[] {
    const r = this.run(['ip', '-j', ...args]);
    const text = r.stdout.trim();
    if (r.code !== 0 && /does not exist/.test(r.stderr)) return [];
    if (r.code !== 0) throw new Error(`ip -j ${args.join(' ')}: ${r.stderr.trim()}`);
    return text === '' ? [] : (JSON.parse(text) as T[]);
  }

  /** End the sandbox (and whatever runs in it), then remove the namespace. */
  destroy(): void {
    this.box?.stopNow();
    this.box = undefined;
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
