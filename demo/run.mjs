// Entry point of `npm run demo`: bundles demo/demo.ts (which reuses the integration tests' lab
// builder, test/support/lab.ts) with esbuild into a temp file and runs it (test/support/import-ts.mjs).
// Plain JavaScript with node: modules only, so it runs on Node 18 without a TypeScript loader.
// demo.ts finishes its own work (and cleanup) before the import settles.
import { importTs } from '../test/support/import-ts.mjs';

await importTs(['demo/demo.ts'], 'demo');
