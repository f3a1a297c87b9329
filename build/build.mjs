// Bundles src/ into dist/srcroute.cjs (the srcroute command: everything) and dist/hook.cjs (what
// install.sh writes behind each /etc/dhcpcd/IFACE.exit-hook's #! line: the same entry, with every
// src/operator/ module cli.ts loads swapped for src/hook/operator-elsewhere.ts, because Node
// compiles the whole file on every lease event; docs/performance.md says what it costs). Each is
// one CommonJS file, runnable by the Node that Debian 12 and Raspberry Pi OS ship (18), with a
// shebang and the run bit. Not minified: admins read what runs as root on their router. Type
// checking is `tsc --noEmit`'s job, not this script's.
// Then the man pages, srcroute(8) and srcroute.env(5), from the help texts and the config's keys
// (build/man-pages.ts), into dist/ too, dated by the last commit (SOURCE_DATE_EPOCH overrides).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const path = (p) => new URL(p, import.meta.url).pathname;
const cli = path('../src/cli.ts');
/** The hooks the installer puts in place (src/install/texts.ts HookTexts), embedded in the bundle. */
const hook = (name) => readFileSync(path(`../hooks/${name}`), 'utf8');
const hooks = {
  dispatcher: hook('dhcpcd.exit-hook'),
  dhclientExit: hook('dhclient-exit-hook'),
  dhclientEnter: hook('dhclient-enter-hook'),
};

/** cli.ts's imports of src/operator/ and src/install/ resolve to the hook's stand-in; nothing else changes. */
const hookOnly = {
  name: 'hook-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/(operator|install)\// }, (args) =>
      args.importer === cli ? { path: path('../src/hook/operator-elsewhere.ts') } : undefined,
    );
  },
};

// Both bundles are installed as they are (the .deb's /usr/lib/srcroute) or behind a launcher's #!
// line (src/install/texts.ts): the banner names the program, not how this tree builds it.
const banner = `#!/usr/bin/env node\n// srcroute ${pkg.version}`;
/** One CommonJS file's text from `entry`. */
async function bundle(entry, plugins = []) {
  const r = await build({
    entryPoints: [path(entry)],
    write: false,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    define: { SRCROUTE_VERSION: JSON.stringify(pkg.version), SRCROUTE_HOOKS: JSON.stringify(hooks) },
    legalComments: 'inline',
    logLevel: 'warning',
    plugins,
  });
  return r.outputFiles[0].text;
}

/** src/hook/code-cache.ts's markers and module wrapper: the bundle sits between them in a comment, wrapped. */
const BUNDLE_START = '\n/* <<< srcroute hook bundle (it holds no star-slash)\n';
const BUNDLE_END = '\n>>> srcroute hook bundle */\n';
const MODULE_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];

/**
 * The hook bundle as a block comment can hold it, as it is (code-cache.ts says why: no unescaping
 * on every event): without a star-slash. esbuild's pure marks go (they are for minifiers, and this
 * bundle is not minified), the one-line doc comments it keeps on class members become line
 * comments; any other star-slash (in a regular expression or a string of src/) is refused.
 */
function commentable(js) {
  const out = js.replaceAll('/* @__PURE__ */ ', '').replace(/^(\s*)\/\*\*(.*)\*\/$/gm, '$1//$2');
  const at = out.indexOf('*/');
  if (at >= 0) {
    const line = out.slice(out.lastIndexOf('\n', at) + 1, out.indexOf('\n', at));
    throw new Error(`the hook bundle holds a star-slash, which would end its comment: ${line.trim()}`);
  }
  return out;
}

mkdirSync(path('../dist'), { recursive: true }); // a fresh clone has none
const write = (out, text) => {
  writeFileSync(path(out), text);
  chmodSync(path(out), 0o755);
};
write('../dist/srcroute.cjs', `${banner}\n${await bundle('../src/bin.ts')}`);
// the hook: its entry (src/hook-bin.ts), then the bundle in a comment, which that entry compiles with V8's code cache
const hookBundle = commentable(await bundle('../src/bin.ts', [hookOnly]));
const wrapped = `${MODULE_WRAPPER[0]}${hookBundle}${MODULE_WRAPPER[1]}`;
write('../dist/hook.cjs', `${banner}\n${await bundle('../src/hook-bin.ts')}${BUNDLE_START}${wrapped}${BUNDLE_END}`);

/** The man pages' date: SOURCE_DATE_EPOCH, else the last commit's (a clone), else today. */
function manDate() {
  const git = spawnSync('git', ['-C', path('..'), 'log', '-1', '--format=%ct'], { encoding: 'utf8' });
  const epoch = process.env.SOURCE_DATE_EPOCH ?? (git.status === 0 ? git.stdout.trim() : '');
  return (/^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date()).toISOString().slice(0, 10);
}
const tmp = mkdtempSync(join(tmpdir(), 'srcroute-build-'));
try {
  const outfile = join(tmp, 'man-pages.mjs');
  const options = { bundle: true, platform: 'node', format: 'esm', target: 'node18', logLevel: 'warning' };
  await build({ entryPoints: [path('man-pages.ts')], outfile, ...options });
  const { manPages } = await import(pathToFileURL(outfile).href);
  const pages = await manPages(pkg.version, manDate());
  for (const [name, text] of Object.entries(pages)) writeFileSync(path(`../dist/${name}`), text);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
