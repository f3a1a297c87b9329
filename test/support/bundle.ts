// The built bundle, run the way a DHCP client runs it: `env -i` with only the recorded
// variables, PATH and srcroute's own, inside a network namespace.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from './netns.js';
import type { RunResult } from './run.js';

export const BUNDLE = join(__dirname, '..', '..', 'dist', 'srcroute.cjs');
export const STD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function requireBundle(): string {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` (npm test does)`);
  return BUNDLE;
}

/** A config dir holding `files` (name -> content), mode 0644 as an installer would leave them. */
export function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'srcroute-cfg-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 });
  return dir;
}

export function runBundle(ns: Netns, env: Record<string, string>, cfgDir: string, args: string[] = []): RunResult {
  const vars = { ...env, PATH: STD_PATH, SRCROUTE_CONFIG_DIR: cfgDir, SRCROUTE_STATE_DIR: join(cfgDir, 'state') };
  return ns.run(['env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), process.execPath, requireBundle(), ...args]);
}
