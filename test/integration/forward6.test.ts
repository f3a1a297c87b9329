// FORWARD=yes in IPv6 on the built bundle, a real kernel and real nftables (docs/forwarding.md: in
// scope where the box translates IPv6): forward.test.ts's lab in IPv6 (lan-box.ts, lanBox6). A
// container on a ULA behind the bridge with a port published as Docker with `ip6tables: true`
// publishes it (ip6 nat prerouting `fib daddr type local` DNAT to [ULA]:80, masquerade in
// postrouting), a LAN host behind a DNAT66 port forward that masquerades to the box's LAN address,
// and the macvlan with a SLAAC address fed to the bundle as dhcpcd's ROUTERADVERT. wg-quick's IPv6
// rules are there too, added with wg-quick's own commands (the link is a veth). From the internet
// side: with FORWARD=no the published port gives no answer (the kernel routes its reply, from the
// ULA, by wg-quick's table to wg0, where it dies), the control that proves the failing case fails;
// with FORWARD=yes and srcroute's nft table (family inet: the same file as IPv4's) the marked reply
// is routed to the macvlan and answers, still after a renumbering, and so does the LAN host. IPv6
// has no rp_filter sysctl, so forward.test.ts's rp_filter case has no IPv6 twin. The servers are
// python3's http.server, bounded by timeout(1) and killed at the end; all traffic stays in the lab.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDir, requireBundle, runBundle } from '../support/bundle.js';
import type { Netns } from '../support/netns.js';
import { LAN_BOX6, lanBox, lanBox6, settled6 } from '../support/lan-box.js';
import { prerequisites } from '../support/prereq.js';
import { WebServers, fetchPage as fetch, loadNft as nft, wgQuickFullTunnel } from '../support/web-lab.js';
import { nftTableText } from '../../src/kernel/nft-table.js';

const ok = prerequisites('forwarded connections, IPv6', ['root', 'ip', 'nft', 'curl', '/usr/bin/python3', 'timeout']);
const IFACE = 'eth0v0';
const { internet: INTERNET, container: CONTAINER, lanHost: LAN_HOST } = LAN_BOX6;
const MARK = { value: 0x7b000000, mask: 0xff000000 };
const FIRST = '2001:db8:1::50';
const SECOND = '2001:db8:1::70';

let box: Netns, modem: Netns, lan: Netns, ctr: Netns;
const servers = new WebServers();

/** What dockerd writes for `-p 8080:80` with ip6tables (ip6tables-nft, as nft), and a DNAT66 forward 2222. */
const NAT = `table ip6 nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local iifname != "br0" tcp dport 8080 dnat to [${CONTAINER}]:80
    fib daddr type local iifname != "lan0" tcp dport 2222 dnat to [${LAN_HOST}]:80
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip6 saddr fd00:17::/64 oifname != "br0" masquerade
    ip6 saddr ${CONTAINER} ip6 daddr ${CONTAINER} tcp dport 80 masquerade
    ct status dnat oifname "lan0" masquerade
  }
}
`;

