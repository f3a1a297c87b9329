// Serialises srcroute runs that touch the same table: two hooks for one interface can overlap
// (a slow hook and a fast renumber), and each must read-decide-write alone. The lock is a file
// created whole (a written file hard-linked into place) in the state dir (/run/srcroute), named
// for the table and the network namespace (routing tables belong to a namespace, so does the
// lock). Taking it costs a few syscalls; an abstract unix socket, tried first, cost ~5 ms of
// Node's net machinery per event.
// Stale rule: a lock whose holder is gone (killed mid-run), or older than any run can last, is
// broken. Waiting is bounded: dhcpcd is blocked while we wait. Without a usable state dir the
// run goes on unlocked and says so: routing the lease matters more than the rare race.
import {
  closeSync, linkSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { SystemError, errorCode, systemCallError } from '../shared/errors.js';
import { makeDir, readText } from '../shared/files.js';

export interface LockOptions {
  timeoutMs: number;
  /** Told when the lock cannot be used at all (state dir missing or read-only). */
  warn: (message: string) => void;
}

export type Locker = <T>(name: string, options: LockOptions, critical: () => Promise<T>) => Promise<T>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM';
  }
}

/** Held by a process that is gone, or for longer than a run can take (its pid was reused). */
function isStale(path: string, content: string, maxAgeMs: number): boolean {
  const pid = Number(content.split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return true;
  try {
    return Date.now() - statSync(path).mtimeMs > maxAgeMs;
  } catch {
    return false; // gone meanwhile: the next attempt will tell
  }
}

/** Move a stale lock aside; if it turns out to be a fresh one after all, put it back. */
function breakStale(path: string, judged: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // somebody else broke it first
  }
  if (readText(aside) !== judged) {
    try {
      linkSync(aside, path);
    } catch {
      // a newer lock is already in place
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
}

/** The network namespace's inode, so that runs in different namespaces never wait for each other. */
function netnsTag(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1] ?? 'host';
  } catch {
    return 'host';
  }
}

/**
 * Create the lock file with its content in one step: written beside it, then hard-linked into
 * place (link(2) fails if the name exists). A lock created empty and written afterwards could be
 * judged stale by a waiter in between, and broken under its holder (seen under load).
 */
function claim(path: string, token: string): boolean {
  const mine = `${path}.${process.pid}.new`;
  const fd = openSync(mine, 'w', 0o600);
  try {
    writeSync(fd, token);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(mine, path);
    return true;
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(mine);
  }
}

/** Locks as files in `dir` (created 0700 if missing). */
export function fileLocker(dir: string): Locker {
  return async <T>(name: string, { timeoutMs, warn }: LockOptions, critical: () => Promise<T>): Promise<T> => {
    const path = join(dir, `${name}.netns-${netnsTag()}.lock`);
    const token = `${process.pid} ${Math.random().toString(36).slice(2)}\n`;
    const deadline = Date.now() + timeoutMs;
    const unusable = (e: unknown): Promise<T> => {
      warn(`cannot lock ${path} (${systemCallError(e).code}); going on without the lock`);
      return critical();
    };
    // The dir is made when the first claim finds it missing: asking mkdir first would cost every
    // run an EEXIST exception (~0.05 ms jitless) for a dir that tmpfiles.d or the last run made.
    let made = false;
    for (;;) {
      try {
        if (claim(path, token)) break;
      } catch (e) {
        if (made || errorCode(e) !== 'ENOENT') return unusable(e);
        try {
          makeDir(dir);
        } catch (e2) {
          return unusable(e2);
        }
        made = true;
        continue;
      }
      const held = readText(path);
      if (held !== null && isStale(path, held, 2 * timeoutMs + 10_000)) breakStale(path, held);
      else if (Date.now() >= deadline)
        throw new SystemError(`another srcroute run held ${path} for ${timeoutMs / 1000}s`);
      else await sleep(2 + Math.random() * 8);
    }
    try {
      return await critical();
    } finally {
      if (readText(path) === token) {
        try {
          unlinkSync(path);
        } catch {
          // gone already
        }
      }
    }
  };
}
