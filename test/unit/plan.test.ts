import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import { readEvent } from '../../src/hook/event.js';
import type { Lease } from '../../src/hook/want.js';
import type { Route } from '../../src/kernel/kernel.js';
import type { OwnedState } from '../../src/hook/kernel-state.js';
import { makeRule, type Rule } from '../../src/kernel/rule.js';
import { addressRules } from '../../src/hook/address-rules.js';
import { desired, desiredFor, heldRules, plan } from '../../src/hook/plan.js';
import { fakeSession } from '../support/fake-deps.js';
import { loadSession, sessionNames } from '../support/fixtures.js';
import { ModelKernel, type Recorded } from '../support/model-kernel.js';
import { tempDir } from '../support/tmp.js';
import { main } from '../../src/cli.js';
import type { Deps } from '../../src/hook/hook.js';
import type { Change } from '../../src/kernel/change.js';
import type { Env } from '../../src/hook/env.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const config: Config = { table: 123, tableName: 'pub', priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true, forward: false, mark: { value: 0x7b000000, mask: 0xff000000 } };
const configFor = (iface: string): Config =>
  iface === 'eth0v1' ? { ...config, table: 124, tableName: 'pub1' } : config;

const lease = (over: Partial<Lease> = {}): Lease => ({ address: '100.64.0.50', prefix: 24, gateway: '100.64.0.1', onlink: false, ...over });
const rule = (from: string, priority = 1000, table = 123): Rule => makeRule({ from: `${from}/32`, table, priority });
/** The block of rules a lease of `from` in 100.64.0.0/24 gets. */
const block = (from: string, net = '100.64.0.0/24'): Rule[] => addressRules(`${from}/32`, [net], 123, 1000);
/** `block` with its source rule replaced. */
const withSource = (from: string, source: Rule[]): Rule[] => [...block(from).slice(0, -1), ...source];
const route = (dst: string, gateway: string | null, over: Partial<Route> = {}): Route => ({
  dst, dev: 'eth0v0', gateway, onlink: false, table: 123, ...over,
});
const bound: OwnedState = {
  rules: block('100.64.0.50'),
  routes: [route('100.64.0.0/24', null), route('0.0.0.0/0', '100.64.0.1')],
};
const empty: OwnedState = { rules: [], routes: [] };
const lines = (state: OwnedState, l: Lease): string[] =>
  plan(desiredFor(l, 'eth0v0', config), state, config).map((c) => c.argv.join(' '));

