// The hook file's entry (build/build.mjs: dist/hook.cjs is this, then the hook's bundle in a
// comment): compiles the bundle with its V8 code cache (hook/code-cache.ts says why and where),
// runs it, and after an event that went well without a usable cache, writes one. Like bin.ts, an
// entry: it alone here touches `process`.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { cachePath, wrappedBundle } from './hook/code-cache.js';
import { stateDirOf } from './shared/paths.js';

const cache = cachePath(__filename, stateDirOf(process.env), process.geteuid?.() ?? 0);
let cachedData: Buffer | undefined;
if (cache !== null) {
  try {
    cachedData = readFileSync(cache);
  } catch {
    // none yet
  }
}
const script = new Script(wrappedBundle(readFileSync(__filename, 'utf8')), { filename: __filename, cachedData });
if (cache !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
  // after the event, so that it holds every function the event compiled; only from one that went well
  process.once('exit', (code) => {
    if (code !== 0) return;
    try {
      const aside = `${cache}.${process.pid}`;
      writeFileSync(aside, script.createCachedData(), { mode: 0o600 });
      renameSync(aside, cache);
    } catch {
      // a full or read-only /run: the next event compiles again
    }
  });
}
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, __filename, __dirname);
