// FORWARD: the interface's mark rules in the hook's plan (address-rules.ts, plan.ts), on and off,
// and which rules into main belong to which interface (claimed). Golden plans in test/golden/plans.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import type { Lease } from '../../src/hook/want.js';
import type { OwnedState } from '../../src/hook/kernel-state.js';
import { desiredFor, decide, heldRules, plan } from '../../src/hook/plan.js';
import { desired6 } from '../../src/hook/plan6.js';
import { markRules } from '../../src/hook/address-rules.js';
import { MAIN_TABLE, type Route } from '../../src/kernel/kernel.js';
import { makeRule, ruleWords, type SeenRule } from '../../src/kernel/rule.js';
import { golden } from '../support/golden.js';

const mark = { value: 0x7b000000, mask: 0xff000000 };
const off: Config = { table: 123, tableName: 'pub', priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true, forward: false, mark };
const on: Config = { ...off, forward: true };
const other: Config = { ...on, table: 124, tableName: 'pub1', mark: { value: 0x7c000000, mask: 0xff000000 } };
const lease = (address = '100.64.0.50'): Lease => ({ address, prefix: 24, gateway: '100.64.0.1', onlink: false });
const empty: OwnedState = { rules: [], routes: [] };
const argvs = (state: OwnedState, l: Lease, config: Config): string[] =>
  plan(desiredFor(l, 'eth0v0', config), state, config).map((c) => c.argv.join(' '));
const held = (l: Lease, config: Config): OwnedState => desiredFor(l, 'eth0v0', config);
const seen = (state: OwnedState): SeenRule[] => state.rules.map((r) => ({ ...r, protocol: 213 }));

