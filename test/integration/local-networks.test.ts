// Local networks stay local (src/hook/address-rules.ts), on the built bundle and a real kernel:
// a box with a LAN (its default route), a container bridge and two macvlans on the modem's link,
// each holding a lease in one subnet. Replies from a leased address to the container or to the
// LAN host leave as main says; replies to the internet still leave through the modem; each
// lease's traffic to its own subnet keeps to its own macvlan. The controls delete the rule that
// makes each of those true and see it fail, so the checks can fail. wg-quick's rules are added and
// removed with the very commands wg-quick runs (this kernel has no WireGuard, so its link is a
// veth): started before srcroute, wg-quick down deletes srcroute's `lookup main
// suppress_prefixlength 0` rule too (it deletes the first rule matching its selectors, whoever
// owns it), and the next lease event puts it back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDir, requireBundle, runBundle } from '../support/bundle.js';
import type { Netns } from '../support/netns.js';
import { LAN_BOX, lanBox } from '../support/lan-box.js';
import { prerequisites } from '../support/prereq.js';

const ok = prerequisites('local networks', ['root', 'ip', 'ping']);
const LEASES = { eth0v0: '100.64.0.50', eth0v1: '100.64.0.51' } as const;
const { gateway: GATEWAY, internet: INTERNET, container: CONTAINER, lanHost: LAN_HOST } = LAN_BOX;

let box: Netns, modem: Netns, lan: Netns, ctr: Netns;
let cfg: string;

