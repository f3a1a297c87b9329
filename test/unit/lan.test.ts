// Which links are the box's LAN (src/operator/lan.ts), that install refuses and check never touches as the modem's link:
// main's lowest-metric default in either family, the SSH session's link, and the ports of such a
// bridge or bond; a port of its own holding a lease (and a default behind the LAN's) is not.
import { describe, expect, it } from 'vitest';
import { lanLinks, type LanInput } from '../../src/operator/lan.js';

const LINKS = [
  { name: 'lo', addrs: ['127.0.0.1', '::1'] },
  { name: 'eth0', addrs: ['192.168.1.5', 'fe80::5'] },
  // Debian's dhcpcd.service leases the modem's port too: an address and a default at a higher metric
  { name: 'eth1', addrs: ['203.0.113.9'] },
  { name: 'br0', addrs: ['10.0.0.2'] },
  { name: 'eno1', master: 'br0', addrs: [] },
];
const V4 = { family: 4 as const, dev: 'eth0', metric: 202 };
const MODEM = { family: 4 as const, dev: 'eth1', metric: 203 };

describe('the LAN links', () => {
  it.each<[string, Partial<LanInput>, [string, string][]]>([
    ['the lowest-metric IPv4 default (a leased port of its own behind it is not the LAN)', { defaults: [MODEM, V4] }, [['eth0', "eth0 carries main's default route (IPv4, metric 202)"]]],
    ['each family\'s own', { defaults: [V4, { family: 6, dev: 'eth1', metric: 100 }] }, [
      ['eth0', "eth0 carries main's default route (IPv4, metric 202)"], ['eth1', "eth1 carries main's default route (IPv6, metric 100)"]]],
    ['the SSH session\'s link, by its local address', { ssh: '192.168.1.20 51234 192.168.1.5 22' }, [['eth0', 'your SSH session comes in on eth0 (192.168.1.5)']]],
    ['the SSH session\'s link, named by a link-local zone', { ssh: 'fe80::20%eth0 51234 fe80::5%eth0 22' }, [['eth0', 'your SSH session comes in on eth0 (fe80::5)']]],
    ['over loopback: nothing', { ssh: '127.0.0.1 51234 127.0.0.1 22' }, []],
    ['a bridge and its ports (Proxmox: vmbr0 over eno1)', { defaults: [{ family: 4, dev: 'br0', metric: 0 }] }, [
      ['br0', "br0 carries main's default route (IPv4, metric 0)"], ['eno1', "eno1 is a port of br0, and br0 carries main's default route (IPv4, metric 0)"]]],
    ['no default, no SSH: nothing', {}, []],
  ])('%s', (_, over, lan) => {
    expect([...lanLinks({ links: LINKS, defaults: [], ssh: undefined, ...over })]).toEqual(lan);
  });
});
