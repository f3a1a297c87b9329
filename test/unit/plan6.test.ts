// The pure IPv6 plan, case by case (shared/notes/ipv6.md's edge cases); whole recorded sessions
// replay in plan.test.ts.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import type { News6 } from '../../src/hook/want.js';
import { plan as planOf } from '../../src/hook/plan.js';
import { desired6 } from '../../src/hook/plan6.js';
import type { KernelState as Kernel6, OwnedState } from '../../src/hook/kernel-state.js';
import type { DevRoute } from '../../src/kernel/kernel.js';

const config: Config = { table: 123, tableName: 'pub', priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true };
const none: OwnedState = { rules: [], routes: [] };
const raDefault = (gateway: string, metric = 1024): DevRoute => ({ dst: '::/0', gateway, onlink: false, protocol: 9, metric, nhid: null });
const prefixRoute = (dst: string, protocol = 9): DevRoute => ({ dst, gateway: null, onlink: false, protocol, metric: 256, nhid: null });
/** dhcpcd (nogateway) leaves its on-link prefix route in main, `proto ra` (recorded). */
const kernel = (over: Partial<Kernel6> = {}): Kernel6 => ({ addresses: [], main: [prefixRoute('2001:db8:1::/64')], owned: none, ...over });
const ra = (router: string | null, onlink: string[] = ['2001:db8:1::/64'], held: string[] = ['2001:db8:1::5']): News6 => ({
  advert: { router, onlink }, held, lost: [],
});
const dhcp = (held: string[], lost: string[] = []): News6 => ({ held, lost });
const ours = (k: Kernel6, n: News6): OwnedState => {
  const want = desired6(n, k, 'eth0v0', config);
  return { rules: want.rules, routes: want.routes };
};
/** The plan's routes and source rules (each address's local-networks rules: the test below and plan.test.ts). */
const plan = (n: News6, k: Kernel6): string[] =>
  planOf(desired6(n, k, 'eth0v0', config), k.owned, config).filter((c) => c.part !== 'local').map((c) => c.argv.join(' '));