/** The box: LAN (main's default), a container bridge, eth0 to the modem with two macvlans. */
function build(): void {
  ({ box, modem, lan, ctr } = lanBox());
  // the LAN router reaches the public addresses through the box (as a hairpin would), nothing else
  lan.ip('route', 'add', '100.64.0.0/24', 'via', '192.168.77.2');
  Object.entries(LEASES).forEach(([name, addr], i) => {
    box.ip('link', 'add', 'link', 'eth0', 'name', name, 'address', `02:00:00:aa:bb:0${i + 1}`, 'type', 'macvlan', 'mode', 'private');
    box.ip('link', 'set', name, 'up');
    box.ip('addr', 'add', `${addr}/24`, 'dev', name);
  });
  box.run(['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
}

const bound = (iface: keyof typeof LEASES, reason = 'BOUND'): void => {
  const env = { reason, interface: iface, new_ip_address: LEASES[iface], new_subnet_cidr: '24', new_routers: GATEWAY };
  const r = runBundle(box, env, cfg);
  expect(r.code, r.stderr).toBe(0);
};
const ping = (from: Netns, to: string, source?: string): boolean =>
  from.run(['ping', '-n', '-c1', '-W1', ...(source ? ['-I', source] : []), to]).code === 0;
/** The kernel's own verdict: the device a packet from `src` to `dst` leaves by. */
const deviceFor = (dst: string, src: string): string => box.json<{ dev: string }>('route', 'get', dst, 'from', src)[0]!.dev;
const delRule = (...selector: string[]): string => box.ip('rule', 'del', ...selector);
const ownedRules = (): string[] =>
  box.json<{ priority: number; src: string; table: string; protocol?: string }>('-N', 'rule', 'show').filter((r) => r.protocol === '213').map((r) => `${r.priority} ${r.src} ${r.table}`);

/** wg-quick's add_default and del_if for a full tunnel, as wg-quick runs them (table and mark 51820). */
const wgUp = (): void => {
  box.ip('link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0peer');
  box.ip('link', 'set', 'wg0', 'up');
  box.ip('-4', 'route', 'add', '0.0.0.0/0', 'dev', 'wg0', 'table', '51820');
  box.ip('-4', 'rule', 'add', 'not', 'fwmark', '51820', 'table', '51820');
  box.ip('-4', 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0');
};
const wgDown = (): void => {
  const shown = (): string => box.ip('-4', 'rule', 'show');
  while (shown().includes('lookup 51820')) box.ip('-4', 'rule', 'delete', 'table', '51820');
  while (shown().includes('from all lookup main suppress_prefixlength 0')) box.ip('-4', 'rule', 'delete', 'table', 'main', 'suppress_prefixlength', '0');
  box.ip('link', 'delete', 'dev', 'wg0');
};

describe.skipIf(!ok)('local networks stay local', () => {
  beforeAll(() => {
    requireBundle();
    build();
    cfg = configDir({ 'srcroute.env': 'IPV6=no\n', 'eth0v0.env': 'TABLE=123\n', 'eth0v1.env': 'TABLE=124\n' });
    bound('eth0v0');
    bound('eth0v1');
  });
  afterAll(() => {
    for (const ns of [box, modem, lan, ctr]) ns?.destroy();
  });

  it('each lease holds its block: to its subnet into its table, to main\'s own networks, then its table', () => {
    expect(ownedRules().sort()).toEqual(['1000 100.64.0.50 123', '1000 100.64.0.51 124', '998 100.64.0.50 123', '998 100.64.0.51 124', '999 100.64.0.50 254', '999 100.64.0.51 254']);
  });

  it('the internet reaches both leased addresses through the modem', () => {
    for (const addr of Object.values(LEASES)) expect(ping(modem, addr, INTERNET), addr).toBe(true);
    expect(deviceFor(INTERNET, LEASES.eth0v0)).toBe('eth0v0');
  });

  it('a container behind a bridge on the box, and a LAN host, reach a leased address and get their answers', () => {
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
    expect(ping(lan, LEASES.eth0v0)).toBe(true);
    expect(deviceFor(CONTAINER, LEASES.eth0v0)).toBe('br0');
    expect(deviceFor(LAN_HOST, LEASES.eth0v0)).toBe('lan0');
  });

  it('each lease reaches its own subnet through its own macvlan, the other lease\'s included', () => {
    expect(deviceFor(GATEWAY, LEASES.eth0v0)).toBe('eth0v0');
    expect(deviceFor(GATEWAY, LEASES.eth0v1)).toBe('eth0v1');
    expect(deviceFor(LEASES.eth0v0, LEASES.eth0v1)).not.toBe('eth0v0');
    for (const addr of Object.values(LEASES)) expect(ping(box, GATEWAY, addr), addr).toBe(true);
  });

  it('control: without the subnet rule, main\'s first connected route takes the second lease to the other macvlan', () => {
    delRule('from', LEASES.eth0v1, 'to', '100.64.0.0/24', 'lookup', '124', 'priority', '998');
    expect(deviceFor(GATEWAY, LEASES.eth0v1)).toBe('eth0v0');
    bound('eth0v1', 'RENEW');
    expect(deviceFor(GATEWAY, LEASES.eth0v1)).toBe('eth0v1');
  });

  it('control: without the rule into main, the container\'s and the LAN host\'s answers go to the modem and are lost', () => {
    delRule('from', LEASES.eth0v0, 'lookup', 'main', 'suppress_prefixlength', '0', 'priority', '999');
    expect(deviceFor(CONTAINER, LEASES.eth0v0)).toBe('eth0v0');
    expect(ping(ctr, LEASES.eth0v0)).toBe(false);
    expect(ping(lan, LEASES.eth0v0)).toBe(false);
    bound('eth0v0', 'RENEW');
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
  });

  it('wg-quick up after srcroute, then down: its rules land before srcroute\'s block, and its down leaves srcroute\'s intact', () => {
    const before = ownedRules().sort();
    wgUp();
    expect(box.ip('-4', 'rule', 'show')).toMatch(/^99[0-7]:\s+from all lookup main suppress_prefixlength 0/m);
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
    wgDown();
    expect(ownedRules().sort()).toEqual(before);
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
  });

  it('wg-quick up before srcroute, then down: its down deletes srcroute\'s rule into main too, and the next lease event puts it back', () => {
    const before = ownedRules().sort();
    for (const iface of ['eth0v0', 'eth0v1'] as const) {
      const env = { reason: 'EXPIRE', interface: iface, old_ip_address: LEASES[iface], old_subnet_cidr: '24', old_routers: GATEWAY };
      box.ip('addr', 'del', `${LEASES[iface]}/24`, 'dev', iface);
      expect(runBundle(box, env, cfg).code).toBe(0);
    }
    expect(ownedRules()).toEqual([]);
    wgUp();
    for (const [iface, addr] of Object.entries(LEASES)) box.ip('addr', 'add', `${addr}/24`, 'dev', iface);
    bound('eth0v0');
    bound('eth0v1');
    expect(ownedRules().sort()).toEqual(before);
    wgDown();
    expect(ownedRules().filter((r) => r.startsWith('999 ')), 'wg-quick down took them').toEqual([]);
    expect(ping(ctr, LEASES.eth0v0)).toBe(false);
    bound('eth0v0', 'RENEW');
    bound('eth0v1', 'RENEW');
    expect(ownedRules().sort()).toEqual(before);
    expect(ping(ctr, LEASES.eth0v0)).toBe(true);
  });
});
