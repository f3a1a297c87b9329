// Entry point of `npm run demo`: bundles demo/demo.ts (which reuses the integration tests' lab
// builder, test/support/lab.ts) with esbuild into a temp file and runs it (test/support/import-ts.mjs).
// Plain JavaScript with node: modules only, so it runs on Node 18 without a TypeScript loader.
// demo.ts finishes its own work (and cleanup) before the import settles.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
// The demo is made of the tests' lab (test/support/) and bundled with esbuild (a dev dependency):
// a release tarball or the .deb has neither, and a clone has esbuild only after `npm ci`.
const importer = join(repo, 'test', 'support', 'import-ts.mjs');
if (!existsSync(importer)) {
  console.error('demo: needs a clone of the srcroute repository with `npm ci` run in it, then `sudo npm run demo`');
  process.exit(1);
}
const { importTs } = await import(pathToFileURL(importer).href);
await importTs(['demo/demo.ts'], 'demo');