describe('FORWARD in the plan', () => {
  it('golden: on, a first lease; a renumbering keeps the mark rules; turned off, they go', () => {
    const text = [
      ['FORWARD=yes, first lease', argvs(empty, lease(), on)],
      ['FORWARD=yes, new address', argvs(held(lease(), on), lease('100.64.0.70'), on)],
      ['FORWARD=yes, same lease again', argvs(held(lease(), on), lease(), on)],
      ['FORWARD=no after yes', argvs(held(lease(), on), lease(), off)],
      ['FORWARD=no, first lease', argvs(empty, lease(), off)],
    ].map(([what, lines]) => `# ${what}\n${(lines as string[]).join('\n')}\n`).join('\n');
    expect(text).toBe(golden('plans/forward.txt', text));
  });

  it('golden, IPv6: on, a first RA; a renumbering keeps the mark rules; turned off, they go', () => {
    const advert = { router: 'fe80::1', onlink: ['2001:db8:1::/64'] };
    const news = { advert, held: [], lost: [] };
    const want6 = (address: string, config: Config) =>
      desired6(news, { owned: empty, addresses: [address], main: [] }, 'eth0v0', config);
    const argvs6 = (state: OwnedState, address: string, config: Config): string[] =>
      plan(want6(address, config), state, config).map((c) => c.argv.join(' '));
    const text = [
      ['FORWARD=yes, first RA', argvs6(empty, '2001:db8:1::50', on)],
      ['FORWARD=yes, new address', argvs6(want6('2001:db8:1::50', on), '2001:db8:1::70', on)],
      ['FORWARD=yes, same RA again', argvs6(want6('2001:db8:1::50', on), '2001:db8:1::50', on)],
      ['FORWARD=no after yes', argvs6(want6('2001:db8:1::50', on), '2001:db8:1::50', off)],
    ].map(([what, lines]) => `# ${what}\n${(lines as string[]).join('\n')}\n`).join('\n');
    expect(text).toBe(golden('plans/forward6.txt', text));
  });

  it('the mark rules come first in the block, before the subnet rule at 998, per family', () => {
    expect(markRules(4, mark, 123, 1000).map((r) => `${r.priority}: ${ruleWords(r).join(' ')}`)).toEqual([
      '996: from all fwmark 0x7b000000/0xff000000 lookup 254 suppress_prefixlength 0',
      '997: from all fwmark 0x7b000000/0xff000000 lookup 123',
    ]);
    expect(markRules(6, mark, 123, 1000).map((r) => r.from)).toEqual(['::/0', '::/0']);
  });

  it('IPv6 follows the same switch: one pair of mark rules, whatever the addresses', () => {
    const kernel = { owned: empty, addresses: ['2001:db8:1::50', '2001:db8:1::51'], main: [] };
    const news = { advert: { router: 'fe80::1', onlink: ['2001:db8:1::/64'] }, held: [], lost: [] };
    const marked = (c: Config) => desired6(news as never, kernel, 'eth0v0', c).rules.filter((r) => r.fwmark !== null);
    expect(marked(on).map((r) => [r.from, r.table, r.priority])).toEqual([['::/0', MAIN_TABLE, 996], ['::/0', 123, 997]]);
    expect(marked(off)).toEqual([]);
  });

  it('the mark rules stay while an address is held after the lease ended, and go with the last', () => {
    const state = held(lease(), on);
    expect(heldRules(state, ['100.64.0.50'], on.mark).filter((r) => r.fwmark !== null)).toHaveLength(2);
    expect(heldRules(state, [], on.mark)).toEqual([]);
  });

  it('claimed: a mark rule into main belongs to the interface with that mark, not to every interface', () => {
    const mine = held(lease(), on);
    const theirs = desiredFor(lease('100.64.0.51'), 'eth0v1', other);
    const routes: (Route & { protocol: number; metric: number; nhid: null })[] = [];
    const read = { rules: seen({ rules: [...mine.rules, ...theirs.rules], routes: [] }), routes, addresses: new Map() };
    const scope = { iface: 'eth0v0', table: 123 } as const;
    // both interfaces converged: nothing to do for either, none of the other's rules touched
    expect(decide({ kind: 'lease', lease: lease() }, read, scope, on, 4).changes.filter((c) => c.argv[0] === 'rule')).toEqual([]);
    // FORWARD=no on eth0v0: its own mark rules go, eth0v1's (mark 0x7c000000, from all too) stay
    const mineOff = decide({ kind: 'lease', lease: lease() }, read, scope, off, 4).changes.filter((c) => c.argv[0] === 'rule');
    expect(mineOff.map((c) => c.argv.join(' '))).toEqual([
      'rule del from all fwmark 0x7b000000/0xff000000 lookup 123 priority 997 protocol 213',
      'rule del from all fwmark 0x7b000000/0xff000000 lookup 254 suppress_prefixlength 0 priority 996 protocol 213',
    ]);
  });

  it('the lease ended with the address held (STOPPED, persistent): the other interface\'s mark rule is not wanted here', () => {
    // a real Debian 13 boot, two FORWARD=yes macvlans: each STOPPED tried to add the other's (`File exists`)
    const mine = held(lease(), on);
    const theirs = desiredFor(lease('100.64.0.51'), 'eth0v1', other);
    const routes: (Route & { protocol: number; metric: number; nhid: null })[] = [];
    const read = { rules: seen({ rules: [...mine.rules, ...theirs.rules], routes: [] }), routes, addresses: new Map([['eth0v0', ['100.64.0.50']]]) };
    const scope = { iface: 'eth0v0', table: 123 } as const;
    const changes = decide({ kind: 'ended' }, read as never, scope, on, 4).changes.filter((c) => c.argv[0] === 'rule');
    expect(changes.map((c) => c.argv.join(' '))).toEqual([]);
  });

  it('a mark rule says which part it is and names its mark', () => {
    const c = plan(desiredFor(lease(), 'eth0v0', on), empty, on).filter((x) => x.argv.includes('fwmark'));
    expect(c.map((x) => [x.part, x.subject, x.says])).toEqual([
      ['local', 'fwmark 0x7b000000/0xff000000', 'rule from all fwmark 0x7b000000/0xff000000 lookup main suppress_prefixlength 0 pref 996 added'],
      ['rule', 'fwmark 0x7b000000/0xff000000', 'rule from all fwmark 0x7b000000/0xff000000 lookup pub pref 997 added'],
    ]);
    expect(makeRule({ from: '0.0.0.0/0', table: 1, priority: 1 }).fwmark).toBeNull();
  });
});
