// Entry point of `npm run demo`: bundles demo/demo.ts (which reuses the integration tests' lab
// builder, test/support/lab.ts) with esbuild into a temp file, runs it, removes the file.
// Plain JavaScript with node: modules only, so it runs on Node 18 without a TypeScript loader.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
// The demo is made of the tests' lab (test/support/) and bundled with esbuild (a dev dependency):
// a release tarball or the .deb has neither, and a clone has esbuild only after `npm ci`.
const CLONE_ONLY = 'demo: needs a clone of the srcroute repository with `npm ci` run in it, then `sudo npm run demo`';
let esbuild;
try {
  if (!existsSync(join(repo, 'test', 'support', 'lab.ts'))) throw new Error('not a clone');
  esbuild = await import('esbuild');
} catch {
  console.error(CLONE_ONLY);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'srcroute-demo-'));
const out = join(dir, 'demo.mjs');
try {
  await esbuild.build({
    entryPoints: [join(repo, 'demo', 'demo.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    logLevel: 'warning',
  });
  process.env.SRCROUTE_REPO = repo;
  await import(pathToFileURL(out).href);
} finally {
  // demo.ts finishes its own work (and cleanup) before its promise settles; the file can go now
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}
