// FORWARD=yes on the built bundle, a real kernel and real nftables (docs/forwarding.md): a box
// with a LAN (main's default), a container behind a bridge with a port published as Docker
// publishes it (nat prerouting `fib daddr type local` DNAT, masquerade in postrouting), a LAN
// host behind a port forward that masquerades to the box's LAN address, and the macvlan with a
// lease srcroute routes. wg-quick's rules are there too, added with wg-quick's own commands (this
// kernel has no WireGuard: its link is a veth). From the internet side (the modem's namespace):
// with FORWARD=no the published port gives no answer (its reply leaves by the LAN, or wg0), the
// control that proves the failing case fails; with FORWARD=yes and srcroute's nft table it
// answers, still after a renumbering, and so does the LAN host. The servers are python3's
// http.server, bounded by timeout(1) and killed at the end; all traffic stays in the lab.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDir, requireBundle, runBundle } from '../support/bundle.js';
import type { Netns } from '../support/netns.js';
import { LAN_BOX, lanBox } from '../support/lan-box.js';
import { prerequisites } from '../support/prereq.js';
import { WebServers, fetchPage as fetch, loadNft as nft, wgQuickFullTunnel } from '../support/web-lab.js';
import { nftTableText } from '../../src/kernel/nft-table.js';

const ok = prerequisites('forwarded connections', ['root', 'ip', 'nft', 'curl', '/usr/bin/python3', 'timeout']);
const IFACE = 'eth0v0';
const { gateway: GATEWAY, internet: INTERNET, container: CONTAINER, lanHost: LAN_HOST } = LAN_BOX;
const MARK = { value: 0x7b000000, mask: 0xff000000 };

let box: Netns, modem: Netns, lan: Netns, ctr: Netns;
const servers = new WebServers();

/** What dockerd writes for `-p 8080:80` (iptables-nft, as nft), and a port forward 2222 to the LAN host. */
const NAT = `table ip nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local iifname != "br0" tcp dport 8080 dnat to ${CONTAINER}:80
    fib daddr type local iifname != "lan0" tcp dport 2222 dnat to ${LAN_HOST}:80
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 172.17.0.0/16 oifname != "br0" masquerade
    ip saddr ${CONTAINER} ip daddr ${CONTAINER} tcp dport 80 masquerade
    ct status dnat oifname "lan0" masquerade
  }
}
`;

function build(): void {
  ({ box, modem, lan, ctr } = lanBox());
  box.ip('link', 'add', 'link', 'eth0', 'name', IFACE, 'address', '02:00:00:aa:bb:01', 'type', 'macvlan', 'mode', 'private');
  box.ip('link', 'set', IFACE, 'up');
  box.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
  nft(box, NAT);
  wgQuickFullTunnel(box, 4);
}

let cfg: string;
const setForward = (on: boolean): void => {
  cfg = configDir({ 'srcroute.env': 'IPV6=no\n', [`${IFACE}.env`]: `TABLE=123\nFORWARD=${on ? 'yes' : 'no'}\n` });
};
function lease(address: string, old?: string): void {
  if (old) box.ip('addr', 'del', `${old}/24`, 'dev', IFACE);
  if (!box.ip('-4', 'addr', 'show', 'dev', IFACE).includes(address)) box.ip('addr', 'add', `${address}/24`, 'dev', IFACE);
  const env = { reason: 'BOUND', interface: IFACE, new_ip_address: address, new_subnet_cidr: '24', new_routers: GATEWAY };
  const r = runBundle(box, env, cfg);
  expect(r.code, r.stderr).toBe(0);
}
const status = (): string => runBundle(box, {}, cfg, ['status', IFACE]).stdout;
const answersPing = (addr: string): boolean => modem.run(['ping', '-n', '-c1', '-W2', '-I', INTERNET, addr]).code === 0;
const markRules = (): string[] => box.ip('-4', 'rule', 'show').split('\n').filter((l) => l.includes('fwmark 0x7b000000'));