describe('plan, for a lease', () => {
  it.each<[string, OwnedState, Lease, string[]]>([
    ['a first lease adds the connected route, the default route, then the rules, the source rule last', empty, lease(), [
      'route add 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
      'route add default via 100.64.0.1 dev eth0v0 proto 213 table 123',
      'rule add from 100.64.0.50 to 100.64.0.0/24 lookup 123 priority 998 protocol 213',
      'rule add from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['the same lease again changes nothing', bound, lease(), []],
    ['a new address (no old_*) moves the rules: new first, then the old ones go', bound, lease({ address: '100.64.0.70' }), [
      'rule add from 100.64.0.70 to 100.64.0.0/24 lookup 123 priority 998 protocol 213',
      'rule add from 100.64.0.70 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule add from 100.64.0.70 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule del from 100.64.0.50 to 100.64.0.0/24 lookup 123 priority 998 protocol 213',
    ]],
    ['a new gateway replaces the default route only', bound, lease({ gateway: '100.64.0.2' }), [
      'route replace default via 100.64.0.2 dev eth0v0 proto 213 table 123',
    ]],
    ['a new subnet: new connected route, new default, new rule, then the old ones go',
      bound, lease({ address: '100.64.1.9', gateway: '100.64.1.1' }), [
      'route add 100.64.1.0/24 dev eth0v0 scope link proto 213 table 123',
      'route replace default via 100.64.1.1 dev eth0v0 proto 213 table 123',
      'rule add from 100.64.1.9 to 100.64.1.0/24 lookup 123 priority 998 protocol 213',
      'rule add from 100.64.1.9 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule add from 100.64.1.9 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule del from 100.64.0.50 to 100.64.0.0/24 lookup 123 priority 998 protocol 213',
      'route del 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
    ]],
    ['a duplicated rule loses its copy', { ...bound, rules: withSource('100.64.0.50', [rule('100.64.0.50'), rule('100.64.0.50')]) }, lease(), [
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['a rule of ours at an old priority is moved', { ...bound, rules: withSource('100.64.0.50', [rule('100.64.0.50', 900)]) }, lease(), [
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 123 priority 900 protocol 213',
    ]],
    ['a /32 lease gets no connected route and an onlink gateway', empty, lease({ prefix: 32, onlink: true }), [
      'route add default via 100.64.0.1 dev eth0v0 onlink proto 213 table 123',
      'rule add from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['a classless on-link default is a link-scope default route', empty, lease({ gateway: null }), [
      'route add 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
      'route add default dev eth0v0 scope link proto 213 table 123',
      'rule add from 100.64.0.50 to 100.64.0.0/24 lookup 123 priority 998 protocol 213',
      'rule add from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule add from 100.64.0.50 lookup 123 priority 1000 protocol 213',
    ]],
    ['a route of ours on another interface in this table is taken back', { ...bound, routes: [route('100.64.0.0/24', null), route('0.0.0.0/0', '100.64.0.1', { dev: 'eth9' })] }, lease(), [
      'route replace default via 100.64.0.1 dev eth0v0 proto 213 table 123',
    ]],
  ])('%s', (_, state, l, expected) => {
    expect(lines(state, l)).toEqual(expected);
  });

  it('says what it does in words an admin reads, with the table by name', () => {
    expect(plan(desiredFor(lease(), 'eth0v0', config), empty, config).map((c) => c.says)).toEqual([
      'route 100.64.0.0/24 dev eth0v0 scope link table pub added',
      'route default via 100.64.0.1 dev eth0v0 table pub added',
      'rule from 100.64.0.50 to 100.64.0.0/24 lookup pub pref 998 added',
      'rule from 100.64.0.50 lookup main suppress_prefixlength 0 pref 999 added',
      'rule from 100.64.0.50 lookup pub pref 1000 added',
    ]);
  });

  it.each<[string, OwnedState, Lease, string[]]>([
    ['a first lease: every part missing', empty, lease(), ['connected missing', 'default missing', 'local missing', 'local missing', 'rule missing']],
    ['a new gateway: the default is wrong', bound, lease({ gateway: '100.64.0.2' }), ['default wrong']],
    ['a new address: its rule is missing, the old one stale', bound, lease({ address: '100.64.0.70' }), [
      'local missing', 'local missing', 'rule missing', 'rule stale', 'local stale', 'local stale',
    ]],
    ['a rule at another priority is wrong, both its changes', { ...bound, rules: withSource('100.64.0.50', [rule('100.64.0.50', 900)]) }, lease(), ['rule wrong', 'rule wrong']],
    ['a second copy of the rule is stale', { ...bound, rules: withSource('100.64.0.50', [rule('100.64.0.50'), rule('100.64.0.50')]) }, lease(), ['rule stale']],
  ])('tags each change with the part it is about and what is wrong with it: %s', (_, state, l, expected) => {
    expect(plan(desiredFor(l, 'eth0v0', config), state, config).map((c) => `${c.part} ${c.state}`)).toEqual(expected);
  });
});

describe('plan, when the lease ended', () => {
  const down = (state: OwnedState, addresses: string[] = []) =>
    plan(desired({ kind: 'ended' }, { owned: state, addresses, main: [] }, 'eth0v0', config), state, config);

  it('removes the rules first, then the routes; every delete tolerates what is already gone', () => {
    const changes = down(bound);
    expect(changes.map((c) => c.argv.join(' '))).toEqual([
      'rule del from 100.64.0.50 lookup 123 priority 1000 protocol 213',
      'rule del from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule del from 100.64.0.50 to 100.64.0.0/24 lookup 123 priority 998 protocol 213',
      'route del 100.64.0.0/24 dev eth0v0 scope link proto 213 table 123',
      'route del default via 100.64.0.1 dev eth0v0 proto 213 table 123',
    ]);
    expect(changes.every((c) => c.mayBeGone && c.state === 'stale')).toBe(true);
  });

  it('has nothing to do when nothing is left, and neither has "nothing" wanted', () => {
    expect(down(empty)).toEqual([]);
    expect(plan(desired({ kind: 'nothing' }, { owned: empty, addresses: [], main: [] }, 'eth0v0', config), empty, config)).toEqual([]);
  });

  it('keeps the rule and the routes while the interface still holds the address (dhcpcd `persistent`, STOPPED)', () => {
    expect(heldRules(bound, ['100.64.0.50'], config.mark)).toEqual(block('100.64.0.50'));
    expect(down(bound, ['100.64.0.50'])).toEqual([]);
  });

  it('still removes a rule whose address is gone, and keeps the held one with the routes', () => {
    const two: OwnedState = { ...bound, rules: [rule('100.64.0.49'), ...block('100.64.0.50')] };
    expect(down(two, ['192.168.1.2', '100.64.0.50']).map((c) => c.argv.join(' '))).toEqual(['rule del from 100.64.0.49 lookup 123 priority 1000 protocol 213']);
  });

  it('holds nothing for addresses the interface does not have', () => {
    expect(heldRules(bound, [], config.mark)).toEqual([]);
    expect(heldRules(bound, ['100.64.0.5'], config.mark)).toEqual([]);
  });
});

/** wg-quick's two rules, a mark rule and a `to` rule into srcroute's table, and a copy of srcroute's source rule: none of them srcroute's. */
const FOREIGN_RULES = [
  'rule add from all lookup 254 suppress_prefixlength 0 priority 999',
  'rule add not from all fwmark 0xca6c lookup 51820 priority 999',
  'rule add from all fwmark 0x7b/0xff lookup 123 priority 1000',
  'rule add from 100.64.0.76 to 192.0.2.0/24 lookup 123 priority 998',
  'rule add from 100.64.0.76 lookup 123 priority 1000 protocol 99',
  'rule add from 2001:db8::/32 lookup 254 suppress_prefixlength 0 priority 999',
];

// Every recorded session, each event twice, through the whole hook (main() with the real config
// reader and planner) and a model of the kernel: the plans are golden files, and after every
// event the model holds exactly what it should. IPv6 events read the interface's addresses and
// main's routes from the kernel state recorded beside them.
describe.each(sessionNames())('replay %s', (session) => {
  it('matches the golden plans, converges after each event, repeats as a no-op, and leaves other rules alone', async () => {
    const kernel = new ModelKernel();
    // Other programs' rules with the selectors srcroute uses, at srcroute's own preferences: a
    // delete that names fewer selectors than its rule would take one of these (fib_rules.c).
    const foreign = FOREIGN_RULES.map((argv) => argv.split(' '));
    for (const argv of foreign) kernel.apply(argv);
    const before = structuredClone(kernel.rules);
    const out: string[] = [];
    const configDir = tempDir('srcroute-replay');
    writeFileSync(join(configDir, 'srcroute.env'), 'TABLE=123\n');
    writeFileSync(join(configDir, 'eth0v1.env'), 'TABLE=124\n');
    const run = async (env: Env): Promise<Change[]> => {
      const changes: Change[] = [];
      const deps: Partial<Deps> = {
        configDir,
        ip: (_config, family) =>
          fakeSession(
            async (queries) => queries.map((q) => kernel.answer(q, family)),
            (made) => {
              for (const c of made) {
                kernel.apply(c.argv);
                changes.push({ ...c, argv: family === 6 ? ['-6', ...c.argv] : c.argv });
              }
            },
          ),
        lock: async (_name, _options, critical) => critical(),
        raSignatures: { set: () => {}, clear: () => {} },
        notify: async () => {},
      };
      const err: string[] = [];
      const code = await main([], env, { out: () => {}, err: (l) => err.push(l), uid: 0 }, deps);
      expect(code, err.join('\n')).toBe(0);
      return changes;
    };
    for (const { name, env, state } of loadSession(session)) {
      const event = readEvent(env);
      if (event.action === 'ignore') continue;
      kernel.recorded = (state ?? {}) as Recorded;
      const table = event.iface === 'eth0v1' ? 124 : 123;
      for (const pass of [1, 2]) {
        const changes = await run(env);
        if (pass === 1) out.push(`# ${name} ${event.iface}`, ...changes.map((c) => `ip ${c.argv.join(' ')}`));
        else expect(changes, `${name} again`).toEqual([]);
      }
      const held = kernel.state(table, 4);
      const held6 = kernel.state(table, 6);
      const [want4, want6] = [event.wants[4], event.wants[6]];
      if (want4?.kind === 'lease') {
        const want = desiredFor(want4.lease, event.iface, configFor(event.iface));
        expect(held.rules, name).toEqual(want.rules);
        expect(new Set(held.routes.map((r) => JSON.stringify(r))), name).toEqual(new Set(want.routes.map((r) => JSON.stringify(r))));
      } else if (want4?.kind === 'ended') {
        expect(held, name).toEqual(empty);
        if (want6) expect(held6, `${name} ends IPv6 too`).toEqual(empty);
      } else if (want6?.kind === 'follow') {
        // Every global address the interface holds has its rule while a router is known, and only then.
        const router = held6.routes.filter((r) => r.dst === '::/0');
        const recorded = (kernel.recorded.addr6 ?? []).filter((l) => l.ifname === event.iface).flatMap((l) => l.addr_info).filter((a) => a.scope === 'global').map((a) => `${a.local as string}/128`);
        const expected = recorded.filter((a) => !want6.news.lost.includes(a.slice(0, -4))).sort();
        expect(router.length, `${name}: one default route at most`).toBeLessThanOrEqual(1);
        const sources = held6.rules.filter((r) => r.table === table && r.to === '::/0');
        if (router.length === 1) expect(sources.map((r) => r.from).filter((a) => expected.includes(a)).sort(), name).toEqual(expected);
        else expect(held6, `${name}: no router, nothing`).toEqual(empty);
        expect(sources.every((r) => r.priority === 1000), name).toBe(true);
        expect(held6.rules.every((r) => r.priority >= 998 && r.priority <= 1000 && [table, 254].includes(r.table)), name).toBe(true);
      }
    }
    await expect(`${out.join('\n')}\n`).toMatchFileSnapshot(`../golden/plans/${session}.txt`);
    expect(kernel.rules.filter((r) => r.protocol !== 213)).toEqual(before);
  });
});
