// The one isolation helper of the labs, the demo and the bench: a private filesystem view in a
// network namespace, for everything that installs files or runs DHCP clients, dnsmasq or a
// network stack as root. A holder process lives in its own mount namespace inside the named
// network namespace, with overlays over /etc, /usr/local and /var/lib and a fresh tmpfs on /run
// (always: a caller can add directories, never take one away): every write lands in a temp dir,
// the host never sees one, and a dhcpcd started inside can never find the host's control socket
// or rewrite the host's /etc/resolv.conf (see shared facts). Commands enter the holder's
// namespaces with nsenter. stop() ends the holder and every process spawned through this object,
// by handle, and removes the temp dir; the mounts die with the mount namespace.
// The namespaces are pinned, not named by the holder's PID: `nsenter --target PID` into a holder
// that had died (a lab's "reboot" kills what runs in the box) enters whatever process got that
// PID next, and once that was one in the host's mount namespace: a service's dhcpcd then leased
// in a lab's netns with the host's hooks and rewrote the host's /etc/resolv.conf. The holder
// reports its namespaces' inodes from inside; the sandbox opens /proc/PID/ns/mnt and net once,
// checks they are those (so a reused PID, the host's or another worker's lab's, is refused), that
// the network namespace is the one named, and that /etc, /run, /var/lib and /usr/local are an
// overlay or a tmpfs as seen through them (ns-identity.ts); every command enters through those
// descriptors (`nsenter --mount=/proc/self/fd/3 --net=/proc/self/fd/4`).
//
// With `root` (another Debian release's root filesystem, debian-root.ts) the holder chroots into
// an overlay of that tree instead: every write lands in the temp dir, the cached tree is never
// changed, and commands enter its root too (pinned as well: `--root=/proc/self/fd/N`), so the box
// runs that release's programs, libraries, unit files and /etc. The kernel's views come along
// (/proc, the netns's /sys, /dev), and so do the host's temp dir (labs keep lease and config files
// there) and this tree (tests run install.sh and dist/ from it), bound at their own paths.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { alive, exposedDirs, idsOf, parseIds, PRIVATE_DIRS, REPORT_IDS, type NsIds } from './ns-identity.js';
import { run, type RunOptions, type RunResult } from './run.js';

export interface SandboxOptions {
  /** Network namespace (a name under /run/netns) the holder, and so every command, runs in. */
  netns: string;
  /** Directories to cover with a writable overlay, besides /etc, /usr/local and /var/lib (always). */
  overlays?: readonly string[];
  /** Directories to cover with an empty tmpfs, besides /run (always). */
  tmpfs?: readonly string[];
  /** A root filesystem to chroot into (through an overlay); the host's own when absent. */
  root?: string;
  /** The host's /run/netns, read-only, in the private /run: `ip netns exec` works inside (the bench). */
  netnsDir?: boolean;
}

/** Always private, whatever a caller asks: a caller can add directories, never take one away. */
const ALWAYS_OVERLAID = ['/etc', '/usr/local', '/var/lib'];
const ALWAYS_TMPFS = ['/run'];
/**
 * This tree: bound into a chrooted sandbox at its own path. Bundled as ESM (the demo, the bench)
 * there is no __dirname: their entry sets SRCROUTE_REPO; vitest runs from the tree's root.
 */
const REPO = resolve(process.env.SRCROUTE_REPO ?? (typeof __dirname === 'string' ? resolve(__dirname, '../..') : process.cwd()));

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

/** Shell lines that lay the overlays and tmpfs mounts (under `at`, the chroot, when there is one). */
function privateLines(dir: string, opts: SandboxOptions, at: string): string[] {
  // the shallowest first, so that each is the overlay its path shows (/usr laid after /usr/local hides that one)
  const depth = (p: string) => p.split('/').length;
  const overlays = opts.root ? [] : [...new Set([...ALWAYS_OVERLAID, ...(opts.overlays ?? [])])].sort((a, b) => depth(a) - depth(b));
  const lines = overlays.flatMap((target, i) => [
    `mkdir -p '${dir}/upper${i}' '${dir}/work${i}'`,
    `mount -t overlay overlay -o 'lowerdir=${target},upperdir=${dir}/upper${i},workdir=${dir}/work${i}' '${target}'`,
  ]);
  // the host's /run/netns moves onto the new /run, read-only (a netns added inside would land in the host's)
  if (opts.netnsDir) lines.push(`mkdir '${dir}/netns'`, `mount --rbind /run/netns '${dir}/netns'`);
  for (const target of new Set([...ALWAYS_TMPFS, ...(opts.tmpfs ?? [])])) lines.push(`mount -t tmpfs -o mode=755 tmpfs '${at}${target}'`);
  if (opts.netnsDir) lines.push(`mkdir '${at}/run/netns'`, `mount --move '${dir}/netns' '${at}/run/netns'`, `mount -o remount,bind,ro '${at}/run/netns'`);
  return lines;
}

