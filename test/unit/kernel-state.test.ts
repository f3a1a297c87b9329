// What srcroute owns, from ip's own JSON (these answers are copied from iproute2 6.1 in a netns).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import { parseAddresses } from '../../src/kernel/kernel.js';
import { kernelOf, ownedQueries, queriesFor } from '../../src/hook/kernel-state.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMain } from '../support/fake-deps.js';
import { tempDir } from '../support/tmp.js';

const config: Config = { table: 123, tableName: 'pub', priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true };

// `ip -4 -N -j rule show table 123`: ours has "protocol", a foreign one does not.
const rules = [
  { priority: 500, src: '192.0.2.1', table: '123' },
  { priority: 1000, src: '100.64.0.50', table: '123', protocol: '213' },
  { priority: 1000, src: '192.0.2.2', table: '123' },
];
// `ip -4 -N -j route show table all proto 213`: ip filters by protocol and leaves it out.
const routes = [
  { dst: 'default', gateway: '100.64.0.1', dev: 'eth0v0', table: '123', flags: [] },
  { dst: '100.64.0.0/24', dev: 'eth0v0', table: '123', scope: '253', flags: [] },
  { dst: 'default', gateway: '100.64.0.2', dev: 'eth0v1', table: '124', flags: ['onlink'] },
];

const owned = (table: number | 'all') => kernelOf({ kind: 'lease', lease: { address: '100.64.0.50', prefix: 24, gateway: '100.64.0.1', onlink: false } }, [rules, routes], config, 'eth0v0', 4, table).owned;

describe('kernelOf', () => {
  it("keeps our rules (by protocol) and our table's routes", () => {
    expect(owned(123)).toEqual({
      rules: [{ from: '100.64.0.50/32', table: 123, priority: 1000 }],
      routes: [
        { dst: '0.0.0.0/0', dev: 'eth0v0', gateway: '100.64.0.1', onlink: false, table: 123 },
        { dst: '100.64.0.0/24', dev: 'eth0v0', gateway: null, onlink: false, table: 123 },
      ],
    });
  });

  it('for flush, every table', () => {
    const state = owned('all');
    expect(state.rules).toHaveLength(1);
    expect(state.routes.map((r) => `${r.table} ${r.dst} ${r.onlink}`)).toEqual(['123 0.0.0.0/0 false', '123 100.64.0.0/24 false', '124 0.0.0.0/0 true']);
  });
});

// `ip -4 -N -j address show` (iproute2 6.1): a macvlan that kept its leased address, the LAN.
const addresses = [
  { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 4, ifname: 'eth0v0', link: 'eth0', addr_info: [{ family: 'inet', local: '100.64.0.50', prefixlen: 24, dynamic: true, label: 'eth0v0' }] },
  { ifindex: 5, ifname: 'lan0', addr_info: [{ family: 'inet', local: '192.168.77.2', prefixlen: 24 }] },
  { ifindex: 6, ifname: 'eth0v1', addr_info: [] },
];

describe('what the hook asks, by what it wants', () => {
  it('a lease: what srcroute owns; its end: every address too; IPv6: main\'s routes on the interface and its addresses', () => {
    const base = ownedQueries(config, 123).map((q) => q.join(' '));
    expect(base).toEqual(['rule show table 123', 'route show table all proto 213']);
    const asked = (kind: 'ended' | 'nothing') => queriesFor({ kind }, config, 'eth0v0').map((q) => q.join(' '));
    expect(asked('nothing')).toEqual(base);
    expect(asked('ended')).toEqual([...base, 'address show']);
    expect(queriesFor({ kind: 'follow', news: { held: [], lost: [] } }, config, 'eth0v0').map((q) => q.join(' '))).toEqual([...base, 'route show table main dev eth0v0', 'addr show dev eth0v0 scope global']);
  });
});

describe('parseAddresses, as the hook reads it on a lease end', () => {
  it("the interface's IPv4 addresses; none for one without any, or gone", () => {
    const held = parseAddresses(addresses);
    expect(held.get('eth0v0')).toEqual(['100.64.0.50']);
    expect(held.get('eth0v1')).toEqual([]);
    expect(held.get('eth9')).toBeUndefined();
  });
});

describe('the hook on a lease end', () => {
  // IPV6=no: the fake kernel answers both families alike, and STOPPED ends the IPv6 side too
  const configDir = tempDir('srcroute-state');
  writeFileSync(join(configDir, 'srcroute.env'), 'IPV6=no\n');
  const stopped = { reason: 'STOPPED', interface: 'eth0v0', protocol: 'link' };

  it('asks which addresses the interface holds, and keeps rule and routes while it holds the address', async () => {
    const o = await runMain(stopped, { configDir, answers: [rules, routes, addresses] });
    expect(o.code).toBe(0);
    expect(o.changes).toEqual([]);
    expect(o.err).toEqual(['srcroute[eth0v0] STOPPED: 100.64.0.50 stays on eth0v0 (the DHCP client keeps it configured): its rule and routes stay']);
  });

  it('removes them once the address is gone', async () => {
    const gone = addresses.filter((a) => a.ifname !== 'eth0v0');
    const o = await runMain(stopped, { configDir, answers: [rules, routes, gone] });
    expect(o.code).toBe(0);
    expect(o.changes.map((c) => c.says)).toEqual([
      'rule from 100.64.0.50 lookup pub pref 1000 removed',
      'route default via 100.64.0.1 dev eth0v0 table pub removed',
      'route 100.64.0.0/24 dev eth0v0 scope link table pub removed',
    ]);
  });
});
