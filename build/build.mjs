// Bundles src/ into dist/srcroute.cjs: one CommonJS file, runnable by the Node that Debian 12
// and Raspberry Pi OS ship (18), with a shebang and the run bit. Not minified: admins read what
// runs as root on their router. Type checking is `tsc --noEmit`'s job, not this script's.
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = new URL('../dist/srcroute.cjs', import.meta.url).pathname;

await build({
  entryPoints: [new URL('../src/bin.ts', import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  banner: { js: `#!/usr/bin/env node\n// srcroute ${pkg.version}: built from src/ by build/build.mjs; see README.md.` },
  define: { SRCROUTE_VERSION: JSON.stringify(pkg.version) },
  legalComments: 'inline',
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
