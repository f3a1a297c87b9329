// dhcpcd waits for its hook, and every process the hook starts costs about a tenth of Node's
// own start (issue #5). So the count is part of the contract: one `ip` per event that reads or
// changes the kernel, none for an ignored reason. Counted with strace on the built bundle.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configDir, hookEnv, requireBundle } from '../support/bundle.js';
import { run } from '../support/run.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';

const ok = prerequisites('process count', ['root', 'ip', 'strace']);

const lease = { interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' };
const old = { old_ip_address: '100.64.0.50', old_subnet_cidr: '24', old_routers: '100.64.0.1' };
const RA = {
  reason: 'ROUTERADVERT', interface: 'eth0v0', pid: '18', if_up: 'true', nd1_acquired: '6000', nd1_now: '6000', nd1_from: 'fe80::1',
  nd1_lifetime: '90', nd1_addr1: '2001:db8:1::5/64', nd1_prefix_information1_prefix: '2001:db8:1::', nd1_prefix_information1_length: '64',
  nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '120',
};

describe.skipIf(!ok)('processes started per event', () => {
  let ns: Netns | undefined;
  afterAll(() => ns?.destroy());

  it.each<[string, number, Record<string, string>]>([
    ['BOUND (changes the kernel)', 1, { reason: 'BOUND', ...lease }],
    ['RENEW (changes nothing)', 1, { reason: 'RENEW', ...lease, ...old }],
    ['EXPIRE (removes)', 1, { reason: 'EXPIRE', interface: 'eth0v0', ...old }],
    ['PREINIT (ignored)', 0, { reason: 'PREINIT', interface: 'eth0v0' }],
    ['ROUTERADVERT (changes the kernel: ip -6)', 1, RA],
    ['BOUND6 (ip -6)', 1, { reason: 'BOUND6', interface: 'eth0v0', new_dhcp6_ia_na1_ia_addr1: '2001:db8:1::7', new_dhcp6_ia_na1_ia_addr1_vltime: '120' }],
    ['RELEASE6 (ip -6)', 1, { reason: 'RELEASE6', interface: 'eth0v0', old_dhcp6_ia_na1_ia_addr1: '2001:db8:1::7' }],
    ['NOCARRIER (the link: ip -4, then ip -6)', 2, { reason: 'NOCARRIER', interface: 'eth0v0' }],
  ])('%s: %i', (name, expected, env) => {
    ns ??= boxWithMacvlans(['eth0v0']);
    const cfg = configDir({ 'srcroute.env': 'TABLE=123\n' });
    const r = ns.run([...hookEnv(env, cfg), 'strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', process.execPath, requireBundle()]);
    expect(r.code, r.stderr).toBe(0);
    const execs = r.stderr.split('\n').filter((l) => l.includes('execve(')).slice(1);
    expect(execs.length, execs.join('\n')).toBe(expected);
    if (expected > 0) expect(execs[0]).toMatch(/"\/usr\/sbin\/ip".*"-batch"/);
    if (/6 \(|ROUTERADVERT/.test(name)) expect(execs[0]).toContain('"-6"');
  });

  it('the dispatcher skips an unchanged ROUTERADVERT without starting any process (no fork, no exec)', () => {
    const state = configDir({});
    mkdirSync(join(state, 'state'), { recursive: true });
    writeFileSync(join(state, 'state', 'eth0v0.ra'), 'pid=18 up=true t=10 r=fe80::1/1 a=2001:db8:1::5/64 p=2001:db8:1::/64/LA/1\n');
    const dispatcher = resolve(__dirname, '../../hooks/dhcpcd.exit-hook');
    const count = (env: Record<string, string>): string[] => {
      const r = run([...hookEnv(env, state), 'strace', '-f', '-qq', '-e', 'trace=execve,clone,clone3,fork,vfork', '-e', 'signal=none', 'sh', '-c', `. ${dispatcher}`]);
      expect(r.code, r.stderr).toBe(0);
      return r.stderr.split('\n').filter((l) => /(execve|clone3?|v?fork)\(/.test(l)).slice(1); // the first is sh itself
    };
    expect(count(RA)).toEqual([]);
    // The control: the same sh starts a process for command substitution, so a fork would be seen.
    const probe = run([...hookEnv(RA, state), 'strace', '-f', '-qq', '-e', 'trace=execve,clone,clone3,fork,vfork', '-e', 'signal=none', 'sh', '-c', `. ${dispatcher}; x=$(true)`]);
    expect(probe.stderr.split('\n').filter((l) => /(clone3?|v?fork)\(/.test(l)).length).toBeGreaterThan(0);
  });
});
