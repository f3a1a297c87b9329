// Facts that the shell side (install.sh, the dispatcher) and the TypeScript side both know, held
// equal, and facts two TypeScript modules must agree on: the protocol number, the default table,
// the launchers the installer writes and `check` parses, the hook paths the dispatcher builds, the
// oldest Node. (Reasons and interface names have their own tests: reasons.test.ts,
// interface-names.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TABLE, KEYS } from '../../src/hook/config.js';
import { parseLauncher } from '../../src/operator/facts.js';
import { systemPaths } from '../../src/shared/paths.js';
import { FIRST_TABLE, HOOK_DIR, NODE_MIN, PROTO_NUM } from '../../src/install/layout.js';
import { launcher, undoOf } from '../../src/install/texts.js';
import { NODE18_VERSION } from '../support/node18.js';

const REPO = join(__dirname, '..', '..');
const install = readFileSync(join(REPO, 'install.sh'), 'utf8');
const dispatcher = readFileSync(join(REPO, 'hooks', 'dhcpcd.exit-hook'), 'utf8');

/** A top-level `NAME=value` of install.sh, unquoted. */
function setting(name: string): string {
  const value = new RegExp(`^${name}=(.*)$`, 'm').exec(install)?.[1];
  if (value === undefined) throw new Error(`install.sh sets no ${name}`);
  return value.replace(/^'(.*)'$/, '$1');
}

describe('facts install.sh, the dispatcher and the TypeScript share', () => {
  it('the protocol number', () => {
    expect(String(PROTO_NUM)).toBe(KEYS.PROTOCOL.default);
  });

  it('the first table: pub = 123', () => {
    expect(FIRST_TABLE).toBe(DEFAULT_TABLE.number);
    expect(KEYS.TABLE.default).toBe(DEFAULT_TABLE.name);
    expect(DEFAULT_TABLE.name).toBe('pub');
  });

  it('the launchers the installer writes are the ones check parses: the hooks jitless through env -S, the command with the JIT', () => {
    const launch = (kind: 'hook' | 'command') => {
      const bundle = kind === 'hook' ? "#!/usr/bin/env node\n// the hooks' bundle\n" : '#!/usr/bin/env node\n// the bundle\n';
      const text = launcher(kind, '/opt/node-v18/bin/node', 'a comment', bundle, undoOf(false));
      expect(text.endsWith(kind === 'hook' ? "\n// the hooks' bundle\n" : '\n// the bundle\n')).toBe(true);
      return parseLauncher(text);
    };
    expect(launch('hook')).toEqual({ interpreter: '/opt/node-v18/bin/node', nodeFlags: ['--jitless', '--no-expose-wasm'], bundle: null });
    expect(launch('command')).toEqual({ interpreter: '/opt/node-v18/bin/node', nodeFlags: [], bundle: null });
    // an earlier version's launcher, still recognised (check says its bundle is gone)
    expect(parseLauncher('#!/usr/bin/node\nrequire("/usr/local/lib/srcroute/srcroute.cjs");\n').bundle).toBe('/usr/local/lib/srcroute/srcroute.cjs');
  });

  it('the hook paths: the dispatcher builds the path the installer writes', () => {
    expect(HOOK_DIR).toBe(systemPaths().dhcpcdHooks);
    expect(dispatcher).toContain(`srcroute_hook="${HOOK_DIR}/$interface.exit-hook"`);
  });

  it('the oldest Node: install.sh, package.json, srcroute install and the Node 18 the tests run the bundle on', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${setting('NODE_MIN')}`);
    expect(pkg.engines.node).toBe(`>=${NODE_MIN}`);
    expect(NODE18_VERSION.startsWith(`${setting('NODE_MIN')}.`)).toBe(true);
  });
});
