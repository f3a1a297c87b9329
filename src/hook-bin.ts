// The hook file's entry (build/build.mjs: dist/hook.cjs is this, then the hook's bundle in a
// comment): compiles the bundle with its V8 code cache (hook/code-cache.ts says why and where),
// runs it, and after an event that went well without a usable cache, or the first of its kind
// that the cache was not made by, writes one. Like bin.ts, an entry: it alone here touches `process`.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';
import {
  cacheFileBytes, cachePath, kindsAfter, readCacheFile, wrappedBundle, type CacheFile,
} from './hook/code-cache.js';
import { stateDirOf } from './shared/paths.js';

const cache = cachePath(__filename, stateDirOf(process.env), process.geteuid?.() ?? 0);
let had: CacheFile | undefined;
if (cache !== null) {
  try {
    had = readCacheFile(readFileSync(cache));
  } catch {
    // none yet
  }
}
const source = wrappedBundle(readFileSync(__filename, 'utf8'));
const script = new Script(source, { filename: __filename, cachedData: had?.data });
const usable = script.cachedDataRejected === true ? undefined : had?.kinds;
const kinds = cache === null ? null : kindsAfter(usable, process.env['reason'] ?? '');
if (cache !== null && kinds !== null) {
  // after the event, so that it holds every function the event compiled; only from one that went well
  process.once('exit', (code) => {
    if (code !== 0) return;
    try {
      const aside = `${cache}.${process.pid}`;
      writeFileSync(aside, cacheFileBytes(kinds, script.createCachedData()), { mode: 0o600 });
      renameSync(aside, cache);
    } catch {
      // a full or read-only /run: the next event compiles again
    }
  });
}
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, __filename, __dirname);