describe.skipIf(!ok)('forwarded connections answer through the modem (FORWARD=yes)', () => {
  beforeAll(async () => {
    requireBundle();
    build();
    servers.serve(ctr, CONTAINER);
    servers.serve(lan, LAN_HOST);
    await servers.up(box, [CONTAINER, LAN_HOST]);
    setForward(false);
    lease('100.64.0.50');
  }, 60_000);
  afterAll(() => {
    servers.stop();
    for (const ns of [box, modem, lan, ctr]) ns?.destroy();
  });

  it('control, FORWARD=no: the box answers from its leased address, the published port and the port forward do not', () => {
    expect(markRules()).toEqual([]);
    expect(answersPing('100.64.0.50')).toBe(true);
    expect(fetch(modem, '100.64.0.50', 8080, INTERNET)).toBeNull();
    expect(fetch(modem, '100.64.0.50', 2222, INTERNET)).toBeNull();
  });

  it('FORWARD=yes, with the nft table: the container and the LAN host answer through the modem', () => {
    nft(box, nftTableText(IFACE, MARK));
    setForward(true);
    lease('100.64.0.50');
    expect(markRules()).toEqual([
      '996:\tfrom all fwmark 0x7b000000/0xff000000 lookup main suppress_prefixlength 0 proto 213',
      '997:\tfrom all fwmark 0x7b000000/0xff000000 lookup 123 proto 213',
    ]);
    expect(fetch(modem, '100.64.0.50', 8080, INTERNET)).toBe(`hello from ${CONTAINER}`);
    expect(fetch(modem, '100.64.0.50', 2222, INTERNET)).toBe(`hello from ${LAN_HOST}`);
  });

  it('rp_filter: strict on the macvlan drops forwarded connections (the reverse lookup sees the DNAT\'d address), loose does not', () => {
    const rpFilter = (v: number): void => void box.run(['sysctl', '-qw', `net.ipv4.conf.all.rp_filter=${v}`, `net.ipv4.conf.${IFACE}.rp_filter=${v}`]);
    rpFilter(1);
    expect(answersPing('100.64.0.50')).toBe(true); // the box's own answers pass: their `from` rule names the address
    expect(fetch(modem, '100.64.0.50', 8080, INTERNET)).toBeNull();
    rpFilter(2);
    expect(fetch(modem, '100.64.0.50', 8080, INTERNET)).toBe(`hello from ${CONTAINER}`);
    expect(fetch(modem, '100.64.0.50', 2222, INTERNET)).toBe(`hello from ${LAN_HOST}`);
    rpFilter(0);
  });

  it('control: the rules without the nft table\'s mark do not do it; status says the table is not loaded', () => {
    mkdirSync(join(cfg, 'nft'));
    writeFileSync(join(cfg, 'nft', `${IFACE}.nft`), nftTableText(IFACE, MARK));
    expect(status()).toContain('  forward on, mark 0x7b000000/0xff000000, nft ok\n');
    box.run(['nft', 'delete', 'table', 'inet', `srcroute-${IFACE}`]);
    expect(status()).toContain('  forward on, mark 0x7b000000/0xff000000, nft unloaded\n');
    expect(fetch(modem, '100.64.0.50', 8080, INTERNET)).toBeNull();
    nft(box, nftTableText(IFACE, MARK));
    expect(fetch(modem, '100.64.0.50', 8080, INTERNET)).toBe(`hello from ${CONTAINER}`);
  });

  it('after a renumbering the new address answers; the mark rules stay as they were', () => {
    const before = markRules();
    lease('100.64.0.70', '100.64.0.50');
    expect(markRules()).toEqual(before);
    expect(answersPing('100.64.0.70')).toBe(true); // the new address is up on the modem's link
    expect(fetch(modem, '100.64.0.70', 8080, INTERNET)).toBe(`hello from ${CONTAINER}`);
    expect(fetch(modem, '100.64.0.70', 2222, INTERNET)).toBe(`hello from ${LAN_HOST}`);
  });

  it('FORWARD=no again: the next event removes the mark rules', () => {
    setForward(false);
    lease('100.64.0.70');
    expect(markRules()).toEqual([]);
    expect(fetch(modem, '100.64.0.70', 8080, INTERNET)).toBeNull();
  });
});
