// Small, forgiving file access for everything that looks at optional files (rt_tables, lock
// files, the operator commands' many sources): a missing file is an answer (null / empty /
// false), not an error. The one atomic write, and mkdir -p.
import {
  accessSync, closeSync, constants, existsSync, fchmodSync, fchownSync, fsyncSync, mkdirSync, openSync, readdirSync,
  readFileSync, renameSync, rmSync, statSync, writeSync, type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { systemCallError } from './errors.js';

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

export function statOf(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export const exists = (path: string): boolean => existsSync(path);

/** Whether this process may execute `path` (ip, dhcpcd). */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The temp file a write goes through: a fixed name beside the target, so that a rerun (or the uninstaller) finds what a
 * killed run left.
 */
export function tempOf(path: string): string {
  const at = path.lastIndexOf('/');
  return `${path.slice(0, at)}/.${path.slice(at + 1)}.srcroute-new`;
}

/** Make a directory's entries durable (after a create, rename or remove in it). */
export function syncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replace `path` with `content`, `mode` (and `owner`) atomically: written beside it (tempOf),
 * fsynced, renamed over it, the directory fsynced. Killed at any point, `path` is the old file or
 * the new one, never half of one.
 */
export function writeAtomic(
  path: string,
  content: string | Buffer,
  mode = 0o644,
  owner: { uid: number; gid: number } | null = null,
): void {
  const tmp = tempOf(path);
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done);
    if (owner !== null) fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, mode);
    fsyncSync(fd);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/**
 * mkdir -p, mode 0700 for what it makes. Not Node's recursive mkdir: that one loops forever where
 * a directory cannot be made although its parent exists (under /proc, seen here).
 */
export function makeDir(dir: string, depth = 0): void {
  try {
    mkdirSync(dir, 0o700);
  } catch (e) {
    const code = systemCallError(e).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || depth > 16 || dirname(dir) === dir) throw e;
    makeDir(dirname(dir), depth + 1);
    mkdirSync(dir, 0o700);
  }
}
