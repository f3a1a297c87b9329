// Which namespaces a process lives in, by inode, and the checks the test sandboxes make with it.
// A PID names a process only until it exits: the kernel hands the number to the next process, and
// twice last month a lab acted on a PID whose holder had died (it entered the host's mount
// namespace, then rewrote the host's /etc and /run). So the labs never trust a PID alone: a
// holder reports its own mount and network namespaces from inside (REPORT_IDS), the lab compares
// that with the inodes of /proc/PID/ns/mnt and /proc/PID/ns/net, and every signal the lab sends
// to a PID it did not start directly goes only after those inodes were found to be the lab's.
// "Not the test process's own namespace" is no proof: another worker's lab passes it.
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';

/** A mount namespace and a network namespace, by inode (stat of /proc/PID/ns/mnt and /proc/PID/ns/net). */
export interface NsIds {
  readonly mnt: number;
  readonly net: number;
}

/** The namespaces `pid` lives in now; undefined once it is gone. */
export function idsOf(pid: number | 'self'): NsIds | undefined {
  try {
    return { mnt: statSync(`/proc/${pid}/ns/mnt`).ino, net: statSync(`/proc/${pid}/ns/net`).ino };
  } catch {
    return undefined;
  }
}

export function sameIds(a: NsIds, b: NsIds): boolean {
  return a.mnt === b.mnt && a.net === b.net;
}

/** Shell line a holder runs last, from inside its namespaces: prints `ids MNT NET`. */
export const REPORT_IDS = 'echo "ids $(stat -L -c %i /proc/self/ns/mnt) $(stat -L -c %i /proc/self/ns/net)"';

/** The ids a REPORT_IDS line printed, or undefined when `text` holds none. */
export function parseIds(text: string): NsIds | undefined {
  const m = /^ids (\d+) (\d+)$/m.exec(text);
  return m ? { mnt: Number(m[1]), net: Number(m[2]) } : undefined;
}

/** Send `signal` to `pid` only when `ok` holds for its namespaces read just now. Returns whether it was sent. */
export function signalIf(pid: number, ok: (ids: NsIds) => boolean, signal: NodeJS.Signals): boolean {
  if (pid <= 1 || pid === process.pid) return false;
  const ids = idsOf(pid);
  if (!ids || !ok(ids)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // gone since
  }
}

/**
 * Send `signal` to `pid` only when its namespaces (read just now) are one of `trusted`: a PID that
 * was reused by a process of the host or of another lab is left alone. Returns whether it was sent.
 */
export function signalIfOurs(pid: number, trusted: readonly NsIds[], signal: NodeJS.Signals = 'SIGKILL'): boolean {
  return signalIf(pid, (ids) => trusted.some((t) => sameIds(t, ids)), signal);
}

/** SIGKILL `pid` only when its network namespace (read just now) is `net`: a crashed lab's leftovers. */
export function killIfInNet(pid: number, net: number): boolean {
  return signalIf(pid, (ids) => ids.net === net, 'SIGKILL');
}

/**
 * Whether mount namespace `mnt`, which `pid` lives in, holds an overlay whose upper dir lies in one
 * of `dirs` (sandboxes' temp dirs): a mount namespace copied from a sandbox's, as a unit's
 * `unshare --mount` makes one inside it (fake-systemctl.sh). No process of the host or of another
 * lab holds those overlays. Read by entering the namespace (`nsenter --mount`, through a
 * descriptor checked to be `mnt`): /proc/PID/mountinfo of a chrooted process, as dhcpcd's
 * privilege-separated helpers are, lists none of the mounts outside its root.
 */
export function holdsOverlayOf(pid: number, mnt: number, dirs: readonly string[]): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/ns/mnt`, 'r');
    if (fstatSync(fd).ino !== mnt) return false;
    const r = spawnSync('nsenter', ['--mount=/proc/self/fd/3', '--', 'cat', '/proc/self/mountinfo'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore', fd], timeout: 10_000,
    });
    return r.status === 0 && dirs.some((d) => r.stdout.includes(`upperdir=${d}/`));
  } catch {
    return false; // gone
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What a lab process must never see of the host: each is an overlay or a tmpfs of the sandbox's own. */
export const PRIVATE_DIRS: readonly string[] = ['/etc', '/run', '/var/lib', '/usr/local'];

/** Unescape a mountinfo path (`\040` is a space). */
const unescape = (p: string): string => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Of `dirs`, those a process with this /proc/self/mountinfo would see on anything but an overlay
 * or a tmpfs. Mounts are listed in the order they were made; one made at a path hides those made
 * before at or below it; what covers a path is the visible mount at the longest path above it.
 */
export function exposedDirs(mountinfo: string, dirs: readonly string[] = PRIVATE_DIRS): string[] {
  const under = (path: string, at: string) => at === '/' || path === at || path.startsWith(`${at}/`);
  let visible: { at: string; fstype: string }[] = [];
  for (const line of mountinfo.split('\n').filter(Boolean)) {
    const [left = '', right = ''] = line.split(' - ');
    const m = { at: unescape(left.split(' ')[4] ?? ''), fstype: right.split(' ')[0] ?? '' };
    visible = [...visible.filter((v) => !under(v.at, m.at)), m];
  }
  return dirs.filter((dir) => {
    const cover = visible.filter((m) => under(dir, m.at)).sort((a, b) => b.at.length - a.at.length)[0];
    return cover?.fstype !== 'overlay' && cover?.fstype !== 'tmpfs';
  });
}

/** Whether process `pid` is alive (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
