import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import { readEvent, type Lease } from '../../src/hook/event.js';
import type { OwnedState, Route, Rule } from '../../src/kernel/kernel.js';
import { desiredFor, planDown, planUp } from '../../src/hook/plan.js';
import { loadSession, sessionNames } from '../support/fixtures.js';
import { ModelKernel } from '../support/model-kernel.js';

const config: Config = { table: 123, tableName: 'pub', priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true };
const configFor = (iface: string): Config =>
  iface === 'eth0v1' ? { ...config, table: 124, tableName: 'pub1' } : config;

const lease = (over: Partial<Lease> = {}): Lease => ({ address: '100.64.0.50', prefix: 24, gateway: '100.64.0.1', onlink: false, ...over });
const rule = (from: string, priority = 1000, table = 123): Rule => ({ from: `${from}/32`, table, priority });
const route = (dst: string, gateway: string | null, over: Partial<Route> = {}): Route => ({
  dst, dev: 'eth0v0', gateway, onlink: false, table: 123, ...over,
});
const bound: OwnedState = {
  rules: [rule('100.64.0.50')],
  routes: [route('100.64.0.0/24', null), route('0.0.0.0/0', '100.64.0.1')],
};
const empty: OwnedState = { rules: [], routes: [] };
const lines = (state: OwnedState, l: Lease): string[] =>
  planUp(desiredFor(l, 'eth0v0', config), state, config).map((c) => c.argv.join(' '));

describe('planUp', () => {
  it.each<[string, OwnedState, Lease, string[]]>([
    ['a first lease adds the connected route, the default route, then the rule', empty, lease(), [
      'route add 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
      'route add default via 100.64.0.1 dev eth0v0 proto 213 table 123',
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['the same lease again changes nothing', bound, lease(), []],
    ['a new address (no old_*) moves the rule: new first, then the old one goes', bound, lease({ address: '100.64.0.70' }), [
      'rule add from 100.64.0.70 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['a new gateway replaces the default route only', bound, lease({ gateway: '100.64.0.2' }), [
      'route replace default via 100.64.0.2 dev eth0v0 proto 213 table 123',
    ]],
    ['a new subnet: new connected route, new default, new rule, then the old ones go',
      bound, lease({ address: '100.64.1.9', gateway: '100.64.1.1' }), [
      'route add 100.64.1.0/24 dev eth0v0 scope link proto 213 table 123',
      'route replace default via 100.64.1.1 dev eth0v0 proto 213 table 123',
      'rule add from 100.64.1.9 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      'route del 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
    ]],
    ['a duplicated rule loses its copy', { ...bound, rules: [rule('100.64.0.50'), rule('100.64.0.50')] }, lease(), [
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['a rule of ours at an old priority is moved', { ...bound, rules: [rule('100.64.0.50', 900)] }, lease(), [
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 123 priority 900 protocol 213',
    ]],
    ['a /32 lease gets no connected route and an onlink gateway', empty, lease({ prefix: 32, onlink: true }), [
      'route add default via 100.64.0.1 dev eth0v0 onlink proto 213 table 123',
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['a classless on-link default is a link-scope default route', empty, lease({ gateway: null }), [
      'route add 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
      'route add default dev eth0v0 scope link proto 213 table 123',
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['a route of ours on another interface in this table is taken back', { ...bound, routes: [route('100.64.0.0/24', null), route('0.0.0.0/0', '100.64.0.1', { dev: 'eth9' })] }, lease(), [
      'route replace default via 100.64.0.1 dev eth0v0 proto 213 table 123',
    ]],
  ])('%s', (_, state, l, expected) => {
    expect(lines(state, l)).toEqual(expected);
  });

  it('says what it does in words an admin reads, with the table by name', () => {
    expect(planUp(desiredFor(lease(), 'eth0v0', config), empty, config).map((c) => c.says)).toEqual([
      'route 100.64.0.0/24 dev eth0v0 scope link table pub added',
      'route default via 100.64.0.1 dev eth0v0 table pub added',
      'rule from 100.64.0.50 lookup pub pref 1000 added',
    ]);
  });
});

describe('planDown', () => {
  it('removes the rule first, then the routes, and tolerates routes the kernel already flushed', () => {
    const changes = planDown(bound, config);
    expect(changes.map((c) => c.argv.join(' '))).toEqual([
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      'route del 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
      'route del default via 100.64.0.1 dev eth0v0 proto 213 table 123',
    ]);
    expect(changes.filter((c) => c.mayBeGone).length).toBe(2);
  });

  it('has nothing to do when nothing is left', () => {
    expect(planDown(empty, config)).toEqual([]);
  });
});

// Every recorded session, each event twice, through the planner and a model of the kernel:
// the plans are golden files, and after every event the model holds exactly what it should.
describe.each(sessionNames())('replay %s', (session) => {
  it('matches the golden plans, converges after each event, and repeats as a no-op', async () => {
    const kernel = new ModelKernel();
    const out: string[] = [];
    for (const { name, env } of loadSession(session)) {
      const event = readEvent(env);
      if (event.action === 'ignore') continue;
      const cfg = configFor(event.iface);
      for (const pass of [1, 2]) {
        const state = kernel.state(cfg.table);
        const changes = event.action === 'up' ? planUp(desiredFor(event.lease, event.iface, cfg), state, cfg) : planDown(state, cfg);
        if (pass === 1) out.push(`# ${name} ${event.iface}`, ...changes.map((c) => `ip ${c.argv.join(' ')}`));
        else expect(changes, `${name} again`).toEqual([]);
        changes.forEach((c) => kernel.apply(c.argv));
      }
      const held = kernel.state(cfg.table);
      if (event.action === 'up') {
        const want = desiredFor(event.lease, event.iface, cfg);
        expect(held.rules, name).toEqual(want.rules);
        expect(new Set(held.routes.map((r) => JSON.stringify(r))), name).toEqual(new Set(want.routes.map((r) => JSON.stringify(r))));
      } else {
        expect(held, name).toEqual(empty);
      }
    }
    await expect(`${out.join('\n')}\n`).toMatchFileSnapshot(`../golden/plans/${session}.txt`);
  });
});