describe('desired6 and its plan', () => {
  it("gives each address the block of rules before its source rule: the on-link prefixes into the table, main's own networks to main", () => {
    const changes = planOf(desired6(ra('fe80::1'), kernel({ addresses: ['2001:db8:1::1e7'] }), 'eth0v0', config), none, config);
    expect(changes.filter((c) => c.part === 'local').map((c) => c.argv.join(' '))).toEqual([
      'rule add from 2001:db8:1::1e7 to 2001:db8:1::/64 lookup 123 priority 998 protocol 213',
      'rule add from 2001:db8:1::1e7 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule add from 2001:db8:1::5 to 2001:db8:1::/64 lookup 123 priority 998 protocol 213',
      'rule add from 2001:db8:1::5 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
    ]);
  });

  it.each<[string, News6, Kernel6, string[]]>([
    ['the first RA: prefix, default via the link-local router, one /128 rule per address', ra('fe80::1'), kernel({ addresses: ['2001:db8:1::1e7'] }), [
      'route add 2001:db8:1::/64 dev eth0v0 proto 213 table 123',
      'route add default via fe80::1 dev eth0v0 proto 213 table 123',
      'rule add from 2001:db8:1::1e7 lookup 123 priority 1000 protocol 213',
      'rule add from 2001:db8:1::5 lookup 123 priority 1000 protocol 213',
    ]],
    ['BOUND6 before any RA (no router anywhere): nothing', dhcp(['2001:db8:1::1e7']), kernel({ addresses: ['2001:db8:1::1e7'] }), []],
    ['BOUND6 after the RA: router and prefixes are the table\'s own', dhcp(['2001:db8:1::1e7']),
      kernel({ addresses: ['2001:db8:1::5'], owned: ours(kernel({ addresses: ['2001:db8:1::5'] }), ra('fe80::1')) }), [
      'rule add from 2001:db8:1::1e7 lookup 123 priority 1000 protocol 213',
    ]],
    ['dhclient: the router is main\'s RA default with the lowest metric', dhcp(['2001:db8:1::1e7']),
      kernel({ main: [raDefault('fe80::9', 2048), raDefault('fe80::1', 1024), prefixRoute('2001:db8:1::/64', 2), prefixRoute('fe80::/64', 2), prefixRoute('2001:db8:1::1e7/128', 2)] }), [
      'route add 2001:db8:1::/64 dev eth0v0 proto 213 table 123',
      'route add default via fe80::1 dev eth0v0 proto 213 table 123',
      'rule add from 2001:db8:1::1e7 lookup 123 priority 1000 protocol 213',
    ]],
    ['a default in main that is not from an RA (static, via the LAN) is no router for the macvlan', dhcp(['2001:db8:1::1e7']),
      kernel({ main: [{ ...raDefault('fe80::1'), protocol: 4 }] }), []],
    ['the RA renumbers: the new prefix and address come, the old prefix stays while valid', ra('fe80::1', ['2001:db8:1::/64', '2001:db8:2::/64'], ['2001:db8:1::5', '2001:db8:2::5']),
      kernel({ addresses: ['2001:db8:1::5'], owned: ours(kernel(), ra('fe80::1')) }), [
      'route add 2001:db8:2::/64 dev eth0v0 proto 213 table 123',
      'rule add from 2001:db8:2::5 lookup 123 priority 1000 protocol 213',
    ]],
    ['the RA set is complete: a prefix it no longer lists goes, even while main still routes it', ra('fe80::1', [], ['2001:db8:2::5']),
      kernel({ owned: ours(kernel(), ra('fe80::1')) }), [
      'rule add from 2001:db8:2::5 lookup 123 priority 1000 protocol 213',
      'rule del from 2001:db8:1::5 lookup 123 priority 1000 protocol 213',
      'route del 2001:db8:1::/64 dev eth0v0 proto 213 table 123',
    ]],
    ['a router change replaces the default only', ra('fe80::2'), kernel({ owned: ours(kernel(), ra('fe80::1')) }), [
      'route replace default via fe80::2 dev eth0v0 proto 213 table 123',
    ]],
    ['the router withdrawn (no lifetime left): everything goes, rules first', ra(null), kernel({ addresses: ['2001:db8:1::5'], owned: ours(kernel(), ra('fe80::1')) }), [
      'rule del from 2001:db8:1::5 lookup 123 priority 1000 protocol 213',
      'route del 2001:db8:1::/64 dev eth0v0 proto 213 table 123',
      'route del default via fe80::1 dev eth0v0 proto 213 table 123',
    ]],
    ['RENEW6 with valid lifetime 0 (NoBinding): its rule goes although the kernel still has it', dhcp([], ['2001:db8:1::1e7']),
      kernel({ addresses: ['2001:db8:1::1e7', '2001:db8:1::5'], owned: ours(kernel({ addresses: ['2001:db8:1::1e7'] }), ra('fe80::1')) }), [
      'rule del from 2001:db8:1::1e7 lookup 123 priority 1000 protocol 213',
    ]],
    ['the same again changes nothing', dhcp(['2001:db8:1::1e7']), kernel({ addresses: ['2001:db8:1::1e7'], owned: ours(kernel({ addresses: ['2001:db8:1::1e7'] }), ra('fe80::1', ['2001:db8:1::/64'], [])) }), []],
    ['our own routes in main are not on-link prefixes to copy', dhcp([]), kernel({ main: [raDefault('fe80::1'), prefixRoute('2001:db8:7::/64', 213)] }), [
      'route add default via fe80::1 dev eth0v0 proto 213 table 123',
    ]],
  ])('%s', (_, news, k, expected) => {
    expect(plan(news, k)).toEqual(expected);
  });
});
