// systemd-networkd, as far as srcroute cares: is it in use, and will it delete srcroute's rules?
// With ManageForeignRoutingPolicyRules=yes (its default) networkd removes every rule it did not
// create, at start and on reconfiguration; srcroute's rules would vanish until the next lease event.
// networkd reads networkd.conf(.d) only when it starts: a daemon that started before the file that
// says `no` still deletes them (seen on a netplan box), so the files alone do not answer.
import { join } from 'node:path';
import { listDir, readText, statOf } from '../shared/files.js';
import type { Paths } from '../shared/paths.js';
import type { Proc } from './running.js';

export interface NetworkdFacts {
  /** systemd-networkd runs (in our network namespace). */
  running: boolean;
  /** The effective ManageForeignRoutingPolicyRules in the files, and the file that set it (null: the default). */
  manageForeignRules: boolean;
  setIn: string | null;
  /** The running networkd started before `setIn` was last written: it still uses what it read before. */
  startedBeforeConfig: boolean;
}

/** The kernel keeps 15 characters of a process name. */
export const NETWORKD_COMM = 'systemd-network';

/** networkd.conf then its drop-ins: same-named files in later directories win, read by name. */
export function networkdConfFiles(paths: Paths): string[] {
  const byName = new Map<string, string>();
  for (const dir of paths.networkdConfDirs) {
    for (const name of listDir(dir).filter((n) => n.endsWith('.conf'))) byName.set(name, join(dir, name));
  }
  return [paths.networkdConf, ...[...byName.keys()].sort().map((n) => byName.get(n)!)];
}

const YES = /^(1|yes|true|on)$/i;
const NO = /^(0|no|false|off)$/i;

/** The last ManageForeignRoutingPolicyRules= in a [Network] section, over `files` in order. */
export function manageForeignRules(files: readonly { path: string; text: string }[]): {
  value: boolean;
  setIn: string | null;
} {
  let result = { value: true, setIn: null as string | null };
  for (const { path, text } of files) {
    let section = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('[')) section = line;
      const m = /^ManageForeignRoutingPolicyRules\s*=\s*(\S*)$/.exec(line);
      if (section === '[Network]' && m) {
        if (YES.test(m[1]!)) result = { value: true, setIn: path };
        else if (NO.test(m[1]!)) result = { value: false, setIn: path };
      }
    }
  }
  return result;
}

export function readNetworkd(paths: Paths, processes: readonly Proc[]): NetworkdFacts {
  const files = networkdConfFiles(paths).flatMap((path) => {
    const text = readText(path);
    return text === null ? [] : [{ path, text }];
  });
  const { value, setIn } = manageForeignRules(files);
  const daemon = processes.find((p) => p.comm === NETWORKD_COMM);
  const written = setIn === null ? null : (statOf(setIn)?.mtimeMs ?? null);
  return {
    running: daemon !== undefined,
    manageForeignRules: value,
    setIn,
    // a start time is known to 10 ms: only a file written later than that counts
    startedBeforeConfig: daemon !== undefined && written !== null && daemon.startedMs + 10 < written,
  };
}

/** The drop-in that turns the rule cleanup off, for messages and for `srcroute macvlan`. */
export const NETWORKD_DROP_IN = {
  path: '/etc/systemd/networkd.conf.d/srcroute.conf',
  text: '[Network]\nManageForeignRoutingPolicyRules=no\n',
};
