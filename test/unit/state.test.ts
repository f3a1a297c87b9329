// What srcroute owns, from ip's own JSON (these answers are copied from iproute2 6.1 in a netns).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import { stateOf } from '../../src/hook/state.js';

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

describe('stateOf', () => {
  it("keeps our rules (by protocol) and our table's routes", () => {
    expect(stateOf([rules, routes], config, 123)).toEqual({
      rules: [{ from: '100.64.0.50/32', table: 123, priority: 1000 }],
      routes: [
        { dst: '0.0.0.0/0', dev: 'eth0v0', gateway: '100.64.0.1', onlink: false, table: 123 },
        { dst: '100.64.0.0/24', dev: 'eth0v0', gateway: null, onlink: false, table: 123 },
      ],
    });
  });

  it('for flush, every table', () => {
    const state = stateOf([rules, routes], config, 'all');
    expect(state.rules).toHaveLength(1);
    expect(state.routes.map((r) => `${r.table} ${r.dst} ${r.onlink}`)).toEqual(['123 0.0.0.0/0 false', '123 100.64.0.0/24 false', '124 0.0.0.0/0 true']);
  });
});
