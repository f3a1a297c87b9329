// The hostile corpus's essentials again, from outside (the built bundle, as a DHCP client runs it): the
// BUILT bundle in a network namespace that already holds a lease's rule and routes. Each hostile
// environment or config must exit 2 with one short line naming what is wrong, leave every rule
// and route exactly as it was, never start ip (IP= points at a wrapper that records each call),
// and never run what it was fed (the payloads would create a marker file).
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBundle, runBundle } from '../support/bundle.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites, which } from '../support/prereq.js';

const ok = prerequisites('hostile input through the bundle', ['root', 'ip']);

const tmp = mkdtempSync(join(tmpdir(), 'srcroute-hostile-bundle-'));
if (!ok) rmSync(tmp, { recursive: true, force: true });
const MARK = join(tmp, 'pwned');
const CALLS = join(tmp, 'ip-calls');
const sub = `$(touch ${MARK})`;
const tick = `\`touch ${MARK}\``;

const BOUND = { reason: 'BOUND', interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' };

const ENVS: [string, Record<string, string>, string][] = [
  ['command substitution in reason', { ...BOUND, reason: sub }, 'reason'],
  ['command substitution in interface', { ...BOUND, interface: sub }, 'interface'],
  ['backticks in new_ip_address', { ...BOUND, new_ip_address: tick }, 'new_ip_address'],
  ['an address then ;touch', { ...BOUND, new_ip_address: `100.64.0.50;touch ${MARK}` }, 'new_ip_address'],
  ['an ip batch line smuggled in by a newline', { ...BOUND, new_ip_address: '100.64.0.50\nrule flush' }, 'new_ip_address'],
  ['999.x', { ...BOUND, new_ip_address: '999.64.0.50' }, 'new_ip_address'],
  ['three octets', { ...BOUND, new_ip_address: '100.64.0' }, 'new_ip_address'],
  ['leading zeros', { ...BOUND, new_ip_address: '100.064.0.50' }, 'new_ip_address'],
  ['a trailing dot', { ...BOUND, new_ip_address: '100.64.0.50.' }, 'new_ip_address'],
  ['IPv6', { ...BOUND, new_ip_address: '2001:db8::50' }, 'new_ip_address'],
  ['--help as the address', { ...BOUND, new_ip_address: '--help' }, 'new_ip_address'],
  ['whitespace around the address', { ...BOUND, new_ip_address: ' 100.64.0.50 ' }, 'new_ip_address'],
  ['100 kB address', { ...BOUND, new_ip_address: '1'.repeat(100 * 1024) }, 'new_ip_address'],
  ['a word as router', { ...BOUND, new_routers: 'gateway' }, 'new_routers'],
  ['an empty router', { ...BOUND, new_routers: '' }, 'new_routers'],
  ['router 0.0.0.0', { ...BOUND, new_routers: '0.0.0.0' }, 'new_routers'],
  ['router broadcast', { ...BOUND, new_routers: '255.255.255.255' }, 'new_routers'],
  ["router the subnet's broadcast", { ...BOUND, new_routers: '100.64.0.255' }, 'new_routers'],
  ['router multicast', { ...BOUND, new_routers: '224.0.0.1' }, 'new_routers'],
  ['router with a substitution', { ...BOUND, new_routers: `100.64.0.1 ${sub}` }, 'new_routers'],
  ['an empty interface', { ...BOUND, interface: '' }, 'interface'],
  ['a 16-byte interface', { ...BOUND, interface: 'eth0v0eth0v0eth0' }, 'interface'],
  ['an interface with /', { ...BOUND, interface: '../../etc/x' }, 'interface'],
  ['an interface with a space', { ...BOUND, interface: 'eth0 v0' }, 'interface'],
  ['an interface starting with -', { ...BOUND, interface: '-eth0v0' }, 'interface'],
  ['a bad old_ address on EXPIRE', { reason: 'EXPIRE', interface: 'eth0v0', old_ip_address: sub }, 'old_ip_address'],
  ['classless routes with a substitution', { ...BOUND, new_classless_static_routes: `0.0.0.0/0 ${sub}` }, 'new_classless_static_routes'],
  ['a lowercase reason', { ...BOUND, reason: 'bound' }, 'reason'],
];

const CONFIGS: [string, Record<string, string>, string, number?][] = [
  ['TABLE=main', { 'srcroute.env': 'TABLE=main\n' }, 'TABLE'],
  ['TABLE=local', { 'srcroute.env': 'TABLE=local\n' }, 'TABLE'],
  ['TABLE=255', { 'eth0v0.env': 'TABLE=255\n' }, 'TABLE'],
  ['an unknown table name', { 'srcroute.env': 'TABLE=nosuchtable\n' }, 'TABLE'],
  ['PRIORITY=0', { 'srcroute.env': 'PRIORITY=0\n' }, 'PRIORITY'],
  ['PRIORITY=32766', { 'srcroute.env': 'PRIORITY=32766\n' }, 'PRIORITY'],
  ['PRIORITY=1e3', { 'srcroute.env': 'PRIORITY=1e3\n' }, 'PRIORITY'],
  ['PRIORITY=123;cmd', { 'srcroute.env': `PRIORITY="123;touch ${MARK}"\n` }, 'PRIORITY'],
  ['PRIORITY=$(cmd)', { 'srcroute.env': `PRIORITY="${sub}"\n` }, 'PRIORITY'],
  ['IP=$(cmd)', { 'srcroute.env': `IP="${sub}"\n` }, 'IP'],
  ['an unknown key', { 'srcroute.env': 'LD_PRELOAD=/tmp/x.so\n' }, 'LD_PRELOAD'],
  ['a group-writable file', { 'srcroute.env': 'TABLE=123\n' }, 'writable by group or others', 0o664],
  ['a world-writable file', { 'eth0v0.env': 'TABLE=123\n' }, 'writable by group or others', 0o646],
];

let ns: Netns | undefined;
let wrapper = '';
let tried = 0;

function configDir(files: Record<string, string>, mode = 0o644): string {
  const dir = mkdtempSync(join(tmp, 'cfg-'));
  writeFileSync(join(dir, 'srcroute.env'), `IP=${wrapper}\nTABLE=123\n`, { mode: 0o644 });
  for (const [name, text] of Object.entries(files)) {
    // a file given replaces the default one; IP= stays the recording wrapper unless overridden
    const base = name === 'srcroute.env' && !/^IP=/m.test(text) ? `IP=${wrapper}\n` : '';
    writeFileSync(join(dir, name), base + text);
    chmodSync(join(dir, name), mode);
  }
  return dir;
}

const bundle = (env: Record<string, string>, cfg: string) => runBundle(ns!, env, cfg);

const snapshot = (): string => JSON.stringify([ns!.json('-4', '-N', 'rule', 'show'), ns!.json('-4', '-N', 'route', 'show', 'table', 'all')]);
const calls = (): number => (existsSync(CALLS) ? readFileSync(CALLS, 'utf8').split('\n').filter(Boolean).length : 0);

function expectRefused(r: { code: number | null; stderr: string }, names: string, before: string, callsBefore: number): void {
  tried++;
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
  expect(r.stderr).toContain(names);
  expect(Buffer.byteLength(r.stderr)).toBeLessThan(300);
  expect(r.stderr).not.toMatch(/    at |Error:/);
  expect(snapshot(), 'no rule or route changed').toBe(before);
  expect(calls(), 'ip was not run').toBe(callsBefore);
  expect(existsSync(MARK), 'nothing it was fed ran').toBe(false);
}

describe.skipIf(!ok)('hostile input through the built bundle: exit 2, one line, nothing changed or run', () => {
  beforeAll(() => {
    requireBundle();
    wrapper = join(tmp, 'ip-recording');
    writeFileSync(wrapper, `#!/bin/sh\necho "$$" >> ${CALLS}\nexec ${which('ip')} "$@"\n`, { mode: 0o755 });
    ns = boxWithMacvlans(['eth0v0']);
    ns.ip('addr', 'add', '100.64.0.50/24', 'dev', 'eth0v0');
    // A lease in place, so "nothing changed" means something; the recording wrapper is proven to work.
    const r = bundle(BOUND, configDir({}));
    expect(r.code, r.stderr).toBe(0);
    expect(calls()).toBe(1);
    expect(ns.json('-N', 'rule', 'show').filter((x) => (x as { protocol?: string }).protocol === '213'), 'the lease\'s block').toHaveLength(3);
  });
  afterAll(() => {
    ns?.destroy();
    rmSync(tmp, { recursive: true, force: true });
    console.log(`hostile-bundle: ${tried} hostile environments and configs through the bundle`);
  });

  it.each(ENVS)('%s', (_, env, names) => {
    const before = snapshot();
    const n = calls();
    expectRefused(bundle(env, configDir({})), names, before, n);
  });

  it.each(CONFIGS)('config: %s', (_, files, names, mode) => {
    const before = snapshot();
    const n = calls();
    expectRefused(bundle(BOUND, configDir(files, mode)), names, before, n);
  });

  it('config: a file owned by another user (uid 65534)', () => {
    const before = snapshot();
    const n = calls();
    const dir = configDir({ 'eth0v0.env': 'TABLE=123\n' });
    chownSync(join(dir, 'eth0v0.env'), 65534, 65534);
    expectRefused(bundle(BOUND, dir), 'owned by uid 65534', before, n);
  });

  it('config: srcroute.env is a directory', () => {
    const before = snapshot();
    const n = calls();
    const dir = mkdtempSync(join(tmp, 'cfg-'));
    mkdirSync(join(dir, 'srcroute.env'));
    expectRefused(bundle(BOUND, dir), 'srcroute.env', before, n);
  });
});
