// What each IPv6 event tells srcroute, from the variables dhcpcd and dhclient -6 really set
// (test/fixtures/dhcpcd6-*, dhclient6-*; shared/notes/ipv6.md for the RA edge cases).
import { describe, expect, it } from 'vitest';
import { readEvent } from '../../src/hook/event.js';
import type { Env } from '../../src/hook/env.js';
import type { News6 } from '../../src/hook/want.js';
import { formatIPv6, networkOf6, notGlobalUnicast, parseIPv6 } from '../../src/shared/ipv6.js';

const news = (env: Env): News6 => {
  const e = readEvent({ interface: 'eth0v0', ...env });
  const want = e.action === 'follow' ? e.wants[6] : undefined;
  if (want?.kind !== 'follow') throw new Error(`not an IPv6 event: ${e.reason}`);
  return want.news;
};
const ra = (n: number, over: Env = {}): Env => ({
  [`nd${n}_from`]: `fe80::${n}`, [`nd${n}_lifetime`]: '90', [`nd${n}_acquired`]: '10', [`nd${n}_now`]: '10',
  [`nd${n}_addr1`]: `2001:db8:${n}::5/64`, [`nd${n}_prefix_information1_prefix`]: `2001:db8:${n}::`,
  [`nd${n}_prefix_information1_length`]: '64', [`nd${n}_prefix_information1_flags`]: 'LA', [`nd${n}_prefix_information1_vltime`]: '120',
  ...over,
});

describe('ROUTERADVERT: the whole RA set', () => {
  it.each<[string, Env, News6]>([
    ['one router, its SLAAC address and on-link prefix', ra(1),
      { advert: { router: 'fe80::1', onlink: ['2001:db8:1::/64'] }, held: ['2001:db8:1::5'], lost: [] }],
    ['nd1 an old router with lifetime 0, nd2 valid: nd2 routes', { ...ra(1, { nd1_lifetime: '0' }), ...ra(2) },
      { advert: { router: 'fe80::2', onlink: ['2001:db8:1::/64', '2001:db8:2::/64'] }, held: ['2001:db8:1::5', '2001:db8:2::5'], lost: [] }],
    ['every lifetime 0: no router', ra(1, { nd1_lifetime: '0' }),
      { advert: { router: null, onlink: ['2001:db8:1::/64'] }, held: ['2001:db8:1::5'], lost: [] }],
    ['no nd* at all (after STOP6, RELEASE6, NOCARRIER): no router', {},
      { advert: { router: null, onlink: [] }, held: [], lost: [] }],
    ['a prefix with valid lifetime 0 is gone; one without L is not on-link', ra(1, { nd1_prefix_information1_vltime: '0', nd1_prefix_information2_prefix: '2001:db8:9::', nd1_prefix_information2_length: '64', nd1_prefix_information2_flags: 'A', nd1_prefix_information2_vltime: '60' }),
      { advert: { router: 'fe80::1', onlink: [] }, held: ['2001:db8:1::5'], lost: [] }],
    ['addresses and prefixes come out in RFC 5952 form, host bits cleared', ra(1, { nd1_addr1: '2001:DB8:1:0:0:0:0:5/64', nd1_prefix_information1_prefix: '2001:db8:1::ff', nd1_from: 'FE80:0::1' }),
      { advert: { router: 'fe80::1', onlink: ['2001:db8:1::/64'] }, held: ['2001:db8:1::5'], lost: [] }],
    ['a global router address is taken as it is', ra(1, { nd1_from: '2001:db8:ffff::1' }),
      { advert: { router: '2001:db8:ffff::1', onlink: ['2001:db8:1::/64'] }, held: ['2001:db8:1::5'], lost: [] }],
  ])('%s', (_, env, want) => {
    expect(news({ reason: 'ROUTERADVERT', ...env })).toEqual(want);
  });
});

