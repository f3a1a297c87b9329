// Small, forgiving file reads for the operator commands, which look at many optional files:
// a missing file is an answer (null / empty), not an error. And the one atomic write.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
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
