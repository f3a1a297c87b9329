// Debian's dhcpcd.service, as far as srcroute cares: its hooks run inside the unit's sandbox
// (test/units/debian-12/dhcpcd.service, package dhcpcd 9.4.1-24~deb12u5). Three of its
// settings decide whether srcroute can run there at all: MemoryDenyWriteExecute=yes (a seccomp
// filter: a node that JITs aborts before running a line, so hooks need --jitless),
// ProtectHome=yes (/home, /root and /run/user are empty: a node from nvm is not there) and
// ProtectSystem=strict (/run is read-only: the lock directory must be a ReadWritePaths=, which
// the installer's drop-in adds). Read the way systemd does: the unit file from the directory that
// wins, then its drop-ins by file name, the last assignment of a key winning.
import { join } from 'node:path';
import { listDir, readText, statOf } from '../shared/files.js';
import { systemPaths, type Paths } from '../shared/paths.js';

export const SERVICE = 'dhcpcd.service';
/** Where the hooks' lock files go, as the unit must let them write it (install/layout.ts STATE_DIR). */
export const LOCK_DIR = systemPaths().state;
/** What ProtectHome=yes hides: install refuses a node there, check says so of one found there. */
export const HOME_DIRS = ['/home', '/root', '/run/user'] as const;

export interface ServiceFacts {
  /** The unit file systemd would load. */
  unit: string;
  /** The JIT is denied: hooks need node --jitless. */
  noJit: boolean;
  /** /home, /root and /run/user are hidden from hooks. */
  hidesHome: boolean;
  /** /run is read-only for hooks (ProtectSystem=strict)... */
  readOnlyRun: boolean;
  /** ...and these stay writable (ReadWritePaths=, `-` and `+` prefixes dropped). */
  writable: string[];
  /** The drop-in written last, and when: a dhcpcd.service started before it does not have it yet. */
  newestDropIn: { path: string; writtenMs: number } | null;
}

const YES = /^(1|yes|true|on)$/i;

/** The [Service] assignments of unit + drop-ins, in order; an empty value resets a list. */
export function serviceSettings(texts: readonly string[]): Omit<ServiceFacts, 'unit' | 'newestDropIn'> {
  const last = new Map<string, string>();
  let writable: string[] = [];
  for (const text of texts) {
    let section = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('[')) section = line;
      const m = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
      if (section !== '[Service]' || !m) continue;
      const [, key, value] = m as unknown as [string, string, string];
      if (key === 'ReadWritePaths')
        writable = value === '' ? [] : [...writable, ...value.split(/\s+/).map((p) => p.replace(/^[-+]+/, ''))];
      else last.set(key, value);
    }
  }
  const protectHome = last.get('ProtectHome') ?? 'no';
  return {
    noJit: YES.test(last.get('MemoryDenyWriteExecute') ?? 'no'),
    hidesHome: YES.test(protectHome) || protectHome === 'tmpfs',
    readOnlyRun: last.get('ProtectSystem') === 'strict',
    writable,
  };
}

/** dhcpcd.service as systemd would load it, or null when it is not installed. */
export function readService(paths: Paths): ServiceFacts | null {
  let unit: string | null = null;
  const dropIns = new Map<string, string>();
  for (const dir of paths.systemdUnitDirs) {
    if (readText(join(dir, SERVICE)) !== null) unit = join(dir, SERVICE);
    for (const name of listDir(join(dir, `${SERVICE}.d`)).filter((n) => n.endsWith('.conf')))
      dropIns.set(name, join(dir, `${SERVICE}.d`, name));
  }
  if (unit === null) return null;
  const files = [unit, ...[...dropIns.keys()].sort().map((n) => dropIns.get(n)!)];
  const written = [...dropIns.values()]
    .map((path) => ({ path, writtenMs: statOf(path)?.mtimeMs ?? 0 }))
    .sort((a, b) => b.writtenMs - a.writtenMs);
  return { unit, ...serviceSettings(files.map((f) => readText(f) ?? '')), newestDropIn: written[0] ?? null };
}

/** The directory `path` is under, among those ProtectHome=yes hides; null when none. */
export function hiddenHome(path: string): string | null {
  return HOME_DIRS.find((d) => path.startsWith(`${d}/`)) ?? null;
}
