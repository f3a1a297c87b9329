// Facts that the shell side (install.sh, the dispatcher) and the TypeScript side both know, held
// equal: the protocol number, the default table, the dispatcher block's marker, the launchers that
// install.sh writes and `check` parses, what both know of dhcpcd.service, the iproute2
// directories, the installed paths, the oldest Node. (Reasons and interface names have their own
// tests: reasons.test.ts, interface-names.test.ts.)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TABLE, KEYS } from '../../src/hook/config.js';
import { IPROUTE2_DIRS } from '../../src/kernel/tables.js';
import { DISPATCHER_MARKER, parseLauncher } from '../../src/operator/facts.js';
import { systemPaths } from '../../src/shared/paths.js';
import { run } from '../support/run.js';
import { tempDir } from '../support/tmp.js';
import { HOME_DIRS, LOCK_DIR, SERVICE } from '../../src/operator/dhcpcd-service.js';
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

/** install.sh's function `name`, to run on its own. */
function shFunction(name: string): string {
  const body = new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?\\n\\}$`, 'm').exec(install)?.[0];
  if (body === undefined) throw new Error(`install.sh has no function ${name}`);
  return body;
}

describe('facts install.sh and the TypeScript share', () => {
  it('the protocol number', () => {
    expect(setting('PROTO_NUM')).toBe(KEYS.PROTOCOL.default);
  });

  it('the first table: pub = 123', () => {
    expect(Number(setting('FIRST_TABLE'))).toBe(DEFAULT_TABLE.number);
    expect(shFunction('assign_tables')).toContain('name=pub;');
    expect(KEYS.TABLE.default).toBe(DEFAULT_TABLE.name);
    expect(DEFAULT_TABLE.name).toBe('pub');
  });

  it("the dispatcher block's marker, which check looks for", () => {
    expect(setting('BEGIN')).toBe(DISPATCHER_MARKER);
    expect(setting('END')).toBe(DISPATCHER_MARKER.replaceAll('>', '<'));
  });

  it('the launchers install.sh writes are the ones check parses: the hooks jitless through env -S, the command with the JIT', () => {
    const raw = (name: string) => new RegExp(`^${name}=.*$`, 'm').exec(install)?.[0] ?? '';
    const dir = tempDir('srcroute-launcher');
    writeFileSync(join(dir, 'srcroute.cjs'), '#!/usr/bin/env node\n// the bundle\n');
    writeFileSync(join(dir, 'hook.cjs'), '#!/usr/bin/env node\n// the hooks\' bundle\n');
    const launch = (kind: string) => {
      const script = [`node=/opt/node-v18/bin/node dist=${dir}/srcroute.cjs hook_dist=${dir}/hook.cjs`, raw('MARK'), raw('ENV'), raw('HOOK_FLAGS'), shFunction('launcher'), `launcher ${kind} 'a comment'`].join('\n');
      const r = run(['sh', '-c', script]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.endsWith(kind === 'hook' ? "\n// the hooks' bundle\n" : '\n// the bundle\n')).toBe(true);
      return parseLauncher(r.stdout);
    };
    expect(launch('hook')).toEqual({ interpreter: '/opt/node-v18/bin/node', nodeFlags: ['--jitless', '--no-expose-wasm'], bundle: null });
    expect(launch('command')).toEqual({ interpreter: '/opt/node-v18/bin/node', nodeFlags: [], bundle: null });
    // an earlier version's launcher, still recognised (check says its bundle is gone)
    expect(parseLauncher('#!/usr/bin/node\nrequire("/usr/local/lib/srcroute/srcroute.cjs");\n').bundle).toBe('/usr/local/lib/srcroute/srcroute.cjs');
  });

  it('dhcpcd.service: the unit directories, what ProtectHome hides, the lock directory the drop-in opens', () => {
    expect(setting('UNIT_DIRS').split(' ')).toEqual(systemPaths().systemdUnitDirs);
    expect(setting('HOME_DIRS').split(' ')).toEqual([...HOME_DIRS]);
    expect(setting('STATE_DIR')).toBe(LOCK_DIR);
    expect(setting('UNIT')).toBe(SERVICE);
  });

  it('the iproute2 directories, in the same order (the last one wins)', () => {
    const dirs = /for d in ([^;]+); do/.exec(shFunction('registered'))?.[1]?.split(' ');
    expect(dirs).toEqual(IPROUTE2_DIRS);
  });

  it('the installed paths: hooks, dispatcher, dhclient shim, dhcpcd.conf, config dir', () => {
    const paths = systemPaths();
    expect(setting('HOOK_DIR')).toBe(paths.dhcpcdHooks);
    expect(dispatcher).toContain(`srcroute_hook="${paths.dhcpcdHooks}/$interface.exit-hook"`);
    expect(setting('DISPATCHER')).toBe(paths.dispatcher);
    expect(setting('SHIM')).toBe(paths.dhclientDispatcher);
    expect(setting('DHCPCD_CONF')).toBe(paths.dhcpcdConf);
    expect(setting('CONF_DIR')).toBe(paths.config);
  });

  it('the oldest Node: install.sh, package.json and the Node 18 the tests run the bundle on', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${setting('NODE_MIN')}`);
    expect(NODE18_VERSION.startsWith(`${setting('NODE_MIN')}.`)).toBe(true);
  });
});
