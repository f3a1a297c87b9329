// The docs name commands, options, npm scripts and files; each must point at something that
// exists, or a newcomer following README.md or docs/*.md hits "unknown argument" or a dead link.
// Checked, in the code of each page (code spans, indented and fenced blocks):
//   - `srcroute WORD`: WORD is one of the commands in src/cli.ts's table;
//   - an option in the same command (up to `&&`, `|`, `;`, `#` or a parenthesis) is in that
//     command's own --help (the hook's: srcroute --help); `./install.sh`'s options in its --help;
//   - a code span that is only an option (`--dry-run`) is in some srcroute --help or install.sh's;
//   - `npm run X`: X is a script in package.json;
// and, anywhere on the page, repository paths (src/, test/, build/, docs/, hooks/, bench/, demo/,
// .ci/run) and relative link targets exist. The help texts come from main(), as the CLI prints them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

const REPO = join(__dirname, '..', '..');
const read = (rel: string): string => readFileSync(join(REPO, rel), 'utf8');

/**
 * Names the docs may use before the code has them: work merged in parallel. Each entry says whose
 * work it waits for; remove it when that lands (the test then checks the name like any other).
 */
const PENDING: readonly { where: string; name: string; why: string }[] = [];
const pending = (where: string, name: string): boolean =>
  PENDING.some((p) => (p.where === where || where === '*') && p.name === name);

/** Paths that a command writes, so a fresh clone does not hold them. */
const GENERATED = ['bench/results/'];

const DOCS = readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md'));
const PAGES = ['README.md', ...DOCS.map((f) => `docs/${f}`)];

/** A page's code: fenced and indented blocks line by line, and code spans (which may wrap). */
function codeOf(text: string): string[] {
  const code: string[] = [];
  const prose: string[] = [];
  let fenced = false;
  let previousBlank = true;
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    inBlock = fenced || (/^ {4}/.test(line) && (previousBlank || inBlock)) || (inBlock && line.trim() === '');
    (inBlock ? code : prose).push(line);
    previousBlank = line.trim() === '';
  }
  const spans = [...prose.join('\n').matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, ' '));
  return [...code, ...spans];
}

