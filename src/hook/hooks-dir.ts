// Which files in hooks.d run, checked the way dhcpcd's dispatcher checks srcroute's own hook
// (hooks/dhcpcd.exit-hook) and NetworkManager its dispatcher scripts: the directory and each
// script owned by root and writable by nobody else, a script a regular file (a symlink is
// refused: where it points may be anyone's), names as run-parts accepts them. Files that are not
// executable are skipped without a word (run-parts does the same; the installer's README is one).
// Both the hook (is there anything to start?) and the runner (right before each script runs) ask.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** run-parts' default (Debian's --lsbsysinit off): letters, digits, underscore and hyphen. */
const NAME = /^[A-Za-z0-9_-]+$/;

/** Why `stat` may not run as root's script or hold them, or null when it may. */
function unsafe(stat: Stats): string | null {
  if (stat.uid !== 0) return `owned by uid ${stat.uid}, not root`;
  if ((stat.mode & 0o022) !== 0) return `writable by ${(stat.mode & 0o002) !== 0 ? 'everyone' : 'its group'}`;
  return null;
}

export interface Scripts {
  /** The scripts that may run, in name order (full paths). */
  run: string[];
  /** One line for each file refused, and for a directory refused as a whole. */
  refused: string[];
}

/** Why the script at `path` may not run now, '' when it is only not executable, null when it may. */
export function scriptRefusal(path: string): string | null {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 'gone';
  if (stat.isSymbolicLink()) return 'a symlink (copy the script in instead)';
  if (!stat.isFile()) return stat.isDirectory() ? '' : 'not a regular file';
  if ((stat.mode & 0o100) === 0) return '';
  return unsafe(stat);
}

/** The scripts of `dir` that may run, and what was refused; no directory: none. */
export function scriptsIn(dir: string): Scripts {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return { run: [], refused: [] };
  const wrong = !stat.isDirectory() ? 'not a directory' : unsafe(stat);
  if (wrong !== null) return { run: [], refused: [`${dir} refused: ${wrong}; none of its scripts run`] };
  const out: Scripts = { run: [], refused: [] };
  for (const name of readdirSync(dir).sort()) {
    if (!NAME.test(name)) {
      out.refused.push(`${join(dir, name)} refused: its name is not run-parts' (letters, digits, _ and -)`);
      continue;
    }
    const why = scriptRefusal(join(dir, name));
    if (why === null) out.run.push(join(dir, name));
    else if (why !== '') out.refused.push(`${join(dir, name)} refused: ${why}`);
  }
  return out;
}
