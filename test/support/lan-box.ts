// A box between a LAN and a cable modem, with a container behind a bridge: the lab that
// local-networks.test.ts and forward.test.ts build their macvlans on. The LAN router
// (192.168.77.1) is main's default; the container is 172.17.0.2 on br0; eth0 is the modem's
// link, the modem 100.64.0.1 with an internet address on its loopback. lanBox6() adds the same
// networks in IPv6: the LAN 2001:db8:77::/64 (main's default, the LAN router a dead end for the
// internet), the container a ULA behind br0, the modem 2001:db8:1::1 and fe80::1 (the router an RA
// names) on the ISP's /64, its internet address on its loopback. Every address is added `nodad`,
// and lanBox6 waits until no address is tentative, so a ping's first packet is not lost to DAD.
import { waitFor } from './lab.js';
import { Netns } from './netns.js';

export const LAN_BOX = { gateway: '100.64.0.1', internet: '198.51.100.10', container: '172.17.0.2', lanHost: '192.168.77.1' } as const;

export interface LanBox {
  box: Netns;
  modem: Netns;
  lan: Netns;
  ctr: Netns;
}

/** A veth pair between two namespaces, both ends up. */
export function link(a: Netns, an: string, b: Netns, bn: string): void {
  a.ip('link', 'add', an, 'type', 'veth', 'peer', 'name', bn, 'netns', b.name);
  a.ip('link', 'set', an, 'up');
  b.ip('link', 'set', bn, 'up');
}

export function lanBox(): LanBox {
  const [box, modem, lan, ctr] = ['box', 'modem', 'lan', 'ctr'].map((t) => Netns.create(t)) as [Netns, Netns, Netns, Netns];
  link(box, 'lan0', lan, 'lan0');
  box.ip('addr', 'add', '192.168.77.2/24', 'dev', 'lan0');
  box.ip('route', 'add', 'default', 'via', LAN_BOX.lanHost);
  lan.ip('addr', 'add', `${LAN_BOX.lanHost}/24`, 'dev', 'lan0');
  box.ip('link', 'add', 'br0', 'type', 'bridge');
  box.ip('addr', 'add', '172.17.0.1/16', 'dev', 'br0');
  box.ip('link', 'set', 'br0', 'up');
  link(box, 'vethc', ctr, 'eth0');
  box.ip('link', 'set', 'vethc', 'master', 'br0');
  ctr.ip('addr', 'add', `${LAN_BOX.container}/16`, 'dev', 'eth0');
  ctr.ip('route', 'add', 'default', 'via', '172.17.0.1');
  link(box, 'eth0', modem, 'cable');
  modem.ip('addr', 'add', `${LAN_BOX.gateway}/24`, 'dev', 'cable');
  modem.ip('addr', 'add', `${LAN_BOX.internet}/32`, 'dev', 'lo');
  return { box, modem, lan, ctr };
}

export const LAN_BOX6 = {
  gateway: '2001:db8:1::1',
  router: 'fe80::1',
  prefix: '2001:db8:1::/64',
  internet: '2001:db8:ff::10',
  container: 'fd00:17::2',
  lanHost: '2001:db8:77::1',
} as const;

/** What lanBox6 adds, namespace by namespace: [device, address] pairs, then routes. */
const ADDRS6: Record<keyof LanBox, [string, string][]> = {
  box: [['lan0', '2001:db8:77::2/64'], ['br0', 'fd00:17::1/64']],
  lan: [['lan0', `${LAN_BOX6.lanHost}/64`]],
  ctr: [['eth0', `${LAN_BOX6.container}/64`]],
  modem: [['cable', `${LAN_BOX6.gateway}/64`], ['cable', `${LAN_BOX6.router}/64`], ['lo', `${LAN_BOX6.internet}/128`]],
};
const ROUTES6: Partial<Record<keyof LanBox, string>> = { box: LAN_BOX6.lanHost, ctr: 'fd00:17::1' };

/** The IPv6 half of the lab on a lanBox(); resolves once no address in it is tentative. */
export async function lanBox6(lb: LanBox): Promise<void> {
  for (const [ns, pairs] of Object.entries(ADDRS6) as [keyof LanBox, [string, string][]][]) {
    for (const [dev, addr] of pairs) lb[ns].ip('-6', 'addr', 'add', addr, 'dev', dev, 'nodad');
  }
  for (const [ns, via] of Object.entries(ROUTES6) as [keyof LanBox, string][]) {
    lb[ns].ip('-6', 'route', 'add', 'default', 'via', via);
  }
  await settled6(Object.values(lb));
}

/** Wait until no IPv6 address in `namespaces` is tentative (link-locals and macvlans added later too). */
export async function settled6(namespaces: readonly Netns[]): Promise<void> {
  const tentative = (ns: Netns): string => ns.ip('-6', 'addr', 'show', 'tentative').trim();
  await waitFor('no tentative IPv6 address', () => namespaces.every((ns) => tentative(ns) === ''), 10_000);
}
