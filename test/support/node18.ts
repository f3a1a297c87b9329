// vitest globalSetup: the Node 18 the bundle must also run on (Debian 12 and Raspberry Pi OS ship
// 18.19), so that `npm cit` on a fresh clone tests it with nothing set beforehand. It is the npm
// registry's node-<platform>-<arch> package at NODE18_VERSION, installed once into a cache outside
// the tree (~/.cache/srcroute-test, or $XDG_CACHE_HOME), one directory per version; concurrent
// runs each install into a temp directory and rename it into place, the first one wins. Tests get
// its path through inject('node18'). Without it (no registry): under CI=true the run fails; outside
// CI the Node 18 runs are skipped with a printed reason.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** What Debian 12 ships (18.19.0+dfsg) is the oldest the bundle supports; .1 is its npm build. */
export const NODE18_VERSION = '18.19.1';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the Node 18 binary, or null when it could not be had outside CI. */
    node18: string | null;
  }
}

const cache = (): string => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'srcroute-test');

/** The cached binary, installed from the registry first when it is missing. */
function cachedNode18(): string {
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(cache(), `${pkg}-${NODE18_VERSION}`);
  const bin = join(dir, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(cache(), { recursive: true });
  const tmp = mkdtempSync(join(cache(), `.${pkg}-${NODE18_VERSION}-`));
  try {
    execFileSync(
      'npm',
      ['install', '--silent', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund',
        '--prefix', tmp, `${pkg}@${NODE18_VERSION}`],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
    );
    renameSync(tmp, dir);
  } catch (e) {
    if (!existsSync(bin)) throw e; // else another run renamed its copy into place first
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

function node18(): string | null {
  try {
    const bin = cachedNode18();
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    if (version !== `v${NODE18_VERSION}`) throw new Error(`${bin} says ${version}, not v${NODE18_VERSION}`);
    return bin;
  } catch (e) {
    const why = `no Node ${NODE18_VERSION} to run the bundle on: ${e instanceof Error ? e.message : String(e)}`;
    if (process.env.CI === 'true') throw new Error(`${why} (required under CI=true)`);
    console.warn(`SKIP the Node 18 runs: ${why}`);
    return null;
  }
}

export default function setup(project: TestProject): void {
  project.provide('node18', node18());
}
