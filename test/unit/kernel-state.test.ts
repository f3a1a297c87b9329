// What srcroute owns, from ip's own JSON (these answers are copied from iproute2 6.1 in a netns).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import fc from 'fast-check';
import { parseAddresses, parseMetricRoutes } from '../../src/kernel/kernel.js';
import { makeRule, parseRules } from '../../src/kernel/rule.js';
import { kernelStateOf, ownedQueries, queriesFor, readOf, type Scope } from '../../src/hook/kernel-state.js';
import type { Want } from '../../src/hook/want.js';
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

const leaseWant = { kind: 'lease' as const, lease: { address: '100.64.0.50', prefix: 24, gateway: '100.64.0.1', onlink: false } };
const owned = (scope: Scope) => {
  const answers = scope.table === 'all' ? [rules, routes] : [rules, [], routes, [{ ifname: 'eth0v0' }]];
  return kernelStateOf(readOf(leaseWant, answers, config, scope, 4), scope, config, 4).owned;
};

describe('kernelStateOf, from the hook\'s answers', () => {
  it("keeps our rules (by protocol) and our table's routes", () => {
    expect(owned({ iface: 'eth0v0', table: 123 })).toEqual({
      rules: [makeRule({ from: '100.64.0.50/32', table: 123, priority: 1000 })],
      routes: [
        { dst: '0.0.0.0/0', dev: 'eth0v0', gateway: '100.64.0.1', onlink: false, table: 123 },
        { dst: '100.64.0.0/24', dev: 'eth0v0', gateway: null, onlink: false, table: 123 },
      ],
    });
  });

  it('for flush, every table', () => {
    const state = owned({ iface: '', table: 'all' });
    expect(state.rules).toHaveLength(1);
    expect(state.routes.map((r) => `${r.table} ${r.dst} ${r.onlink}`)).toEqual(['123 0.0.0.0/0 false', '123 100.64.0.0/24 false', '124 0.0.0.0/0 true']);
  });
});

// One picture of one kernel: what the hook reads with its narrow questions and what check reads
// from a whole dump become the same plan input (the parts of it the plan uses for that want).
describe('the hook\'s questions and a whole dump agree', () => {
  const v4 = (n: number): string => `100.64.${n >> 8}.${n & 255}`;
  const rule = fc.record({
    priority: fc.integer({ min: 1, max: 32765 }),
    src: fc.oneof(fc.constant('all'), fc.integer({ min: 0, max: 511 }).map(v4)),
    table: fc.constantFrom('123', '124', '254'),
    protocol: fc.constantFrom('213', undefined, '99'),
  }).map(({ protocol, ...r }) => (protocol === undefined ? r : { ...r, protocol }));
  const route = fc.record({
    dst: fc.oneof(fc.constant('default'), fc.integer({ min: 0, max: 511 }).map((n) => `${v4(n & ~255)}/24`)),
    dev: fc.constantFrom('eth0v0', 'eth0v1', 'lan0'),
    table: fc.constantFrom('123', '124', undefined),
    protocol: fc.constantFrom('213', 'kernel', 'boot'),
  });
  const devices = ['eth0v0', 'eth0v1', 'lan0'];
  const addressDump = (held: string[][]) => devices.map((ifname, i) => ({ ifname, addr_info: held[i]!.map((local) => ({ local, prefixlen: 24 })) }));
  const table = (r: { table?: string }): string => r.table ?? '254';
  const ownRoutes = (all: { protocol: string }[]) => all.filter((r) => r.protocol === '213').map(({ protocol: _, ...r }) => r);

  it.each(['lease', 'ended', 'nothing'] as const)('for %s', (kind) => {
    const want: Want = kind === 'lease' ? leaseWant : { kind };
    const scope: Scope = { iface: 'eth0v0', table: 123 };
    fc.assert(fc.property(fc.array(rule), fc.array(route), fc.array(fc.array(fc.integer({ min: 0, max: 511 }).map(v4)), { minLength: 3, maxLength: 3 }), (rs, routes_, held) => {
      const dump = { rules: parseRules(rs, 4), routes: parseMetricRoutes(routes_, 4), addresses: parseAddresses(addressDump(held)) };
      const asked = queriesFor(want, config, scope).map((q) => q.join(' '));
      const answer = (q: string): unknown => {
        if (q === 'rule show table 123') return rs.filter((r) => table(r) === '123');
        if (q === 'rule show table main') return rs.filter((r) => table(r) === '254');
        if (q === 'route show table all proto 213') return ownRoutes(routes_);
        if (q === 'address show') return addressDump(held);
        if (q === 'link show dev eth0v0') return [{ ifname: 'eth0v0' }];
        throw new Error(q);
      };
      const narrow = readOf(want, asked.map(answer), config, scope, 4);
      const a = kernelStateOf(narrow, scope, config, 4);
      const b = kernelStateOf(dump, scope, config, 4);
      expect(a.owned).toEqual(b.owned);
      if (kind === 'ended') expect(a.addresses).toEqual(b.addresses);
    }));
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
  it('what srcroute owns; a lease: that the link exists; its end: every address; IPv6: main\'s routes on the interface and its addresses', () => {
    const scope: Scope = { iface: 'eth0v0', table: 123 };
    const base = ownedQueries(config, scope).map((q) => q.join(' '));
    expect(base).toEqual(['rule show table 123', 'rule show table main', 'route show table all proto 213']);
    expect(ownedQueries(config, { iface: '', table: 'all' }).map((q) => q.join(' '))).toEqual(['rule show', 'route show table all proto 213']);
    const asked = (want: Want) => queriesFor(want, config, scope).map((q) => q.join(' '));
    expect(asked({ kind: 'nothing' })).toEqual(base);
    expect(asked(leaseWant)).toEqual([...base, 'link show dev eth0v0']);
    expect(asked({ kind: 'ended' })).toEqual([...base, 'address show']);
    expect(asked({ kind: 'follow', news: { held: [], lost: [] } })).toEqual([...base, 'route show table main dev eth0v0', 'addr show dev eth0v0 scope global']);
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
    const o = await runMain(stopped, { configDir, answers: [rules, [], routes, addresses] });
    expect(o.code).toBe(0);
    expect(o.changes).toEqual([]);
    expect(o.err).toEqual(['srcroute[eth0v0] STOPPED: 100.64.0.50 stays on eth0v0 (the DHCP client keeps it configured): its rules and routes stay']);
  });

  it('removes them once the address is gone', async () => {
    const gone = addresses.filter((a) => a.ifname !== 'eth0v0');
    const o = await runMain(stopped, { configDir, answers: [rules, [], routes, gone] });
    expect(o.code).toBe(0);
    expect(o.changes.map((c) => c.says)).toEqual([
      'rule from 100.64.0.50 lookup pub pref 1000 removed',
      'route default via 100.64.0.1 dev eth0v0 table pub removed',
      'route 100.64.0.0/24 dev eth0v0 scope link table pub removed',
    ]);
  });
});