describe('DHCPv6: dhcpcd gives the IA_NA set, dhclient one address per call', () => {
  const na = (side: string, i: number, addr: string, vltime = '120'): Env => ({ [`${side}_dhcp6_ia_na1_ia_addr${i}`]: addr, [`${side}_dhcp6_ia_na1_ia_addr${i}_vltime`]: vltime });
  it.each<[string, Env, Omit<News6, 'advert'>]>([
    ['dhcpcd BOUND6', { reason: 'BOUND6', ...na('new', 1, '2001:db8:1::1e7') }, { held: ['2001:db8:1::1e7'], lost: [] }],
    ['dhcpcd RENEW6, same address', { reason: 'RENEW6', ...na('new', 1, '2001:db8:1::1e7'), ...na('old', 1, '2001:db8:1::1e7') }, { held: ['2001:db8:1::1e7'], lost: [] }],
    ['dhcpcd REBIND6 to a new address: the old one is lost', { reason: 'REBIND6', ...na('new', 1, '2001:db8:1::2'), ...na('old', 1, '2001:db8:1::1') }, { held: ['2001:db8:1::2'], lost: ['2001:db8:1::1'] }],
    ['dhcpcd RENEW6 with valid lifetime 0 (NoBinding): lost', { reason: 'RENEW6', ...na('new', 1, '2001:db8:1::1', '0'), ...na('new', 2, '2001:db8:1::2') }, { held: ['2001:db8:1::2'], lost: ['2001:db8:1::1'] }],
    ['dhcpcd EXPIRE6: every old address lost', { reason: 'EXPIRE6', ...na('old', 1, '2001:db8:1::1'), ...na('old', 2, '2001:db8:1::2') }, { held: [], lost: ['2001:db8:1::1', '2001:db8:1::2'] }],
    ['dhcpcd STOP6 with nothing: nothing', { reason: 'STOP6' }, { held: [], lost: [] }],
    ['dhclient BOUND6', { reason: 'BOUND6', new_ip6_address: '2001:db8:1::1e7', new_ip6_prefixlen: '128' }, { held: ['2001:db8:1::1e7'], lost: [] }],
    ['dhclient RENEW6 moving the address', { reason: 'RENEW6', new_ip6_address: '2001:db8:1::2', new_ip6_prefixlen: '128', old_ip6_address: '2001:db8:1::1', old_ip6_prefixlen: '128' }, { held: ['2001:db8:1::2'], lost: ['2001:db8:1::1'] }],
    ['dhclient RENEW6 with valid lifetime 0 (NoBinding): lost', { reason: 'RENEW6', new_ip6_address: '2001:db8:1::1', new_max_life: '0', old_ip6_address: '2001:db8:1::1', old_max_life: '120' }, { held: [], lost: ['2001:db8:1::1'] }],
    ['dhclient RELEASE6', { reason: 'RELEASE6', old_ip6_address: '2001:db8:1::1', old_ip6_prefixlen: '128' }, { held: [], lost: ['2001:db8:1::1'] }],
  ])('%s', (_, env, want) => {
    expect(news(env)).toEqual(want);
  });
});

describe('shared/ipv6', () => {
  it.each([
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'], ['2001:0db8::0001', '2001:db8::1'], ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['2001:db8:1:2:3:4:5:0', '2001:db8:1:2:3:4:5:0'], ['::', '::'], ['1::', '1::'],
    ['2001:DB8::A', '2001:db8::a'],
  ])('%s is written %s', (text, canonical) => {
    expect(formatIPv6(parseIPv6(text)!)).toBe(canonical);
  });
  it('clears host bits of a prefix', () => {
    expect(formatIPv6(networkOf6(parseIPv6('2001:db8:1:2:3:4:5:6')!, 56))).toBe('2001:db8:1::');
    expect(formatIPv6(networkOf6(parseIPv6('2001:db8:1:2ff::')!, 60))).toBe('2001:db8:1:2f0::');
  });
  it('knows which addresses a host cannot route by source', () => {
    expect(['fe80::1', 'ff02::1', '::', '::1', '::ffff:6440:32', '2001:db8::1'].map((a) => notGlobalUnicast(parseIPv6(a)!) === null)).toEqual([false, false, false, false, false, true]);
  });
});
