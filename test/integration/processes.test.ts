// dhcpcd waits for its hook, and every process the hook starts costs about a tenth of Node's
// own start (issue #5). So the count is part of the contract: one `ip` per event that reads or
// changes the kernel, none for an ignored reason. Counted with strace on the built bundle.
import { afterAll, describe, expect, it } from 'vitest';
import { configDir, hookEnv, requireBundle } from '../support/bundle.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';

const ok = prerequisites('process count', ['root', 'ip', 'strace']);

const lease = { interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' };
const old = { old_ip_address: '100.64.0.50', old_subnet_cidr: '24', old_routers: '100.64.0.1' };

describe.skipIf(!ok)('processes started per event', () => {
  let ns: Netns | undefined;
  afterAll(() => ns?.destroy());

  it.each<[string, number, Record<string, string>]>([
    ['BOUND (changes the kernel)', 1, { reason: 'BOUND', ...lease }],
    ['RENEW (changes nothing)', 1, { reason: 'RENEW', ...lease, ...old }],
    ['EXPIRE (removes)', 1, { reason: 'EXPIRE', interface: 'eth0v0', ...old }],
    ['PREINIT (ignored)', 0, { reason: 'PREINIT', interface: 'eth0v0' }],
  ])('%s: %i', (_, expected, env) => {
    ns ??= boxWithMacvlans(['eth0v0']);
    const cfg = configDir({ 'srcroute.env': 'TABLE=123\n' });
    const r = ns.run([...hookEnv(env, cfg), 'strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', process.execPath, requireBundle()]);
    expect(r.code, r.stderr).toBe(0);
    const execs = r.stderr.split('\n').filter((l) => l.includes('execve(')).slice(1);
    expect(execs.length, execs.join('\n')).toBe(expected);
    if (expected > 0) expect(execs[0]).toMatch(/"\/usr\/sbin\/ip".*"-batch"/);
  });
});
