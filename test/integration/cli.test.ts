// The built bundle's command line, black-box: what an admin types and what they get back.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOOK_BUNDLE, configDir, nodesToTest, requireBundle, runBundle } from '../support/bundle.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { run } from '../support/run.js';
import { tempDir } from '../support/tmp.js';

const ok = prerequisites('bundle command line', ['root', 'ip']);
const bound = { reason: 'BOUND', interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' };

describe('the bundle as a program', () => {
  const bundle = (...args: string[]) => run([process.execPath, requireBundle(), ...args], { env: { PATH: process.env.PATH ?? '' } });

  it('is one executable CommonJS file with a node shebang', async () => {
    const { readFileSync, statSync } = await import('node:fs');
    expect(readFileSync(requireBundle(), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(requireBundle()).mode & 0o111).toBe(0o111);
    expect(readFileSync(requireBundle(), 'utf8')).not.toMatch(/^import /m);
  });

  it.each([['--help'], ['-h'], ['flush', '--help']])('%s prints usage and exits 0', (...args) => {
    const r = bundle(...args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage:/m);
  });

  it('--version names the version', () => {
    expect(bundle('--version').stdout).toMatch(/^srcroute \d+\.\d+\.\d+\n$/);
  });

  it('an unknown argument is one line and exit 2', () => {
    const r = bundle('--frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('srcroute: unknown argument "--frobnicate" (see srcroute --help)\n');
  });

  it('run by hand without a DHCP environment it says what it is', () => {
    const r = bundle();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reason is not set: srcroute runs as a DHCP client hook \(see srcroute --help\)\n$/);
  });

  it('config --defaults prints the commented config', () => {
    const r = bundle('config', '--defaults');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#TABLE=pub$/m);
  });
});

describe('the hooks\' bundle (dist/hook.cjs, behind each /etc/dhcpcd/IFACE.exit-hook)', () => {
  const hookFile = (...args: string[]) => run([process.execPath, HOOK_BUNDLE, ...args], { env: { PATH: process.env.PATH ?? '' } });

  it('holds no operator module, and half the bytes or less that Node compiles per event', async () => {
    const { readFileSync } = await import('node:fs');
    requireBundle();
    const text = readFileSync(HOOK_BUNDLE, 'utf8');
    expect(readFileSync(requireBundle(), 'utf8')).toMatch(/^\/\/ src\/operator\//m); // esbuild names each module it bundles
    expect(text).not.toMatch(/^\/\/ src\/operator\//m);
    expect(text).toMatch(/^\/\/ src\/hook\/operator-elsewhere\.ts$/m);
    expect(text.length).toBeLessThan(readFileSync(requireBundle(), 'utf8').length * 0.6);
  });

  it.each([['--help'], ['flush', '--help']])('%s prints the same usage as the command', (...args) => {
    const r = hookFile(...args);
    expect([r.code, r.stdout]).toEqual([0, run([process.execPath, requireBundle(), ...args]).stdout]);
  });

  it('config --defaults prints the commented config', () => {
    expect(hookFile('config', '--defaults').stdout).toMatch(/^#TABLE=pub$/m);
  });

  describe.each(nodesToTest())('its V8 code cache (src/hook-bin.ts), on %s', ({ path: node }) => {
    /** The hook file as installed (a copy: the cache is named for the file's inode and mtime), run with a state dir of `mode`. */
    const setUp = (mode = 0o700) => {
      const dir = tempDir('srcroute-hook-cache');
      const hook = join(dir, 'eth0v0.exit-hook');
      copyFileSync(HOOK_BUNDLE, hook);
      const state = join(dir, 'state');
      mkdirSync(state);
      chmodSync(state, mode);
      const runAs = (reason: string | undefined, ...args: string[]) =>
        run([node, hook, ...args], { env: { PATH: process.env.PATH ?? '', SRCROUTE_STATE_DIR: state, ...(reason === undefined ? {} : { reason }) } });
      const runHook = (...args: string[]) => runAs(undefined, ...args);
      const caches = () => readdirSync(state).filter((f) => f.endsWith('.v8cache')).map((f) => join(state, f));
      return { hook, state, runHook, runAs, caches };
    };
    const expected = () => run([node, requireBundle(), 'config', '--defaults']).stdout;

    it('the first run writes it (mode 0600); the next runs from it, leaving it as it is, with the same output', () => {
      const { runHook, caches } = setUp();
      const first = runHook('config', '--defaults');
      expect([first.code, first.stdout]).toEqual([0, expected()]);
      expect(caches()).toHaveLength(1);
      const [cache] = caches();
      expect(statSync(cache!).mode & 0o777).toBe(0o600);
      const bytes = readFileSync(cache!);
      const { mtimeMs } = statSync(cache!);
      const second = runHook('config', '--defaults');
      expect([second.code, second.stdout]).toEqual([0, expected()]);
      // accepted by V8: not written again (a rejected one is)
      expect(caches()).toEqual([cache]);
      expect(statSync(cache!).mtimeMs).toBe(mtimeMs);
      expect(readFileSync(cache!).equals(bytes)).toBe(true);
    });

    it('the first run of an event of another kind writes it again, naming both; the next of either kind does not', () => {
      const { runAs, caches } = setUp();
      const header = () => readFileSync(caches()[0]!).subarray(0, 40).toString('latin1').split('\n')[0];
      expect(runAs('RENEW', 'config', '--defaults').code).toBe(0);
      expect(header()).toBe('RENEW');
      expect(runAs('BOUND', 'config', '--defaults').code).toBe(0);
      expect(header()).toBe('RENEW,BOUND');
      const { mtimeMs } = statSync(caches()[0]!);
      for (const reason of ['RENEW', 'BOUND', 'not a kind']) expect(runAs(reason, 'config', '--defaults').stdout).toBe(expected());
      expect(caches()).toHaveLength(1);
      expect(statSync(caches()[0]!).mtimeMs).toBe(mtimeMs);
    });

    it('a damaged cache is rejected by V8: the hook compiles as before, runs the same, and writes a good one', () => {
      const { runHook, caches } = setUp();
      expect(runHook('config', '--defaults').code).toBe(0);
      const [cache] = caches();
      const garbage = Buffer.alloc(statSync(cache!).size, 0x5a);
      writeFileSync(cache!, garbage);
      const r = runHook('config', '--defaults');
      expect([r.code, r.stdout, r.stderr]).toEqual([0, expected(), '']);
      expect(readFileSync(cache!).equals(garbage)).toBe(false);
    });

    it('none from a run that failed, and none in a state directory others can write', () => {
      const failed = setUp();
      expect(failed.runHook('sync', 'eth0v0').code).toBe(2);
      expect(failed.caches()).toEqual([]);
      const open = setUp(0o777);
      const r = open.runHook('config', '--defaults');
      expect([r.code, r.stdout]).toEqual([0, expected()]);
      expect(open.caches()).toEqual([]);
    });
  });

  it.each(['sync', 'status', 'check', 'mac', 'macvlan', 'install', 'uninstall'])('%s: one line naming the command to run instead, exit 2', (name) => {
    const r = hookFile(name, 'eth0v0');
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe(`srcroute ${name}: this file is srcroute's DHCP hook; run operator commands as /usr/local/sbin/srcroute\n`);
  });
});

describe.skipIf(!ok)('--dry-run and flush on a real kernel', () => {
  let ns: Netns | undefined;
  afterAll(() => ns?.destroy());
  const rules = () => ns!.json<{ protocol?: string }>('-N', 'rule', 'show').filter((r) => r.protocol === '213').length;

  it('--dry-run prints the exact ip commands and changes nothing', () => {
    ns = boxWithMacvlans(['eth0v0']);
    const cfg = configDir({ 'srcroute.env': 'TABLE=123\n' });
    const r = runBundle(ns, bound, cfg, ['--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe([
      'ip route add 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
      'ip route add default via 100.64.0.1 dev eth0v0 proto 213 table 123',
      'ip rule add from 100.64.0.50 to 100.64.0.0/24 lookup 123 priority 998 protocol 213',
      'ip rule add from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'ip rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      '',
    ].join('\n'));
    expect(rules()).toBe(0);
  });

  it('flush removes what srcroute made in every table, and only that', () => {
    const cfg = configDir({ 'srcroute.env': 'TABLE=123\n', 'eth0v1.env': 'TABLE=124\n' });
    ns!.ip('link', 'add', 'link', 'eth0', 'name', 'eth0v1', 'type', 'macvlan', 'mode', 'private');
    ns!.ip('link', 'set', 'eth0v1', 'up');
    ns!.ip('rule', 'add', 'from', '192.0.2.1', 'lookup', '123', 'priority', '1000');
    expect(runBundle(ns!, bound, cfg).code).toBe(0);
    expect(runBundle(ns!, { ...bound, interface: 'eth0v1', new_ip_address: '100.64.0.51' }, cfg).code).toBe(0);
    expect(rules(), 'two blocks of three').toBe(6);
    const dry = runBundle(ns!, {}, cfg, ['flush', '--dry-run']);
    expect(dry.stdout.trim().split('\n'), 'six rules, four routes').toHaveLength(10);
    expect(rules()).toBe(6);
    const r = runBundle(ns!, {}, cfg, ['flush']);
    expect(r.code, r.stderr).toBe(0);
    expect(rules()).toBe(0);
    expect(ns!.json('-N', 'route', 'show', 'table', 'all', 'proto', '213')).toEqual([]);
    expect(ns!.json<{ src?: string }>('-N', 'rule', 'show', 'table', '123').map((r) => r.src)).toEqual(['192.0.2.1']);
  });
});

// The operator commands' code is loaded lazily (import() inside the bundle): make sure it loads
// and runs on every Node the bundle must run on, Node 18 included.
describe.each(nodesToTest().map((n) => [n.label, n.path] as const))('operator commands load on %s', (_label, node) => {
  const bundle = (...args: string[]) => run([node, requireBundle(), ...args], { env: { PATH: process.env.PATH ?? '' } });

  it('status --json answers with JSON', () => {
    const r = bundle('status', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('interfaces');
  });

  it('mac answers with a locally administered MAC, or says what is missing', () => {
    const r = bundle('mac', 'eth0v0');
    if (r.code === 0) expect(r.stdout).toMatch(/^02(:[0-9a-f]{2}){5}\n$/);
    else expect(r.stderr).toMatch(/machine-id/);
  });

  it.each(['flush', 'config', 'sync', 'status', 'check', 'mac', 'macvlan'])('%s --help', (command) => {
    const r = bundle(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: srcroute ${command}`));
  });
});
