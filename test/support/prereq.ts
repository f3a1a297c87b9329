// Integration tests need root and real programs. Outside CI a missing prerequisite skips the
// suite and prints why; under CI=true it throws, so CI can never go green by skipping.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Need = 'root' | string;

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable on PATH or in the usual system directories, or null. */
export function which(cmd: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SYSTEM_PATH].filter(Boolean);
  for (const dir of dirs) {
    const path = join(dir, cmd);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

/** What is missing among `needs`: 'root', command names looked up with `which`, absolute paths of files. */
export function missing(needs: readonly Need[]): string[] {
  return needs.filter((need) =>
    need === 'root' ? process.getuid?.() !== 0 : need.startsWith('/') ? !existsSync(need) : which(need) === null,
  );
}

/**
 * True when every need is met. Otherwise: under CI=true throw (the suite fails), elsewhere print
 * the reason and return false so the caller can `describe.skipIf(!ok)`.
 */
export function prerequisites(suite: string, needs: readonly Need[]): boolean {
  const lacking = missing(needs);
  if (lacking.length === 0) return true;
  const why = `${suite}: missing prerequisite(s): ${lacking.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${why} (required under CI=true)`);
  console.warn(`SKIP ${why}`);
  return false;
}
