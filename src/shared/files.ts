// Small, forgiving file access for everything that looks at optional files (rt_tables, lock
// files, the operator commands' many sources): a missing file is an answer (null / empty /
// false), not an error. And the one atomic write.
import { accessSync, constants, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';

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

/** Replace `path` with `content` atomically: write beside it, then rename; never a half file. */
export function writeAtomic(path: string, content: string, mode = 0o644): void {
  // 'wx' below refuses an existing name, so the suffix needs to be unlikely, not unguessable.
  const tmp = join(dirname(path), `.${path.split('/').pop()}.srcroute-${Math.random().toString(36).slice(2, 10)}`);
  try {
    writeFileSync(tmp, content, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
