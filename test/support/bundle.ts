// The built bundle, run the way a DHCP client runs it: `env -i` with only the recorded
// variables, PATH and srcroute's own, inside a network namespace.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { NODE18_VERSION } from './node18.js';
import type { Netns } from './netns.js';
import type { RunResult } from './run.js';
import { tempDir } from './tmp.js';

export const BUNDLE = join(__dirname, '..', '..', 'dist', 'srcroute.cjs');
/** What install.sh puts behind each hook's #! line: the same entry without the operator commands. */
export const HOOK_BUNDLE = join(__dirname, '..', '..', 'dist', 'hook.cjs');
export const STD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function requireBundle(): string {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` (npm test does)`);
  return BUNDLE;
}

/** A config dir holding `files` (name -> content), mode 0644 as an installer would leave them. */
export function configDir(files: Record<string, string>): string {
  const dir = tempDir('srcroute-cfg');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 });
  return dir;
}

/** `env -i VAR=…`: what a DHCP client hands the hook (`env`), PATH, and srcroute's own dirs. */
export function hookEnv(env: Record<string, string>, cfgDir: string, extra: Record<string, string> = {}): string[] {
  const vars = { ...env, PATH: STD_PATH, SRCROUTE_CONFIG_DIR: cfgDir, SRCROUTE_STATE_DIR: join(cfgDir, 'state'), ...extra };
  return ['env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
}

export function runBundle(ns: Netns, env: Record<string, string>, cfgDir: string, args: string[] = [], node = process.execPath): RunResult {
  return ns.run([...hookEnv(env, cfgDir), node, requireBundle(), ...args]);
}

/**
 * The Nodes the bundle must run on: this one, and Node 18 (what Debian 12 and Raspberry Pi OS
 * ship), which the global setup (node18.ts) fetches; where it could not, it said why.
 */
export function nodesToTest(): { label: string; path: string }[] {
  const nodes = [{ label: `node ${process.version}`, path: process.execPath }];
  const node18 = inject('node18');
  if (node18) nodes.push({ label: `node ${NODE18_VERSION}`, path: node18 });
  else console.warn(`SKIP the bundle's runs on Node ${NODE18_VERSION}: see the global setup's warning`);
  return nodes;
}
