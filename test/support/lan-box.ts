// A box between a LAN and a cable modem, with a container behind a bridge: the lab that
// local-networks.test.ts and forward.test.ts build their macvlans on. The LAN router
// (192.168.77.1) is main's default; the container is 172.17.0.2 on br0; eth0 is the modem's
// link, the modem 100.64.0.1 with an internet address on its loopback.
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
