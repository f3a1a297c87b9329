// Makes the release files from the bundles `npm run build` made (`npm run release` runs both), for
// a box with Node and no npm, compiler or registry (an install offline, from the release alone):
//   srcroute-VERSION.tar.gz   srcroute-VERSION/{install.sh, dist/srcroute.cjs, dist/hook.cjs,
//                             dist/srcroute.8, dist/srcroute.env.5 (`man dist/srcroute.8`),
//                             hooks/, README.md, docs/, LICENSE}: `sudo ./install.sh --parent eth0 eth0v0`
//                             runs from it as from a clone (install.sh builds only without dist/)
//   srcroute_VERSION_all.deb  the same tree in /usr/lib/srcroute, /usr/sbin/srcroute a link to
//                             its bundle, the man pages build/build.mjs made (build/man-pages.ts),
//                             the docs Debian policy asks for, README.md and docs/ (whose links the
//                             README follows) in /usr/share/doc/srcroute, build/debian's
//                             control file and maintainer scripts; built with dpkg-deb
// into OUTDIR (default dist/release). Reproducible: every mtime is SOURCE_DATE_EPOCH (default:
// the last commit's time), entries sorted by name, owned by root:root, modes set here, gzip -n.
// It does not build: tests package the bundles other test files are reading at the same time.
import { spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';

const repo = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const out = process.argv[2] ?? join(repo, 'dist', 'release');
const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));

function runOk(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`release: ${argv[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`release: ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const die = (msg) => {
  console.error(`release: ${msg}`);
  process.exit(1);
};

const epoch = process.env.SOURCE_DATE_EPOCH ?? runOk(['git', '-C', repo, 'log', '-1', '--format=%ct']).trim();
if (!/^\d+$/.test(epoch)) die(`SOURCE_DATE_EPOCH '${epoch}' is not a number of seconds`);
/** The man pages by section: the build makes them from the help texts (build/man-pages.ts). */
const MAN_PAGES = [['srcroute.8', 8], ['srcroute.env.5', 5]];
for (const f of ['dist/srcroute.cjs', 'dist/hook.cjs', ...MAN_PAGES.map(([page]) => `dist/${page}`)]) {
  if (!existsSync(join(repo, f))) die(`${f} is missing: run \`npm run build\` first (\`npm run release\` does)`);
}
// The Debian changelog's newest entry is the version being released (one place: package.json).
const logVersion = /^srcroute \(([^)]+)\)/.exec(readFileSync(join(repo, 'build/debian/changelog'), 'utf8'))?.[1];
if (logVersion !== version)
  die(`build/debian/changelog's newest entry is ${logVersion}, package.json says ${version}: add an entry`);

/** The tree install.sh runs from: what the tarball holds, and the .deb's /usr/lib/srcroute. */
const PROGRAM = [
  ['install.sh', 0o755],
  ['dist/srcroute.cjs', 0o755],
  ['dist/hook.cjs', 0o755],
  ...readdirSync(join(repo, 'hooks')).sort().map((f) => [`hooks/${f}`, 0o644]),
];
/** docs/, which the README links to: beside it in the tarball and in /usr/share/doc/srcroute. */
const DOCS = readdirSync(join(repo, 'docs'), { recursive: true })
  .map((f) => `docs/${f}`)
  .filter((f) => statSync(join(repo, f)).isFile())
  .sort();

function put(dir, rel, content, mode) {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
}
const copyProgram = (dir) => PROGRAM.forEach(([rel, mode]) => put(dir, rel, readFileSync(join(repo, rel)), mode));
const gzip = (path) => runOk(['gzip', '-9nf', path]);

/** Directories 755, every mtime the epoch (links too: lutimes through touch -h). */
function normalize(dir) {
  const t = Number(epoch);
  const walk = (p) => {
    const st = lstatSync(p);
    if (st.isDirectory()) {
      chmodSync(p, 0o755);
      readdirSync(p).forEach((e) => walk(join(p, e)));
    }
    if (st.isSymbolicLink()) runOk(['touch', '-h', '-d', `@${t}`, p]);
    else utimesSync(p, t, t);
  };
  walk(dir);
}

