// A private filesystem view for tests that install files or run DHCP clients as root.
// A holder process lives in its own mount namespace (and optionally inside a network namespace)
// with overlays over /etc, /usr/local and /var/lib and a fresh tmpfs on /run: every write lands
// in a temp dir, the host never sees one, and a dhcpcd started inside can never find the host's
// control socket or rewrite the host's /etc/resolv.conf (see shared facts). Commands enter the
// holder's namespaces with nsenter. stop() ends the holder and every process spawned through
// this object, by PID, and removes the temp dir.
// The namespaces are pinned, not named by the holder's PID: `nsenter --target PID` into a holder
// that had died (a lab's "reboot" kills what runs in the box) enters whatever process got that
// PID next, and once that was one in the host's mount namespace: a service's dhcpcd then leased
// in a lab's netns with the host's hooks and rewrote the host's /etc/resolv.conf. The sandbox
// opens the holder's namespace files once, checks the mount namespace is not the host's, and
// every command enters through those descriptors (`nsenter --mount=/proc/self/fd/3`).
//
// With `root` (another Debian release's root filesystem, debian-root.ts) the holder chroots into
// an overlay of that tree instead: every write lands in the temp dir, the cached tree is never
// changed, and commands enter its root too (pinned as well: `--root=/proc/self/fd/N`), so the box
// runs that release's programs, libraries, unit files and /etc. The kernel's views come along
// (/proc, the netns's /sys, /dev), and so do the host's temp dir (labs keep lease and config files
// there) and this tree (tests run install.sh and dist/ from it), bound at their own paths.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, type RunOptions, type RunResult } from './run.js';

export interface SandboxOptions {
  /** Network namespace the holder (and so every command) runs in; host network when absent. */
  netns?: string;
  /** Directories to cover with a writable overlay. */
  overlays?: readonly string[];
  /** Directories to cover with an empty tmpfs. */
  tmpfs?: readonly string[];
  /** A root filesystem to chroot into (through an overlay); the host's own when absent. */
  root?: string;
}

const DEFAULT_OVERLAYS = ['/etc', '/usr/local', '/var/lib'];
const DEFAULT_TMPFS = ['/run'];
/** This tree: bound into a chrooted sandbox at its own path (demo/run.mjs names it: its ESM bundle has no __dirname). */
const REPO = process.env.SRCROUTE_REPO ?? resolve(__dirname, '../..');

/** Shell lines that make an overlay of `root` at DIR/root with the kernel's views, the temp dir and this tree in it. */
function chrootLines(dir: string, root: string): string[] {
  const m = `${dir}/root`;
  return [
    `mkdir -p '${dir}/rootup' '${dir}/rootwork' '${m}'`,
    `mount -t overlay overlay -o 'lowerdir=${root},upperdir=${dir}/rootup,workdir=${dir}/rootwork' '${m}'`,
    `mount -t proc proc '${m}/proc'`,
    `mount --rbind /sys '${m}/sys'`,
    `mount --rbind /dev '${m}/dev'`,
    // a booted box has one (it seeds srcroute's stable MAC); the host's, as a Debian 12 box sees it
    `cp /etc/machine-id '${m}/etc/machine-id'`,
    ...[tmpdir(), REPO].flatMap((p) => [`mkdir -p '${m}${p}'`, `mount --bind '${p}' '${m}${p}'`]),
  ];
}

export class Sandbox {
  private readonly children = new Set<ChildProcess>();

  private constructor(
    readonly dir: string,
    private readonly holder: ChildProcess,
    /** The holder's mount namespace, and its network namespace when it has its own: fd 3 and 4 of every command. */
    private readonly ns: PinnedNamespaces,
  ) {}

  /** Whether commands run chrooted into another root filesystem (a process started inside is too). */
  get chrooted(): boolean {
    return this.ns.root;
  }

