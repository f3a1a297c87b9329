// What srcroute prints for a person fits an 80-column console (a serial console, a Raspberry
// Pi's, `ssh` into a router from a phone): every --help text and the status output (its goldens).
// The top-level help lists the commands in the order a newcomer needs them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, helpOf } from '../../src/cli.js';
import { usage } from '../../src/usage.js';

const GOLDEN = join(__dirname, '..', 'golden');
const tooWide = (text: string): string[] => text.split('\n').filter((line) => line.length > 80);

describe('80 columns', () => {
  it.each(COMMAND_NAMES)('srcroute %s --help', async (name) => {
    expect(tooWide(await helpOf(name))).toEqual([]);
  });

  it('srcroute --help (also the hook\'s)', () => {
    expect(tooWide(usage)).toEqual([]);
  });

  it.each(['status-table.txt', 'status-lab.txt'])('srcroute status: golden %s', (name) => {
    expect(tooWide(readFileSync(join(GOLDEN, name), 'utf8'))).toEqual([]);
  });
});

describe('srcroute --help', () => {
  it('lists every command, install first, then status, check, sync, uninstall, the rest; the hook last', () => {
    const listed = [...usage.matchAll(/^ {2}srcroute (\S+)/gm)].map((m) => m[1]!).filter((w) => !/^[-[]/.test(w) && w !== 'COMMAND');
    expect(listed).toEqual(COMMAND_NAMES);
    expect(COMMAND_NAMES.slice(0, 5)).toEqual(['install', 'status', 'check', 'sync', 'uninstall']);
    const lines = usage.split('\n');
    const hook = lines.findIndex((l) => l.startsWith('  srcroute [--dry-run]'));
    expect(lines.slice(hook + 1).find((l) => /^ {2}srcroute /.test(l))).toBeUndefined();
  });
});
