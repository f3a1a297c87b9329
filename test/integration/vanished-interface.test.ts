// A hook event for an interface that is gone (its link deleted under the DHCP client, as an
// uninstall or `ip link del` does), on the built bundle and a real kernel: a `from ADDR` rule
// belongs to no device and outlives it, so a down event must remove every rule srcroute holds for
// that interface's table and its addresses, in both families, and succeed; an up event says so
// in one line and succeeds (the client calls again when the link is back). Before: the IPv6
// hook's questions named the device and failed (exit 1), the IPv4 up event failed on its routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDir, requireBundle, runBundle } from '../support/bundle.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';

const ok = prerequisites('a vanished interface', ['root', 'ip']);
const BOUND = { reason: 'BOUND', interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' };
const RA = {
  reason: 'ROUTERADVERT', interface: 'eth0v0', nd1_from: 'fe80::1', nd1_lifetime: '1800', nd1_addr1: '2001:db8:1::5/64',
  nd1_prefix_information1_prefix: '2001:db8:1::', nd1_prefix_information1_length: '64', nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '3600',
};
const GONE = /^srcroute\[eth0v0\] \w+: eth0v0 does not exist \(any more\): srcroute holds nothing for it$/;

let ns: Netns;
let cfg: string;
const owned = (family: '-4' | '-6'): unknown[] => ns.json<{ protocol?: string }>(family, '-N', 'rule', 'show').filter((r) => r.protocol === '213');

/** eth0v0 routed in both families, then deleted. */
function routedThenGone(): void {
  ns.run(['ip', 'link', 'add', 'link', 'eth0', 'name', 'eth0v0', 'type', 'macvlan', 'mode', 'private']);
  ns.ip('link', 'set', 'eth0v0', 'up');
  ns.ip('addr', 'add', '100.64.0.50/24', 'dev', 'eth0v0');
  ns.ip('-6', 'addr', 'add', '2001:db8:1::5/64', 'dev', 'eth0v0', 'nodad');
  for (const env of [BOUND, RA]) expect(runBundle(ns, env, cfg).code).toBe(0);
  expect(owned('-4')).toHaveLength(3);
  expect(owned('-6')).toHaveLength(3);
  ns.ip('link', 'del', 'eth0v0');
}

describe.skipIf(!ok)('an event for an interface that is gone', () => {
  beforeAll(() => {
    requireBundle();
    ns = boxWithMacvlans([]);
    cfg = configDir({ 'srcroute.env': 'TABLE=123\n' });
  });
  afterAll(() => ns?.destroy());

  it.each([
    ['STOP6', { reason: 'STOP6', interface: 'eth0v0', old_dhcp6_ia_na1_ia_addr1: '2001:db8:1::5' }, '-6'],
    ['EXPIRE6', { reason: 'EXPIRE6', interface: 'eth0v0', old_dhcp6_ia_na1_ia_addr1: '2001:db8:1::5' }, '-6'],
    ['EXPIRE', { reason: 'EXPIRE', interface: 'eth0v0', old_ip_address: '100.64.0.50', old_subnet_cidr: '24', old_routers: '100.64.0.1' }, '-4'],
    ['DEPARTED (both families)', { reason: 'DEPARTED', interface: 'eth0v0' }, 'both'],
  ] as const)('%s removes what srcroute held for it and succeeds', (_, env, family) => {
    routedThenGone();
    const r = runBundle(ns, env, cfg);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/error|failed|Cannot find/i);
    for (const f of family === 'both' ? (['-4', '-6'] as const) : [family]) expect(owned(f), `${f} rules`).toEqual([]);
    // the other family's down event clears the rest
    const rest = family === '-6' ? { reason: 'EXPIRE', interface: 'eth0v0' } : { reason: 'STOP6', interface: 'eth0v0' };
    expect(runBundle(ns, rest, cfg).code).toBe(0);
    expect([...owned('-4'), ...owned('-6')]).toEqual([]);
  });

  it.each([
    ['BOUND', BOUND],
    ['ROUTERADVERT', RA],
  ])('%s for it says so in one line and succeeds, and holds nothing', (_, env) => {
    routedThenGone();
    const r = runBundle(ns, env, cfg);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => GONE.test(l)), r.stderr).toHaveLength(1);
    expect(r.stderr).not.toMatch(/error|failed|warning/i);
    expect(owned(env.reason === 'BOUND' ? '-4' : '-6')).toEqual([]);
  });
});
