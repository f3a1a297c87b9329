// srcroute(8) and srcroute.env(5), made from what `--help` prints and from the config's keys
// (src/hook/config.ts KEYS), so that a man page cannot say something the program does not:
// build/build.mjs writes them into dist/, build/release.mjs ships them, test/unit/man-pages.test.ts
// renders them again and compares. The help texts follow one layout, which this file reads:
// paragraphs between blank lines; "Usage:" lines first; an "Options:" paragraph of two-space
// indented terms with their text in a column; "Example...:" paragraphs of literal lines; in prose,
// two-space indented lines are a list of terms (or literal lines when they have no column).
import { COMMAND_NAMES, helpOf } from '../src/cli.js';
import { KEYS, defaultConfigText } from '../src/hook/config.js';
import * as layout from '../src/install/layout.js';
import { usage } from '../src/usage.js';

/** Text for roff: backslashes and hyphens escaped, `code` in bold, no line that starts a request. */
export function escape(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/`([^`]+)`/g, '\\fB$1\\fR')
    .replace(/^([.'])/gm, '\\&$1');
}

/** A synopsis or option term: words in bold, UPPERCASE placeholders in italics, brackets roman. */
export function term(text: string): string {
  const placeholder = (w: string): boolean => /^[A-Z][A-Z0-9_.]*$/.test(w.replace(/\\-/g, ''));
  const font = (w: string): string => (placeholder(w) ? `\\fI${w}\\fR` : w === '|' ? w : `\\fB${w}\\fR`);
  return escape(text).replace(/[A-Za-z0-9_./:=*|\\-]+/g, font);
}

interface Entry {
  term: string;
  text: string[];
}

/** Two-space indented lines as terms with their text (`  TERM  text`, continued further in); null when they are not. */
function entries(lines: readonly string[]): Entry[] | null {
  const out: Entry[] = [];
  for (const line of lines) {
    const head = /^ {2}(\S.*?)(?: {2,}(\S.*))?$/.exec(line);
    if (head && !/^ {3}/.test(line)) out.push({ term: head[1]!, text: head[2] ? [head[2]] : [] });
    else if (out.length > 0 && /^ {4,}\S/.test(line)) out.at(-1)!.text.push(line.trim());
    else return null;
  }
  return out.every((e) => e.text.length > 0 || out.length === 1) ? out : null;
}

const list = (es: readonly Entry[]): string[] => es.flatMap((e) => ['.TP', term(e.term), ...e.text.map(escape)]);
const literal = (lines: readonly string[]): string[] => ['.PP', '.nf', ...lines.map(escape), '.fi'];

/** A prose paragraph: runs of plain lines (filled) and of indented lines (a list, or literal). */
function prose(lines: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const indented = lines[i]!.startsWith('  ');
    let j = i;
    while (j < lines.length && lines[j]!.startsWith('  ') === indented) j++;
    const run = lines.slice(i, j);
    if (!indented) out.push('.PP', ...run.map(escape));
    else out.push(...(entries(run) ? ['.RS', ...list(entries(run)!), '.RE'] : literal(run)));
    i = j;
  }
  return out;
}

const paragraphs = (text: string): string[][] => text.split(/\n\n+/).map((p) => p.split('\n'));

/** A command's help: its synopsis lines, and the rest as roff (prose, options, example). */
export function command(help: string): { synopsis: string[]; body: string[] } {
  const [usageLines, ...rest] = paragraphs(help);
  const synopsis: string[] = [];
  for (const line of usageLines!) {
    const t = line.replace(/^Usage:/, '').trim();
    if (t.startsWith('srcroute')) synopsis.push(t);
    else synopsis[synopsis.length - 1] += ` ${t}`;
  }
  const body = rest.flatMap((p) => {
    if (p[0] === 'Options:') return ['.PP', 'Options:', ...list(entries(p.slice(1)) ?? [])];
    if (/^Examples?\b.*:$/.test(p[0]!)) return ['.PP', escape(p[0]!), ...literal(p.slice(1)).slice(1)];
    return prose(p);
  });
  return { synopsis, body };
}

const header = (name: string, section: number, version: string, date: string, title: string): string[] => [
  `.TH ${name.toUpperCase()} ${section} "${date}" "srcroute ${version}" "${title}"`,
  '.ad l',
  '.nh',
];

/** The top-level help's paragraphs by their label ("What it does:", "Exit status:", ...). */
function labelled(text: string, label: string): string[] {
  const p = paragraphs(text).find((lines) => lines[0]!.startsWith(label));
  if (!p) throw new Error(`srcroute --help has no "${label}" paragraph`);
  const first = p[0]!.slice(label.length).trim();
  return [first.charAt(0).toUpperCase() + first.slice(1), ...p.slice(1)].filter((l) => l !== '');
}

const FILES: readonly (readonly [string, string])[] = [
  [`${layout.CONF_DIR}/srcroute.env`, 'the defaults for every interface (srcroute.env(5))'],
  [`${layout.CONF_DIR}/IFACE.env`, 'one interface\'s settings, over the defaults'],
  [`${layout.HOOK_DIR}/IFACE.exit-hook`, 'the hook dhcpcd runs for IFACE (and the dhclient shim for it)'],
  [layout.DISPATCHER, 'dhcpcd\'s exit hook: srcroute\'s marked block runs the per-interface hook'],
  [layout.SHIM, 'the shim that runs it under ISC dhclient'],
  [layout.ENTER, 'keeps dhclient from putting the lease\'s default route into main'],
  [layout.TABLES, 'the routing table names (pub = 123, pub1, ...)'],
  [layout.PROTOS, 'the protocol name: ip rule shows "proto srcroute"'],
  [layout.DROP_IN, 'lets Debian\'s dhcpcd.service hooks write /run/srcroute'],
  [layout.SBIN, 'the command, when installed from a clone or the tarball'],
  [layout.INSTALLED_LIST, 'what srcroute install wrote, for srcroute uninstall'],
];

const files = (fs: readonly (readonly [string, string])[]): string[] =>
  fs.flatMap(([path, what]) => ['.TP', `.I ${escape(path)}`, escape(what)]);

function srcroute8(helps: readonly (readonly [string, string])[], version: string, date: string): string {
  const commands = helps.map(([name, help]) => ({ name, ...command(help) }));
  const top = entries(paragraphs(usage).find((p) => p[0] === 'Usage:')!.slice(1))!;
  const options = top.filter((e) => !COMMAND_NAMES.includes(e.term.split(' ')[1] ?? ''));
  const example = labelled(usage, 'Example');
  return [
    ...header('srcroute', 8, version, date, 'System Administration'),
    '.SH NAME',
    `srcroute \\- ${escape(usage.split('\n')[0]!.replace(/^srcroute: /, ''))}`,
    '.SH SYNOPSIS',
    ...[...commands.flatMap((c) => c.synopsis), ...options.map((o) => o.term)].flatMap((s) => ['.PP', term(s)]),
    '.SH DESCRIPTION',
    ...prose(labelled(usage, 'What it does:')),
    '.SH OPTIONS',
    ...list(options),
    '.SH COMMANDS',
    ...commands.flatMap((c) => [`.SS ${c.name}`, ...c.synopsis.flatMap((s) => ['.PP', term(s)]), ...c.body]),
    '.SH FILES',
    ...prose(labelled(usage, 'Configuration:')),
    ...files(FILES),
    '.SH EXIT STATUS',
    ...prose(labelled(usage, 'Exit status:')),
    '.SH EXAMPLES',
    '.PP',
    escape(example[0]!.replace(/^\((.*)\):$/, '$1:').replace(/^./, (c) => c.toUpperCase())),
    ...literal(example.slice(1)).slice(1),
    '.SH SEE ALSO',
    '.BR srcroute.env (5),',
    '.BR ip\\-rule (8),',
    '.BR ip\\-route (8),',
    '.BR dhcpcd (8),',
    '.BR dhclient\\-script (8);',
    'README.md (in /usr/share/doc/srcroute with the Debian package)',
    '',
  ].join('\n');
}

function srcrouteEnv5(configHelp: string, version: string, date: string): string {
  const intro = defaultConfigText().split('\n\n')[0]!.split('\n').map((l) => l.replace(/^# ?/, ''));
  const keys = Object.entries(KEYS).flatMap(([key, { default: value, help }]) => [
    '.TP',
    `.BR ${key} =${value === '' ? '' : `\\fI${escape(value)}\\fR`}`,
    ...help.map(escape),
  ]);
  const example = paragraphs(configHelp).find((p) => /^Example/.test(p[0]!))!.slice(1);
  return [
    ...header('srcroute.env', 5, version, date, 'File Formats'),
    '.SH NAME',
    'srcroute.env \\- srcroute\'s configuration',
    '.SH SYNOPSIS',
    `.I ${layout.CONF_DIR}/srcroute.env`,
    '.br',
    `.I ${layout.CONF_DIR}/IFACE.env`,
    '.SH DESCRIPTION',
    '.PP',
    ...intro.map(escape),
    escape('Each line is KEY=value; # starts a comment. A key that is not set takes the default shown below'),
    escape('(what `srcroute config --defaults` prints, commented out).'),
    '.SH OPTIONS',
    ...keys,
    '.SH FILES',
    ...files(FILES.slice(0, 2)),
    '.SH EXAMPLES',
    ...literal(example),
    '.SH SEE ALSO',
    '.BR srcroute (8)',
    '',
  ].join('\n');
}

/** Both pages by file name, for `version` dated `date` (YYYY-MM-DD). */
export async function manPages(version: string, date: string): Promise<Record<string, string>> {
  const helps = await Promise.all(COMMAND_NAMES.map(async (name) => [name, await helpOf(name)] as const));
  return {
    'srcroute.8': srcroute8(helps, version, date),
    'srcroute.env.5': srcrouteEnv5(helps.find(([n]) => n === 'config')![1], version, date),
  };
}
