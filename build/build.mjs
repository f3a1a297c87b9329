// Bundles src/ into dist/srcroute.cjs (the srcroute command: everything) and dist/hook.cjs (what
// install.sh writes behind each /etc/dhcpcd/IFACE.exit-hook's #! line: the same entry, with every
// src/operator/ module cli.ts loads swapped for src/hook/operator-elsewhere.ts, because Node
// compiles the whole file on every lease event; README "Performance" has the numbers). Each is
// one CommonJS file, runnable by the Node that Debian 12 and Raspberry Pi OS ship (18), with a
// shebang and the run bit. Not minified: admins read what runs as root on their router. Type
// checking is `tsc --noEmit`'s job, not this script's.
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const path = (p) => new URL(p, import.meta.url).pathname;
const cli = path('../src/cli.ts');
/** The hooks the installer puts in place (src/install/texts.ts HookTexts), embedded in the bundle. */
const hook = (name) => readFileSync(path(`../hooks/${name}`), 'utf8');
const hooks = { dispatcher: hook('dhcpcd.exit-hook'), dhclientExit: hook('dhclient-exit-hook'), dhclientEnter: hook('dhclient-enter-hook') };

/** cli.ts's imports of src/operator/ and src/install/ resolve to the hook's stand-in; nothing else changes. */
const hookOnly = {
  name: 'hook-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/(operator|install)\// }, (args) => (args.importer === cli ? { path: path('../src/hook/operator-elsewhere.ts') } : undefined));
  },
};

for (const [out, plugins] of [['../dist/srcroute.cjs', []], ['../dist/hook.cjs', [hookOnly]]]) {
  const outfile = path(out);
  await build({
    entryPoints: [path('../src/bin.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    banner: { js: `#!/usr/bin/env node\n// srcroute ${pkg.version}: built from src/ by build/build.mjs; see README.md.` },
    define: { SRCROUTE_VERSION: JSON.stringify(pkg.version), SRCROUTE_HOOKS: JSON.stringify(hooks) },
    legalComments: 'inline',
    logLevel: 'warning',
    plugins,
  });
  chmodSync(outfile, 0o755);
}