/** The commands in src/cli.ts's table (`name: { operator: ...`), the hook's entry left out. */
function commandNames(): string[] {
  return [...read('src/cli.ts').matchAll(/^ {2}(\w+): \{ operator: /gm)].map((m) => m[1]!).filter((n) => n !== 'hook');
}

async function helpOf(args: string[]): Promise<string> {
  const out: string[] = [];
  const code = await main([...args, '--help'], {}, { out: (l) => out.push(l), err: () => {}, uid: 0 });
  expect(code).toBe(0);
  return out.join('\n');
}

const optionsIn = (text: string): string[] => [...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
const mentions = (help: string, option: string): boolean => new RegExp(`(?<![\\w-])${option}(?![\\w-])`).test(help);

/** One command of a code line: its words, without `sudo`, `$ ` prompts and VAR=value prefixes. */
function commandsIn(code: string): string[][] {
  return code
    .split(/&&|\|\||[|;()]|\$\(|#.*$/)
    .map((segment) => segment.trim().split(/\s+/).filter(Boolean))
    .map((words) => {
      const prefix = (w: string | undefined) => w === 'sudo' || w === '$' || /^[A-Z_]+=/.test(w ?? '');
      while (words.length > 0 && prefix(words[0])) words.shift();
      return words;
    })
    .filter((words) => words.length > 0);
}

interface Use {
  page: string;
  kind: 'command' | 'option' | 'script' | 'path' | 'link';
  where: string;
  name: string;
}

/** Everything a page names that must exist. */
function usesOf(page: string, text: string): Use[] {
  const uses: Use[] = [];
  const add = (kind: Use['kind'], where: string, name: string) => uses.push({ page, kind, where, name });
  for (const code of codeOf(text)) {
    if (/^--[a-z]/.test(code)) add('option', '*', optionsIn(code)[0]!);
    for (const words of commandsIn(code)) {
      const [program, first] = words;
      if (program === 'srcroute') {
        const word = /^[a-z][a-z0-9-]*:?$/.test(first ?? '') ? first!.replace(/:$/, '') : null;
        if (word !== null) add('command', '', word);
        for (const option of optionsIn(words.join(' '))) add('option', word ?? 'hook', option);
      }
      if (program === './install.sh' || program === 'install.sh') {
        for (const option of optionsIn(words.join(' '))) add('option', 'install.sh', option);
      }
      if (program === 'npm' && first === 'run' && words[2] !== undefined) add('script', '', words[2]);
    }
  }
  const roots = /(?<![\w./-])((?:src|test|build|docs|hooks|bench|demo)\/[\w./@-]*[\w/]|\.ci\/run)/g;
  for (const m of text.matchAll(roots)) add('path', '', m[1]!);
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split('#')[0]!;
    if (target === '' || /^[a-z]+:/.test(target)) continue;
    add('link', '', relative(REPO, join(REPO, dirname(page), target)));
  }
  return uses;
}

describe('what the docs name exists', async () => {
  const names = commandNames();
  const helps = new Map<string, string>([['hook', await helpOf([])]]);
  for (const name of names) helps.set(name, await helpOf([name]));
  // install.sh hands every option it does not read itself to `srcroute install` or `uninstall`
  const installSh = [read('install.sh'), helps.get('install') ?? '', helps.get('uninstall') ?? ''].join('\n');
  const everyHelp = [...helps.values(), installSh].join('\n');
  /** The help an option must appear in: a command's, install.sh's, or (`*`) any of them. */
  const helpFor = (where: string): string =>
    where === '*' ? everyHelp : where === 'install.sh' ? installSh : helps.get(where) ?? '';
  const scripts = Object.keys(JSON.parse(read('package.json')).scripts as Record<string, string>);

  it('reads the command table and the pages', () => {
    expect(names).toEqual(expect.arrayContaining(['install', 'uninstall', 'status', 'check', 'sync']));
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'docs/how-it-works.md']));
  });

  /** Whether a use points at something real, and what it found otherwise. */
  const CHECKS: Record<Use['kind'], (u: Use) => boolean> = {
    command: (u) => names.includes(u.name),
    option: (u) => ['--help', '--version'].includes(u.name) || mentions(helpFor(u.where), u.name),
    script: (u) => scripts.includes(u.name),
    path: (u) => existsSync(join(REPO, u.name)) || GENERATED.some((g) => u.name.startsWith(g)),
    link: (u) => existsSync(join(REPO, u.name)),
  };

  const uses = PAGES.flatMap((page) => usesOf(page, read(page)));
  it('finds something to check on every page', () => {
    for (const page of PAGES) expect(uses.filter((u) => u.page === page).length, page).toBeGreaterThan(0);
  });

  const seen = new Set<string>();
  for (const use of uses) {
    const key = `${use.page} ${use.kind} ${use.where} ${use.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    it(`${use.page}: ${use.kind} ${use.where ? `${use.where} ` : ''}${use.name}`, () => {
      if (use.kind === 'option' && pending(use.where, use.name)) return;
      const what = `${use.page} names ${use.kind} ${use.name}${use.where ? ` (${use.where})` : ''}`;
      expect(CHECKS[use.kind](use), what).toBe(true);
    });
  }

  it('the pending names are still pending (remove an entry once its work has landed)', () => {
    for (const p of PENDING) {
      expect(mentions(helpFor(p.where), p.name), `${p.where} ${p.name} exists now: remove it from PENDING`).toBe(false);
    }
  });
});

describe('the checker itself', () => {
  it.each([
    ['sudo srcroute install --parent eth0 eth0v0', [['srcroute', 'install', '--parent', 'eth0', 'eth0v0']]],
    ['srcroute sync eth0v0   # runs: ip rule add', [['srcroute', 'sync', 'eth0v0']]],
    ['a "$(srcroute mac eth0v0)"', [['a', '"'], ['srcroute', 'mac', 'eth0v0'], ['"']]],
    ['$ FOO=1 srcroute check || echo no', [['srcroute', 'check'], ['echo', 'no']]],
  ])('splits %j into commands', (code, expected) => {
    expect(commandsIn(code)).toEqual(expected);
  });

  it.each([
    ['`srcroute frobnicate`', 'command', 'frobnicate'],
    ['    sudo srcroute install --frob eth0v0', 'option', '--frob'],
    ['`--frob`', 'option', '--frob'],
    ['run `npm run frob`', 'script', 'frob'],
    ['see src/no/such/file.ts', 'path', 'src/no/such/file.ts'],
    ['[x](no-such.md)', 'link', 'docs/no-such.md'],
  ])('takes %j as a %s to check', (text, kind, name) => {
    expect(usesOf('docs/x.md', `\n${text}\n`)).toContainEqual(expect.objectContaining({ kind, name }));
  });

  it('ignores prose, log lines and foreign paths', () => {
    const text = [
      'srcroute makes rules.', '', '    srcroute[eth0v0] BOUND: rule added', '',
      '`/usr/lib/dhcpcd/dhcpcd-hooks/` `/etc/srcroute/hooks.d/`',
    ].join('\n');
    expect(usesOf('README.md', text)).toEqual([]);
  });
});
