// Local networks stay local, IPv6 (src/hook/address-rules.ts, plan6.ts), on the built bundle and a
// real kernel: local-networks.test.ts's box (lan-box.ts, with lanBox6) whose two macvlans hold
// SLAAC addresses in one ISP /64, fed to the bundle as dhcpcd's ROUTERADVERT events (router
// fe80::1, the /64 on-link), and a DHCPv6 /128 as its BOUND6. A container on a ULA behind the
// box's bridge and a LAN host whose /64 main routes reach a leased address and get their answers;
// the internet side still does; each lease reaches its own /64 through its own macvlan. The
// controls delete the rule that makes each true and see it fail, so the checks can fail.
// wg-quick's IPv6 rules are added and removed with the commands wg-quick runs for a full tunnel
// (`ip -6 rule add not fwmark 51820 table 51820`, `ip -6 rule add table main
// suppress_prefixlength 0`; the link is a veth here), in both start orders: started before
// srcroute, wg-quick down deletes srcroute's rules into main too, and the next RA puts them back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDir, requireBundle, runBundle } from '../support/bundle.js';
import type { Netns } from '../support/netns.js';
import { LAN_BOX6, lanBox, lanBox6, settled6 } from '../support/lan-box.js';
import { prerequisites } from '../support/prereq.js';

const ok = prerequisites('local networks, IPv6', ['root', 'ip', 'ping']);
const LEASES = { eth0v0: '2001:db8:1::50', eth0v1: '2001:db8:1::51' } as const;
type Iface = keyof typeof LEASES;
const { gateway: GATEWAY, internet: INTERNET, container: CONTAINER, lanHost: LAN_HOST, prefix: PREFIX } = LAN_BOX6;

let box: Netns, modem: Netns, lan: Netns, ctr: Netns;
let cfg: string;

/** The box of lan-box.ts in both families, eth0 to the modem with two macvlans holding one /64's addresses. */
async function build(): Promise<void> {
  const lb = lanBox();
  ({ box, modem, lan, ctr } = lb);
  await lanBox6(lb);
  // the LAN router reaches the public /64 through the box (as a hairpin would), nothing else
  lan.ip('-6', 'route', 'add', PREFIX, 'via', '2001:db8:77::2');
  Object.entries(LEASES).forEach(([name, addr], i) => {
    const mac = `02:00:00:aa:bb:0${i + 1}`;
    box.ip('link', 'add', 'link', 'eth0', 'name', name, 'address', mac, 'type', 'macvlan', 'mode', 'private');
    box.run(['sysctl', '-qw', `net.ipv6.conf.${name}.accept_ra=0`]);
    box.ip('link', 'set', name, 'up');
    box.ip('-6', 'addr', 'add', `${addr}/64`, 'dev', name, 'nodad');
  });
  await settled6([box]);
}

/** dhcpcd's ROUTERADVERT for `iface`: router fe80::1 (lifetime 0: withdrawn), the /64 on-link, the SLAAC address. */
const advert = (iface: Iface, lifetime = 1800): Record<string, string> => ({
  reason: 'ROUTERADVERT', interface: iface, nd1_from: LAN_BOX6.router, nd1_lifetime: String(lifetime),
  nd1_addr1: `${LEASES[iface]}/64`, nd1_prefix_information1_prefix: '2001:db8:1::',
  nd1_prefix_information1_length: '64', nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '3600',
});
const ra = (iface: Iface, lifetime?: number): void => {
  const r = runBundle(box, advert(iface, lifetime), cfg);
  expect(r.code, r.stderr).toBe(0);
};
/** dhcpcd's BOUND6 (an IA_NA /128) or STOP6 for `addr` on eth0v0: the router and /64 come from the table. */
const dhcp6 = (reason: 'BOUND6' | 'STOP6', addr: string): void => {
  const key = `${reason === 'BOUND6' ? 'new' : 'old'}_dhcp6_ia_na1_ia_addr1`;
  const times = reason === 'BOUND6' ? { [`${key}_pltime`]: '120', [`${key}_vltime`]: '120' } : {};
  const r = runBundle(box, { reason, interface: 'eth0v0', protocol: 'dhcp6', [key]: addr, ...times }, cfg);
  expect(r.code, r.stderr).toBe(0);
};
const ping = (from: Netns, to: string, source?: string): boolean =>
  from.run(['ping', '-6', '-n', '-c1', '-W1', ...(source ? ['-I', source] : []), to]).code === 0;
