// srcroute(8) and srcroute.env(5) as the build wrote them into dist/ (and the release ships):
// the same text build/man-pages.ts makes now from the help texts and the config's keys (so a
// page cannot drift from --help), every option and key in it, clean under groff's warnings, and
// within 80 columns at MANWIDTH=80.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manPages } from '../../build/man-pages.js';
import { COMMAND_NAMES, helpOf } from '../../src/cli.js';
import { KEYS } from '../../src/hook/config.js';
import { requireBundle } from '../support/bundle.js';
import { prerequisites } from '../support/prereq.js';
import { run } from '../support/run.js';

const DIST = join(__dirname, '..', '..', 'dist');
const PAGES = ['srcroute.8', 'srcroute.env.5'];
const ok = prerequisites('man pages', ['man', 'groff']);
const built = (page: string): string => {
  requireBundle(); // says to build when dist/ is missing
  return readFileSync(join(DIST, page), 'utf8');
};
const version = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('man pages', () => {
  it('dist/ holds what build/man-pages.ts makes now from the help texts and KEYS', async () => {
    const date = /^\.TH \S+ \d "(\d{4}-\d\d-\d\d)"/.exec(built('srcroute.8'))?.[1];
    expect(date).toBeDefined();
    const now = await manPages(version, date!);
    for (const page of PAGES) expect(built(page), `${page}: run npm run build`).toBe(now[page]);
  });

  it('srcroute(8) has every section, every command and every option of each', async () => {
    const page = built('srcroute.8');
    const sections = [...page.matchAll(/^\.SH (.*)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'FILES', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']);
    expect([...page.matchAll(/^\.SS (.*)$/gm)].map((m) => m[1])).toEqual(COMMAND_NAMES);
    for (const name of COMMAND_NAMES) {
      const options = [...(await helpOf(name)).matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);
      for (const o of options) expect(page, `${name} ${o}`).toContain(`.TP\n\\fB${o.replace(/-/g, '\\-')}\\fR`);
    }
  });

  it('srcroute.env(5) has every key with its default', () => {
    const page = built('srcroute.env.5');
    for (const [key, { default: value }] of Object.entries(KEYS)) {
      expect(page).toContain(`.BR ${key} =${value === '' ? '' : `\\fI${value}\\fR`}\n`);
    }
  });

  describe.skipIf(!ok)('as man shows them', () => {
    it.each(PAGES)('%s: no groff warning, nothing wider than 80 columns at MANWIDTH=80', (page) => {
      const r = run(['man', '--warnings', '-l', join(DIST, page)], { env: { PATH: process.env.PATH ?? '', MANWIDTH: '80', MAN_KEEP_FORMATTING: '', LANG: 'C.UTF-8' } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^NAME\n/m);
      expect(r.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    });
  });
});
