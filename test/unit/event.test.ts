import { describe, expect, it } from 'vitest';
import { readEvent, type HookEvent } from '../../src/hook/event.js';
import type { Env } from '../../src/hook/env.js';
import { InputError } from '../../src/shared/errors.js';
import { parseDhclientClassless, parseDhcpcdClassless } from '../../src/hook/classless.js';

const bound = { reason: 'BOUND', interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' };
const up = (over: Env): HookEvent => readEvent({ ...bound, ...over });

describe('readEvent: what each reason means', () => {
  it.each([
    ['BOUND', 'up'], ['RENEW', 'up'], ['REBIND', 'up'], ['REBOOT', 'up'], ['INFORM', 'up'], ['STATIC', 'up'], ['TIMEOUT', 'up'],
    ['EXPIRE', 'down'], ['EXPIRED', 'down'], ['NAK', 'down'], ['FAIL', 'down'], ['RELEASE', 'down'], ['STOP', 'down'],
    ['STOPPED', 'down'], ['DEPARTED', 'down'], ['NOCARRIER', 'down'],
    ['PREINIT', 'ignore'], ['CARRIER', 'ignore'], ['TEST', 'ignore'], ['IPV4LL', 'ignore'], ['ROUTERADVERT', 'up6'],
    ['NOCARRIER_ROAMING', 'ignore'], ['BOUND6', 'up6'], ['RENEW6', 'up6'], ['REBIND6', 'up6'], ['REBOOT6', 'up6'],
    ['EXPIRE6', 'down6'], ['RELEASE6', 'down6'], ['STOP6', 'down6'], ['PREINIT6', 'ignore'], ['INFORM6', 'ignore'],
    ['DEPREF6', 'ignore'], ['DELEGATED6', 'ignore'], ['MEDIUM', 'ignore'], ['SOMETHING_NEW', 'ignore'],
  ])('%s is %s', (reason, meaning) => {
    const event = readEvent({ ...bound, reason });
    const wants = event.action === 'follow' ? event.wants : {};
    const said = wants[6]?.kind === 'follow' ? `${wants[6].news.lost.length > 0 || /EXPIRE6|RELEASE6|STOP6/.test(reason) ? 'down' : 'up'}6` : wants[4] ? (wants[4].kind === 'lease' ? 'up' : 'down') : 'ignore';
    expect(said).toBe(meaning);
  });

  it('TIMEOUT without a lease is ignored', () => {
    expect(readEvent({ reason: 'TIMEOUT', interface: 'eth0v0' }).action).toBe('ignore');
  });

  it('a down event needs no lease variables (NOCARRIER has none)', () => {
    expect(readEvent({ reason: 'NOCARRIER', interface: 'eth0v0' })).toEqual({
      action: 'follow', reason: 'NOCARRIER', iface: 'eth0v0', wants: { 4: { kind: 'ended' }, 6: { kind: 'nothing' } }, warnings: [],
    });
  });

  it('the link going away ends IPv6 too; an IPv4 lease ending does not', () => {
    const v6 = (reason: string): unknown => { const e = readEvent({ ...bound, reason }); return e.action === 'follow' && e.wants[6] !== undefined; };
    expect(['NOCARRIER', 'STOPPED', 'DEPARTED'].map(v6)).toEqual([true, true, true]);
    expect(['EXPIRE', 'EXPIRED', 'NAK', 'FAIL', 'RELEASE', 'STOP'].map(v6)).toEqual([false, false, false, false, false, false]);
  });
});

describe('readEvent: the lease', () => {
  it.each<[string, Env, object, string[]]>([
    ['dhcpcd BOUND', {}, { address: '100.64.0.50', prefix: 24, gateway: '100.64.0.1', onlink: false }, []],
    ['dhclient: a netmask and no CIDR', { new_subnet_cidr: undefined, new_subnet_mask: '255.255.254.0' }, { prefix: 23 }, []],
    ['the old guides\' new_router', { new_routers: undefined, new_router: '100.64.0.1' }, { gateway: '100.64.0.1' }, []],
    ['several routers: the first, with a warning', { new_routers: '100.64.0.1 100.64.0.2' }, { gateway: '100.64.0.1' },
      ['using the first of 2 routers, ignoring 100.64.0.2']],
    ['dhcpcd classless default wins over routers', { new_classless_static_routes: '198.18.0.0/15 100.64.0.1 0.0.0.0/0 100.64.0.254' },
      { gateway: '100.64.0.254' }, []],
    ['dhclient classless default wins over routers', { new_rfc3442_classless_static_routes: '0 100 64 0 254 15 198 18 100 64 0 1' },
      { gateway: '100.64.0.254' }, []],
    ['classless without a default: the routers', { new_classless_static_routes: '198.18.0.0/15 100.64.0.9' }, { gateway: '100.64.0.1' }, []],
    ['classless on-link default (gateway 0.0.0.0)', { new_classless_static_routes: '0.0.0.0/0 0.0.0.0' }, { gateway: null, onlink: false }, []],
    ['a /32 lease: gateway onlink', { new_subnet_cidr: '32' }, { prefix: 32, onlink: true }, []],
    ['a gateway outside the subnet: onlink', { new_routers: '100.65.0.1' }, { gateway: '100.65.0.1', onlink: true }, []],
    ['old_* are validated but not needed', { old_ip_address: '100.64.0.9', old_routers: '100.64.0.1' }, { address: '100.64.0.50' }, []],
  ])('%s', (_, over, lease, warnings) => {
    const event = up(over);
    expect(event.action).toBe('follow');
    if (event.action !== 'follow') return;
    expect(event.wants[4]).toMatchObject({ kind: 'lease', lease });
    expect(event.warnings).toEqual(warnings);
  });

  it.each<[string, Env, RegExp]>([
    ['no reason', { reason: undefined }, /reason is not set/],
    ['a reason that is not a word', { reason: 'BOUND;reboot' }, /invalid reason "BOUND;reboot"/],
    ['no interface', { interface: undefined }, /interface is not set/],
    ['an interface with a slash', { interface: '../etc' }, /invalid interface/],
    ['an interface of 16 characters', { interface: 'abcdefghijklmnop' }, /invalid interface/],
    ['an interface starting with -', { interface: '-eth0' }, /invalid interface/],
    ['no address', { new_ip_address: undefined }, /new_ip_address is not set/],
    ['leading zeros', { new_ip_address: '100.064.0.50' }, /invalid new_ip_address "100.064.0.50"/],
    ['three octets', { new_ip_address: '100.64.0' }, /invalid new_ip_address/],
    ['an IPv6 address', { new_ip_address: '2001:db8::1' }, /invalid new_ip_address/],
    ['a multicast address', { new_ip_address: '224.0.0.1' }, /not a unicast address/],
    ['a command substitution', { new_routers: '$(reboot)' }, /invalid new_routers "\$\(reboot\)"/],
    ['an empty router list', { new_routers: '' }, /invalid new_routers ""/],
    ['a broadcast router', { new_routers: '255.255.255.255' }, /not a unicast address/],
    ['the subnet broadcast as router', { new_routers: '100.64.0.255' }, /network or broadcast/],
    ['the leased address as router', { new_routers: '100.64.0.50' }, /leased address itself/],
    ['no router at all', { new_routers: undefined }, /no gateway/],
    ['a bad CIDR', { new_subnet_cidr: '33' }, /invalid new_subnet_cidr "33"/],
    ['a non-contiguous mask', { new_subnet_cidr: undefined, new_subnet_mask: '255.0.255.0' }, /not a contiguous netmask/],
    ['a bad old_ip_address', { old_ip_address: '1.2.3.4; rm -rf /' }, /invalid old_ip_address/],
    ['a broken classless value', { new_classless_static_routes: '0.0.0.0/0' }, /invalid new_classless_static_routes/],
    ['a newline in a value', { new_ip_address: '100.64.0.50\nreboot' }, /invalid new_ip_address "100.64.0.50\\nreboot"/],
  ])('refuses %s', (_, over, message) => {
    expect(() => up(over)).toThrow(InputError);
    expect(() => up(over)).toThrow(message);
  });

  it('shortens a huge value in its message', () => {
    expect(() => up({ new_ip_address: 'x'.repeat(100_000) })).toThrow(/^invalid new_ip_address "x{40}…": /);
  });
});

describe('classless encodings', () => {
  it('dhcpcd and dhclient say the same thing', () => {
    expect(parseDhclientClassless('0 100 64 0 1 15 198 18 100 64 0 1 24 10 1 2 0 0 0 0')).toEqual(
      parseDhcpcdClassless('0.0.0.0/0 100.64.0.1 198.18.0.0/15 100.64.0.1 10.1.2.0/24 0.0.0.0'),
    );
  });
  it.each(['1 2 3', '33 1 2 3 4 5', '8 10 1 2 3', '0 1 2 3 256'])('dhclient %j is refused', (text) => {
    expect(() => parseDhclientClassless(text)).toThrow();
  });
  it.each(['0.0.0.0/0', '0.0.0.0/33 1.2.3.4', '10.0.0.1/8 1.2.3.4', 'default 1.2.3.4'])('dhcpcd %j is refused', (text) => {
    expect(() => parseDhcpcdClassless(text)).toThrow();
  });
});