export class Sandbox {
  private readonly children = new Set<ChildProcess>();
  private stopped = false;

  private constructor(
    readonly dir: string,
    private readonly holder: ChildProcess,
    /** The holder's mount and network namespaces (and root), verified and pinned: fd 3, 4 (and 5) of every command. */
    private readonly ns: PinnedNamespaces,
  ) {}

  /** Whether commands run chrooted into another root filesystem (a process started inside is too). */
  get chrooted(): boolean {
    return this.ns.root;
  }

  /** The namespaces every process of this sandbox lives in (a lab kills only processes in such). */
  get ids(): NsIds {
    return this.ns.ids;
  }

  static start(opts: SandboxOptions): Sandbox {
    const dir = mkdtempSync(join(tmpdir(), `srcroute-sandbox-${process.pid}-`));
    const at = opts.root ? `${dir}/root` : '';
    // chrooted: the whole root is an overlay already; /run still starts empty
    const lines = ['set -eu', ...(opts.root ? chrootLines(dir, opts.root) : []), ...privateLines(dir, opts, at)];
    // the holder reports its namespaces from inside, last (chrooted: from inside the chroot, so
    // the root pinned below is the tree's; written before the chroot, a loaded CI once pinned the
    // host's own root, and a lab ran ifup, install and dhcpcd on the host's /etc, /run and /var/lib)
    writeFileSync(`${dir}/hold`, `${REPORT_IDS} > '${dir}/ready.tmp'\nmv '${dir}/ready.tmp' '${dir}/ready'\nexec sleep 2147483647\n`);
    lines.push(opts.root ? `exec chroot '${at}' sh '${dir}/hold'` : `exec sh '${dir}/hold'`);
    // with the host's /run/netns: a slave of the host's mounts, so a namespace added later appears
    // in it too (nothing made inside ever propagates out, either way)
    const unshare = ['unshare', '--mount', '--propagation', opts.netnsDir ? 'slave' : 'private', '--', 'sh', '-c', lines.join('\n')];
    // its errors to a file: this waits synchronously, so no pipe would be read, nor its exit seen, meanwhile
    const errFd = openSync(`${dir}/stderr`, 'w');
    const holder = spawn('ip', ['netns', 'exec', opts.netns, ...unshare], { stdio: ['ignore', 'ignore', errFd] });
    closeSync(errFd);
    const stderr = () => readFileSync(`${dir}/stderr`, 'utf8').trim();
    const fail = (why: unknown): never => {
      holder.kill('SIGKILL'); // by handle: our own child, not yet reaped, so its PID is still its own
      rmSync(dir, { recursive: true, force: true });
      throw why instanceof Error ? why : new Error(`sandbox did not start: ${String(why)}`);
    };
    const deadline = Date.now() + 10_000;
    while (!existsSync(`${dir}/ready`)) {
      // not reaped yet, a holder that exited is a zombie: alive() says gone
      if (!alive(holder.pid!) || Date.now() > deadline) fail(stderr() || 'timeout');
      spawnSync('sleep', ['0.02']);
    }
    const reported = parseIds(readFileSync(`${dir}/ready`, 'utf8'));
    try {
      if (!reported) throw new Error(`sandbox: the holder reported no namespaces (${stderr()})`);
      return new Sandbox(dir, holder, pinHolder(holder.pid!, reported, opts.netns, opts.root !== undefined));
    } catch (e) {
      return fail(e);
    }
  }

  /** The holder's PID: the one process in the box's namespace that no "reboot" may kill. */
  get holderPid(): number | undefined {
    return this.holder.pid;
  }

  run(argv: readonly string[], opts: RunOptions = {}): RunResult {
    return run(this.ns.enter(argv), { ...opts, fds: this.ns.fds });
  }