  static start(opts: SandboxOptions = {}): Sandbox {
    const dir = mkdtempSync(join(tmpdir(), 'srcroute-sandbox-'));
    const lines = ['set -eu'];
    // chrooted: the whole root is an overlay already; /run still starts empty
    if (opts.root) lines.push(...chrootLines(dir, opts.root));
    const at = opts.root ? `${dir}/root` : '';
    (opts.root ? [] : opts.overlays ?? DEFAULT_OVERLAYS).forEach((target, i) => {
      const up = `${dir}/upper${i}`;
      const work = `${dir}/work${i}`;
      lines.push(
        `mkdir -p '${up}' '${work}'`,
        `mount -t overlay overlay -o 'lowerdir=${target},upperdir=${up},workdir=${work}' '${target}'`,
      );
    });
    for (const target of opts.tmpfs ?? DEFAULT_TMPFS) lines.push(`mount -t tmpfs -o mode=755 tmpfs '${at}${target}'`);
    // chrooted: "ready" is written from inside the chroot (the temp dir is bound there), so the
    // root pinned below is the tree's: written before the chroot, a loaded CI pinned the host's
    // own root, and a lab ran ifup, install and dhcpcd on the host's /etc, /run and /var/lib
    lines.push(
      opts.root
        ? `exec chroot '${at}' sh -c "echo ready > '${dir}/ready' && exec sleep 2147483647"`
        : `echo ready > '${dir}/ready'; exec sleep 2147483647`,
    );
    const unshare = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', lines.join('\n')];
    const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...unshare] : unshare;
    const holder = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    holder.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!existsSync(`${dir}/ready`)) {
      if (holder.exitCode !== null || Date.now() > deadline) {
        holder.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`sandbox did not start: ${stderr.trim() || 'timeout'}`);
      }
      spawnSync('sleep', ['0.02']);
    }
    try {
      return new Sandbox(dir, holder, pinNamespaces(holder.pid!, opts.netns !== undefined, opts.root !== undefined));
    } catch (e) {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The holder's PID: the one process in the box's namespace that no "reboot" may kill. */
  get holderPid(): number | undefined {
    return this.holder.pid;
  }

  /** nsenter argv that puts a command into the holder's namespaces (pinned: fd 3 and 4). */
  private enter(argv: readonly string[]): string[] {
    return this.ns.enter(argv);
  }

  run(argv: readonly string[], opts: RunOptions = {}): RunResult {
    return run(this.enter(argv), { ...opts, fds: this.ns.fds });
  }

  /** Start a long-running program (a daemon in the foreground) inside; stop() ends it. */
  spawn(argv: readonly string[], env: Record<string, string> = {}): ChildProcess {
    const full = this.enter(argv);
    const child = spawn(full[0]!, full.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe', ...this.ns.fds] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * /etc and srcroute's part of /usr/local as the sandbox sees them: every path with its mode,
   * owner, type and link target, then every file's sha256. Equal snapshots: the same bytes.
   */
  snapshot(): string {
    const r = this.run([
      'sh',
      '-c',
      'cd / && set -- etc $(find usr/local/lib usr/local/sbin -maxdepth 0 2>/dev/null) && ' +
        '{ find usr/local -maxdepth 1; find "$@" -xdev; } | LC_ALL=C sort | xargs -d "\\n" stat -c "%n %a %U %G %F %N" && ' +
        'find "$@" -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum',
    ]);
    if (r.code !== 0) throw new Error(`sandbox: snapshot failed: ${r.stderr}`);
    return r.stdout;
  }

  /** Read a file as the sandbox sees it. */
  read(path: string): string {
    const r = this.run(['cat', path]);
    if (r.code !== 0) throw new Error(`sandbox: cannot read ${path}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Kill one spawned child (by its PID) and wait for it to go. */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.kill(c)));
    await this.kill(this.holder, 'SIGKILL');
    this.ns.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A process's namespaces held open by descriptor, so that they stay the ones it was started in. */
export interface PinnedNamespaces {
  /** The descriptors, in the order `enter` names them (fd 3, then 4, then 5). */
  fds: readonly number[];
  /** Whether the process's root directory is pinned too (it runs chrooted). */
  root: boolean;
  /** nsenter argv through those descriptors, as fd 3 and 4 of the nsenter process. */
  enter(argv: readonly string[]): string[];
  close(): void;
}

/** Pin `pid`'s mount namespace (and its network namespace, and its root directory); refuse the host's mount namespace. */
export function pinNamespaces(pid: number, net: boolean, root = false): PinnedNamespaces {
  const mine = readlinkSync('/proc/self/ns/mnt');
  const fds = [openSync(`/proc/${pid}/ns/mnt`, 'r'), ...(net ? [openSync(`/proc/${pid}/ns/net`, 'r')] : []), ...(root ? [openSync(`/proc/${pid}/root`, 'r')] : [])];
  if (readlinkSync(`/proc/self/fd/${fds[0]}`) === mine) {
    for (const fd of fds) closeSync(fd);
    throw new Error(`sandbox: process ${pid} is in the host's mount namespace (${mine}): refusing to run anything there`);
  }
  if (root && readlinkSync(`/proc/self/fd/${fds[fds.length - 1]}`) === '/') {
    for (const fd of fds) closeSync(fd);
    throw new Error(`sandbox: process ${pid} is not chrooted (its root is /): refusing to run anything there`);
  }
  return {
    fds,
    root,
    // the root last: fd 3 + its index
    enter: (argv) => ['nsenter', '--mount=/proc/self/fd/3', ...(net ? ['--net=/proc/self/fd/4'] : []), ...(root ? [`--root=/proc/self/fd/${fds.length + 2}`] : []), '--', ...argv],
    close: () => {
      for (const fd of fds) closeSync(fd);
    },
  };
}