async function build(): Promise<void> {
  const lb = lanBox();
  ({ box, modem, lan, ctr } = lb);
  await lanBox6(lb);
  const mac = '02:00:00:aa:bb:01';
  box.ip('link', 'add', 'link', 'eth0', 'name', IFACE, 'address', mac, 'type', 'macvlan', 'mode', 'private');
  box.run(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1', `net.ipv6.conf.${IFACE}.accept_ra=0`]);
  box.ip('link', 'set', IFACE, 'up');
  await settled6([box]);
  nft(box, NAT);
  wgQuickFullTunnel(box, 6);
}

let cfg: string;
const setForward = (on: boolean): void => {
  cfg = configDir({ 'srcroute.env': 'IPV6=yes\n', [`${IFACE}.env`]: `TABLE=123\nFORWARD=${on ? 'yes' : 'no'}\n` });
};
/** `address` on the macvlan (`old` gone from it), then dhcpcd's ROUTERADVERT naming it. */
function lease(address: string, old?: string): void {
  if (old) box.ip('-6', 'addr', 'del', `${old}/64`, 'dev', IFACE);
  if (!box.ip('-6', 'addr', 'show', 'dev', IFACE).includes(address)) {
    box.ip('-6', 'addr', 'add', `${address}/64`, 'dev', IFACE, 'nodad');
  }
  const env = {
    reason: 'ROUTERADVERT', interface: IFACE, nd1_from: LAN_BOX6.router, nd1_lifetime: '1800',
    nd1_addr1: `${address}/64`, nd1_prefix_information1_prefix: '2001:db8:1::', nd1_prefix_information1_length: '64',
    nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '3600',
  };
  const r = runBundle(box, env, cfg);
  expect(r.code, r.stderr).toBe(0);
}
const status = (): string => runBundle(box, {}, cfg, ['status', IFACE]).stdout;
const answersPing = (addr: string): boolean =>
  modem.run(['ping', '-6', '-n', '-c1', '-W2', '-I', INTERNET, addr]).code === 0;
/**
 * The kernel's verdict on the container's reply to the internet, as it arrives from the bridge,
 * unmarked or with the mark the nft table restores: the device it is routed to.
 */
const replyDevice = (mark?: number): string => {
  const marked = mark === undefined ? [] : ['mark', String(mark)];
  return box.json<{ dev: string }>('-6', 'route', 'get', INTERNET, 'from', CONTAINER, 'iif', 'br0', ...marked)[0]!.dev;
};
const markRules = (): string[] =>
  box.ip('-6', 'rule', 'show').split('\n').filter((l) => l.includes('fwmark 0x7b000000'));

describe.skipIf(!ok)('forwarded connections answer through the modem, IPv6 (FORWARD=yes)', () => {
  beforeAll(async () => {
    requireBundle();
    await build();
    servers.serve(ctr, CONTAINER);
    servers.serve(lan, LAN_HOST);
    await servers.up(box, [CONTAINER, LAN_HOST]);
    setForward(false);
    lease(FIRST);
  }, 60_000);
  afterAll(() => {
    servers.stop();
    for (const ns of [box, modem, lan, ctr]) ns?.destroy();
  });

  it('control, FORWARD=no: the box answers from its leased address, the published port and the forward do not', () => {
    expect(markRules()).toEqual([]);
    expect(answersPing(FIRST)).toBe(true);
    expect(fetch(modem, FIRST, 8080, INTERNET)).toBeNull();
    expect(fetch(modem, FIRST, 2222, INTERNET)).toBeNull();
    expect(replyDevice(), 'wg-quick\'s table takes the reply').toBe('wg0');
    expect(replyDevice(MARK.value), 'no rule for the mark yet').toBe('wg0');
  });

  it('FORWARD=yes, with the nft table: the container and the LAN host answer through the modem', () => {
    nft(box, nftTableText(IFACE, MARK));
    setForward(true);
    lease(FIRST);
    expect(markRules()).toEqual([
      '996:\tfrom all fwmark 0x7b000000/0xff000000 lookup main suppress_prefixlength 0 proto 213',
      '997:\tfrom all fwmark 0x7b000000/0xff000000 lookup 123 proto 213',
    ]);
    expect(replyDevice(MARK.value)).toBe(IFACE);
    expect(fetch(modem, FIRST, 8080, INTERNET)).toBe(`hello from ${CONTAINER}`);
    expect(fetch(modem, FIRST, 2222, INTERNET)).toBe(`hello from ${LAN_HOST}`);
  });

  it('control: the rules without the nft table\'s mark do not do it; status says the table is not loaded', () => {
    mkdirSync(join(cfg, 'nft'));
    writeFileSync(join(cfg, 'nft', `${IFACE}.nft`), nftTableText(IFACE, MARK));
    expect(status()).toContain('  forward on, mark 0x7b000000/0xff000000, nft ok\n');
    box.run(['nft', 'delete', 'table', 'inet', `srcroute-${IFACE}`]);
    expect(status()).toContain('  forward on, mark 0x7b000000/0xff000000, nft unloaded\n');
    expect(fetch(modem, FIRST, 8080, INTERNET)).toBeNull();
    nft(box, nftTableText(IFACE, MARK));
    expect(fetch(modem, FIRST, 8080, INTERNET)).toBe(`hello from ${CONTAINER}`);
  });

  it('after a renumbering the new address answers; the mark rules stay as they were', () => {
    const before = markRules();
    lease(SECOND, FIRST);
    expect(markRules()).toEqual(before);
    expect(answersPing(SECOND)).toBe(true); // the new address is up on the modem's link
    expect(fetch(modem, SECOND, 8080, INTERNET)).toBe(`hello from ${CONTAINER}`);
    expect(fetch(modem, SECOND, 2222, INTERNET)).toBe(`hello from ${LAN_HOST}`);
  });

  it('FORWARD=no again: the next event removes the mark rules', () => {
    setForward(false);
    lease(SECOND);
    expect(markRules()).toEqual([]);
    expect(fetch(modem, SECOND, 8080, INTERNET)).toBeNull();
  });
});
