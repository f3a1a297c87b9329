// Import TypeScript modules of this tree from plain Node (Node 18 has no TypeScript loader): esbuild
// bundles them into one temp ESM file, which is imported and removed at exit. `npm run demo` and
// `npm run bench` use it to run the test suite's lab and sandbox (test/support) outside vitest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Bundle `entries` (paths relative to the tree's root) and import what they export; `who` names the caller in messages. */
export async function importTs(entries, who) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    console.error(`${who}: esbuild is missing: run \`npm ci\` in the repository first, then \`sudo npm run ${who}\`.`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), `srcroute-${who}-`));
  // the importer may run long after this returns: the file goes when the process does
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, `${who}.mjs`);
  await esbuild.build({
    stdin: { contents: entries.map((e) => `export * from ${JSON.stringify(`./${e}`)};`).join('\n'), resolveDir: repo, loader: 'ts' },
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    logLevel: 'warning',
  });
  // bundled as ESM, test/support has no __dirname: it finds the tree here (sandbox.ts)
  process.env.SRCROUTE_REPO ??= repo;
  return import(pathToFileURL(out).href);
}