/** LICENSE as a machine-readable debian/copyright (the MIT license is "Expat" there). */
function copyright() {
  const license = readFileSync(join(repo, 'LICENSE'), 'utf8');
  const holder = /^Copyright \(c\) (.+)$/m.exec(license)?.[1];
  if (!holder) die('LICENSE has no "Copyright (c) ..." line');
  const text = license
    .replace(/^MIT License\n\n/, '')
    .replace(/^Copyright \(c\) .*\n\n/m, '')
    .trimEnd()
    .split('\n')
    .map((l) => (l ? ` ${l}` : ' .'))
    .join('\n');
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: srcroute',
    '',
    'Files: *',
    `Copyright: ${holder}`,
    'License: Expat',
    text,
    '',
  ].join('\n');
}

function tarball(stage) {
  const top = `srcroute-${version}`;
  const dir = join(stage, top);
  copyProgram(dir);
  for (const [page] of MAN_PAGES) put(dir, `dist/${page}`, readFileSync(join(repo, 'dist', page)), 0o644);
  put(dir, 'README.md', readFileSync(join(repo, 'README.md')), 0o644);
  for (const f of DOCS) put(dir, f, readFileSync(join(repo, f)), 0o644);
  put(dir, 'LICENSE', readFileSync(join(repo, 'LICENSE')), 0o644);
  normalize(dir);
  const tar = join(out, `${top}.tar`);
  runOk(['tar', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, '--format=gnu',
    '-C', stage, '-cf', tar, top]);
  gzip(tar);
  return `${tar}.gz`;
}

function deb(root) {
  const lib = join(root, 'usr/lib/srcroute');
  const doc = join(root, 'usr/share/doc/srcroute');
  copyProgram(lib);
  mkdirSync(join(root, 'usr/sbin'), { recursive: true });
  symlinkSync('../lib/srcroute/dist/srcroute.cjs', join(root, 'usr/sbin/srcroute'));
  for (const [page, section] of MAN_PAGES) {
    put(root, `usr/share/man/man${section}/${page}`, readFileSync(join(repo, 'dist', page)), 0o644);
    gzip(join(root, `usr/share/man/man${section}/${page}`));
  }
  put(doc, 'copyright', copyright(), 0o644);
  put(doc, 'changelog', readFileSync(join(repo, 'build/debian/changelog')), 0o644);
  gzip(join(doc, 'changelog'));
  put(doc, 'README.md', readFileSync(join(repo, 'README.md')), 0o644);
  gzip(join(doc, 'README.md'));
  for (const f of DOCS) {
    put(doc, f, readFileSync(join(repo, f)), 0o644);
    if (f.endsWith('.md')) gzip(join(doc, f)); // as README.md.gz (policy 12.3)
  }

  const files = runOk(['find', '.', '-type', 'f'], { cwd: root })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.slice(2))
    .sort();
  const md5 = (f) => createHash('md5').update(readFileSync(join(root, f))).digest('hex');
  const md5sums = files.map((f) => `${md5(f)}  ${f}\n`).join('');
  const kib = Number(runOk(['du', '-s', '--apparent-size', '--block-size=1024', root]).split('\t')[0]);
  const control = readFileSync(join(repo, 'build/debian/control'), 'utf8').replace(
    /^(Architecture: .*\n)/m,
    `Version: ${version}\n$1Installed-Size: ${kib}\n`,
  );
  put(root, 'DEBIAN/control', control, 0o644);
  put(root, 'DEBIAN/md5sums', md5sums, 0o644);
  for (const script of ['postinst', 'prerm', 'postrm'])
    put(root, `DEBIAN/${script}`, readFileSync(join(repo, 'build/debian', script)), 0o755);
  normalize(root);
  const file = join(out, `srcroute_${version}_all.deb`);
  runOk(['dpkg-deb', '--root-owner-group', '-Zxz', '--build', root, file], {
    env: { ...process.env, SOURCE_DATE_EPOCH: epoch },
  });
  return file;
}

mkdirSync(out, { recursive: true });
const stage = join(out, '.stage');
rmSync(stage, { recursive: true, force: true });
const made = [tarball(join(stage, 'tar')), deb(join(stage, 'deb'))];
rmSync(stage, { recursive: true, force: true });
for (const f of made) console.log(`release: ${relative(process.cwd(), f) || f} (${statSync(f).size} bytes)`);
