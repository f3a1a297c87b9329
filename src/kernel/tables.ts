// Routing table names as iproute2 knows them: /etc/iproute2/rt_tables plus rt_tables.d/*.conf
// (and the vendor copies newer iproute2 keeps under /usr/share or /usr/lib). srcroute talks to
// `ip` in numbers only, so names are resolved here, once, for config and for messages.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listDir, readText } from '../shared/files.js';
import { MAIN_TABLE } from './kernel.js';

export const IPROUTE2_DIRS = ['/usr/lib/iproute2', '/usr/share/iproute2', '/etc/iproute2'];

/** Tables srcroute must never take over, by name and number. */
export const RESERVED_TABLES: ReadonlyMap<string, number> = new Map([
  ['unspec', 0],
  ['default', 253],
  ['main', MAIN_TABLE],
  ['local', 255],
]);

/** Parse one rt_tables file: `NUMBER NAME` lines, `#` comments. Later entries win. */
export function parseTableFile(text: string, into: Map<string, number>): void {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#(?:.*)/, '').trim(); // (?:…): no star-slash (see errors.ts oneLine)
    const m = /^(0x[0-9a-fA-F]+|\d+)\s+(\S+)$/.exec(line);
    if (m) into.set(m[2]!, Number(m[1]));
  }
}

/** Every table name registered on this machine (vendor files first, /etc last so it wins). */
export function readTableNames(dirs: readonly string[] = IPROUTE2_DIRS): Map<string, number> {
  const names = new Map<string, number>();
  for (const dir of dirs) {
    // A missing or unreadable file names no table. Most of these dirs are missing (Debian 12 has
    // /etc/iproute2 only): skipped without the two ENOENT exceptions reading them would cost.
    if (!existsSync(dir)) continue;
    const files = [
      join(dir, 'rt_tables'),
      ...listDir(join(dir, 'rt_tables.d'))
        .filter((f) => f.endsWith('.conf'))
        .map((f) => join(dir, 'rt_tables.d', f)),
    ];
    for (const file of files) parseTableFile(readText(file) ?? '', names);
  }
  return names;
}