  /** Start a long-running program (a daemon in the foreground) inside; stop() ends it. */
  spawn(argv: readonly string[], env: Record<string, string> = {}): ChildProcess {
    const full = this.ns.enter(argv);
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

  /**
   * Kill one spawned child and wait for it to go. By its handle: a child Node has not reaped yet
   * keeps its PID (the kernel reuses none before), and once reaped the handle sends nothing.
   */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }

  /** End every spawned child (SIGTERM, SIGKILL after 5 s) and the holder; remove the temp dir. Again: nothing. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await Promise.all([...this.children].map((c) => this.kill(c)));
    this.stopNow();
  }

  /** stop() at once and synchronously: SIGKILL (by handle) to every spawned child and the holder, waits until each is gone. */
  stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    const all = [...this.children, this.holder];
    for (const c of all) c.kill('SIGKILL');
    // exited (a zombie until Node reaps it), a process has left its namespaces: the mounts go with the last
    const deadline = Date.now() + 5_000;
    const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null && c.pid !== undefined && alive(c.pid);
    while (all.some(running) && Date.now() < deadline) spawnSync('sleep', ['0.01']);
    this.ns.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A process's namespaces held open by descriptor, so that they stay the ones it was started in. */
export interface PinnedNamespaces {
  /** The descriptors, in the order `enter` names them (fd 3, then 4, then 5). */
  fds: readonly number[];
  /** The mount and network namespaces pinned (inodes). */
  ids: NsIds;
  /** Whether the process's root directory is pinned too (it runs chrooted). */
  root: boolean;
  /** nsenter argv through those descriptors, as fd 3, 4 (and 5) of the nsenter process. */
  enter(argv: readonly string[]): string[];
  close(): void;
}

/**
 * Pin holder `pid`'s mount and network namespaces (and its root directory when chrooted), after
 * checking they are the ones it `reported` from inside, that its network namespace is `netns`
 * (compared by inode with /run/netns/NETNS), that its mount namespace is not this process's, and
 * that /etc, /run, /var/lib and /usr/local are overlays or tmpfs in it. A PID that died and was
 * reused, by a process of the host or of another worker's lab, fails the first check.
 */
export function pinHolder(pid: number, reported: NsIds, netns: string, root = false): PinnedNamespaces {
  const fds: number[] = [];
  const refuse = (why: string): never => {
    for (const fd of fds) closeSync(fd);
    throw new Error(`sandbox: process ${pid} ${why}: refusing to run anything there`);
  };
  try {
    fds.push(openSync(`/proc/${pid}/ns/mnt`, 'r'), openSync(`/proc/${pid}/ns/net`, 'r'));
    if (root) fds.push(openSync(`/proc/${pid}/root`, 'r'));
  } catch {
    refuse('is gone (a stale PID)');
  }
  const ids = { mnt: fstatSync(fds[0]!).ino, net: fstatSync(fds[1]!).ino };
  if (ids.mnt !== reported.mnt || ids.net !== reported.net) {
    refuse(`lives in mnt:[${ids.mnt}] net:[${ids.net}], not in mnt:[${reported.mnt}] net:[${reported.net}] its holder reported (a reused PID?)`);
  }
  if (ids.net !== statSync(`/run/netns/${netns}`).ino) refuse(`is not in the network namespace ${netns}`);
  if (ids.mnt === idsOf('self')?.mnt) refuse("is in the host's mount namespace");
  if (root && readlinkSync(`/proc/self/fd/${fds[2]}`) === '/') refuse('is not chrooted (its root is /)');
  const pinned: PinnedNamespaces = {
    fds,
    ids,
    root,
    // the root last: fd 3 + its index
    enter: (argv) => ['nsenter', '--mount=/proc/self/fd/3', '--net=/proc/self/fd/4', ...(root ? ['--root=/proc/self/fd/5'] : []), '--', ...argv],
    close: () => {
      for (const fd of fds) closeSync(fd);
    },
  };
  // the mounts as a process entering through the pinned descriptors sees them
  const r = run(pinned.enter(['cat', '/proc/self/mountinfo']), { fds });
  const exposed = r.code === 0 ? exposedDirs(r.stdout) : [...PRIVATE_DIRS];
  if (exposed.length) refuse(`shares the host's ${exposed.join(', ')} (${r.stderr.trim() || 'not an overlay or tmpfs'})`);
  return pinned;
}