/** The kernel's own verdict: the device a packet from `src` to `dst` leaves by. */
const deviceFor = (dst: string, src: string): string =>
  box.json<{ dev: string }>('-6', 'route', 'get', dst, 'from', src)[0]!.dev;
const delRule = (...selector: string[]): string => box.ip('-6', 'rule', 'del', ...selector);
const ownedRules = (): string[] =>
  box.json<{ priority: number; src: string; table: string; protocol?: string }>('-6', '-N', 'rule', 'show')
    .filter((r) => r.protocol === '213').map((r) => `${r.priority} ${r.src} ${r.table}`);

/** wg-quick's add_default and del_if for a full IPv6 tunnel, as wg-quick runs them (table and mark 51820). */
const wgUp = (): void => {
  box.ip('link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0peer');
  box.ip('link', 'set', 'wg0', 'up');
  box.ip('-6', 'route', 'add', '::/0', 'dev', 'wg0', 'table', '51820');
  box.ip('-6', 'rule', 'add', 'not', 'fwmark', '51820', 'table', '51820');
  box.ip('-6', 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0');
};
const wgDown = (): void => {
  const shown = (): string => box.ip('-6', 'rule', 'show');
  while (shown().includes('lookup 51820')) box.ip('-6', 'rule', 'delete', 'table', '51820');
  const main = 'from all lookup main suppress_prefixlength 0';
  while (shown().includes(main)) box.ip('-6', 'rule', 'delete', 'table', 'main', 'suppress_prefixlength', '0');
  box.ip('link', 'delete', 'dev', 'wg0');
};

describe.skipIf(!ok)('local networks stay local, IPv6', () => {
  beforeAll(async () => {
    requireBundle();
    await build();
    cfg = configDir({ 'srcroute.env': 'IPV6=yes\n', 'eth0v0.env': 'TABLE=123\n', 'eth0v1.env': 'TABLE=124\n' });
    ra('eth0v0');
    ra('eth0v1');
  }, 60_000);
  afterAll(() => {
    for (const ns of [box, modem, lan, ctr]) ns?.destroy();
  });

  const BLOCK = [
    `1000 ${LEASES.eth0v0} 123`, `1000 ${LEASES.eth0v1} 124`, `998 ${LEASES.eth0v0} 123`,
    `998 ${LEASES.eth0v1} 124`, `999 ${LEASES.eth0v0} 254`, `999 ${LEASES.eth0v1} 254`,
  ];

  it('each address holds its block: to its /64 into its table, to main\'s own networks, then its table', () => {
    expect(ownedRules().sort()).toEqual(BLOCK);
    expect(box.ip('-6', 'route', 'show', 'table', '123')).toMatch(/^default via fe80::1 dev eth0v0 proto 213/m);
  });

  it('the internet reaches both leased addresses through the modem', () => {
    for (const addr of Object.values(LEASES)) expect(ping(modem, addr, INTERNET), addr).toBe(true);
    expect(deviceFor(INTERNET, LEASES.eth0v0)).toBe('eth0v0');
    expect(deviceFor(INTERNET, LEASES.eth0v1)).toBe('eth0v1');
  });

  it('a container on a ULA behind the box\'s bridge, and a LAN host, reach a leased address and get answers', () => {
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
    expect(ping(lan, LEASES.eth0v0)).toBe(true);
    expect(deviceFor(CONTAINER, LEASES.eth0v0)).toBe('br0');
    expect(deviceFor(LAN_HOST, LEASES.eth0v0)).toBe('lan0');
  });

  it('each lease reaches its own /64 through its own macvlan, the other lease\'s included', () => {
    expect(deviceFor(GATEWAY, LEASES.eth0v0)).toBe('eth0v0');
    expect(deviceFor(GATEWAY, LEASES.eth0v1)).toBe('eth0v1');
    expect(deviceFor(LEASES.eth0v0, LEASES.eth0v1)).not.toBe('eth0v0');
    for (const addr of Object.values(LEASES)) expect(ping(box, GATEWAY, addr), addr).toBe(true);
  });

  it('a DHCPv6 address (BOUND6, a /128) gets the same block, the container and internet reach it; STOP6: gone', () => {
    const ia = '2001:db8:1::1e3';
    box.ip('-6', 'addr', 'add', `${ia}/128`, 'dev', 'eth0v0', 'nodad');
    dhcp6('BOUND6', ia);
    const mine = ownedRules().filter((r) => r.includes(ia)).sort();
    expect(mine).toEqual([`1000 ${ia} 123`, `998 ${ia} 123`, `999 ${ia} 254`]);
    expect(ping(ctr, ia)).toBe(true);
    expect(ping(modem, ia, INTERNET)).toBe(true);
    expect(deviceFor(CONTAINER, ia)).toBe('br0');
    box.ip('-6', 'addr', 'del', `${ia}/128`, 'dev', 'eth0v0');
    dhcp6('STOP6', ia);
    expect(ownedRules().sort()).toEqual(BLOCK);
  });

  it('control: without the subnet rule, main\'s first connected route takes lease 2 to the other macvlan', () => {
    delRule('from', LEASES.eth0v1, 'to', PREFIX, 'lookup', '124', 'priority', '998');
    expect(deviceFor(GATEWAY, LEASES.eth0v1)).toBe('eth0v0');
    ra('eth0v1');
    expect(deviceFor(GATEWAY, LEASES.eth0v1)).toBe('eth0v1');
  });

  it('control: without the rule into main, the container\'s and LAN host\'s answers go to the modem, lost', () => {
    delRule('from', LEASES.eth0v0, 'lookup', 'main', 'suppress_prefixlength', '0', 'priority', '999');
    expect(deviceFor(CONTAINER, LEASES.eth0v0)).toBe('eth0v0');
    expect(ping(ctr, LEASES.eth0v0)).toBe(false);
    expect(ping(lan, LEASES.eth0v0)).toBe(false);
    ra('eth0v0');
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
    expect(ping(lan, LEASES.eth0v0)).toBe(true);
  });

  it('wg-quick up after srcroute, then down: its rules land before the block, its down leaves srcroute\'s', () => {
    wgUp();
    expect(box.ip('-6', 'rule', 'show')).toMatch(/^99[0-7]:\s+from all lookup main suppress_prefixlength 0/m);
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
    wgDown();
    expect(ownedRules().sort()).toEqual(BLOCK);
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
  });

  it('wg-quick up before srcroute, then down: its down deletes srcroute\'s rules into main, an RA restores', () => {
    for (const iface of ['eth0v0', 'eth0v1'] as const) ra(iface, 0);
    expect(ownedRules()).toEqual([]);
    wgUp();
    ra('eth0v0');
    ra('eth0v1');
    expect(ownedRules().sort()).toEqual(BLOCK);
    expect(box.ip('-6', 'rule', 'show')).toMatch(/^3276[0-5]:\s+from all lookup main suppress_prefixlength 0/m);
    wgDown();
    expect(ownedRules().filter((r) => r.startsWith('999 ')), 'wg-quick down took them').toEqual([]);
    expect(ping(ctr, LEASES.eth0v0)).toBe(false);
    ra('eth0v0');
    ra('eth0v1');
    expect(ownedRules().sort()).toEqual(BLOCK);
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
  });
});
