// Which DHCP client leases which interface, from process titles and argv as /proc shows them
// (dhcpcd 9.4.1's titles and ifupdown 0.8.41's dhclient command line, copied from a lab run).
import { describe, expect, it } from 'vitest';
import { clientsOf, describeClient, dhcpClients, fighting } from '../../src/operator/dhcp-clients.js';
import type { Proc } from '../../src/operator/running.js';

const proc = (comm: string, argv: string[], pid = 100): Proc => ({ pid, comm, argv, startedMs: 0 });
const IFUP_DHCLIENT = ['dhclient', '-4', '-v', '-i', '-pf', '/run/dhclient.eth0v0.pid', '-lf', '/var/lib/dhcp/dhclient.eth0v0.leases', '-I', '-df', '/var/lib/dhcp/dhclient6.eth0v0.leases', 'eth0v0'];

describe('dhcpClients', () => {
  it.each<[string, string, string[], string[] | 'all' | null]>([
    ['dhcpcd.service (manager mode)', 'dhcpcd', ['dhcpcd: [manager] [ip4] [ip6]  '], 'all'],
    ['ifup\'s dhcpcd', 'dhcpcd', ['dhcpcd: eth0v0 [ip4] [ip6]'], ['eth0v0']],
    ['a privilege-separated helper', 'dhcpcd', ['dhcpcd: [privileged proxy] eth0v0 [ip6]'], null],
    ['the network proxy of a lease', 'dhcpcd', ['dhcpcd: [network proxy] 100.64.0.53'], null],
    ['the control proxy', 'dhcpcd', ['dhcpcd: [control proxy]'], null],
    ['untitled manager (no privilege separation)', 'dhcpcd', ['/usr/sbin/dhcpcd', '-q', '-b'], 'all'],
    ['untitled, one interface, a config file', 'dhcpcd', ['dhcpcd', '-f', '/etc/lab.conf', '-4', 'eth0v0'], ['eth0v0']],
    ["dhcpcd@.service's", 'dhcpcd', ['/usr/sbin/dhcpcd', '-q', '-w', 'eth0v0'], ['eth0v0']],
    ['a control command on its way', 'dhcpcd', ['dhcpcd', '-n', 'eth0v0'], null],
    ["ifupdown's dhclient", 'dhclient', IFUP_DHCLIENT, ['eth0v0']],
    ["ifdown's release", 'dhclient', [...IFUP_DHCLIENT.slice(0, 4), '-r', ...IFUP_DHCLIENT.slice(4)], null],
    ['dhclient for every interface', 'dhclient', ['dhclient'], 'all'],
    ['busybox udhcpc', 'udhcpc', ['udhcpc', '-n', '-p', '/run/udhcpc.eth0v0.pid', '-i', 'eth0v0'], ['eth0v0']],
    ['not a DHCP client', 'NetworkManager', ['/usr/sbin/NetworkManager', '--no-daemon'], null],
  ])('%s', (_, comm, argv, want) => {
    const got = dhcpClients([proc(comm, argv)]);
    expect(got.map((c) => c.ifaces)).toEqual(want === null ? [] : [want]);
  });

  it('clientsOf: a manager leases every interface, the others what they name', () => {
    const clients = dhcpClients([proc('dhcpcd', ['dhcpcd: [manager] [ip4]'], 1), proc('dhclient', IFUP_DHCLIENT, 2)]);
    expect(clientsOf(clients, 'eth0v0').map((c) => c.pid)).toEqual([1, 2]);
    expect(clientsOf(clients, 'eth0v1').map((c) => c.pid)).toEqual([1]);
    expect(clients.map(describeClient)).toEqual(['dhcpcd (manager mode, every interface; pid 1)', 'dhclient (eth0v0; pid 2)']);
  });

  it("fighting: ifup's dhclient -4 and dhclient -6 lease one family each; a second one of a family fights", () => {
    const v6 = ['dhclient', '-6', '-v', '-pf', '/run/dhclient6.eth0v0.pid', '-lf', '/var/lib/dhcp/dhclient6.eth0v0.leases', '-I', '-df', '/var/lib/dhcp/dhclient.eth0v0.leases', 'eth0v0'];
    const [four, six] = dhcpClients([proc('dhclient', IFUP_DHCLIENT, 1), proc('dhclient', v6, 2)]);
    expect([four!.families, six!.families, six!.ifaces]).toEqual([[4], [6], ['eth0v0']]);
    expect(fighting([four!, six!])).toEqual([]);
    const manager = dhcpClients([proc('dhcpcd', ['dhcpcd: [manager] [ip4] [ip6]'], 3)]);
    expect(fighting([four!, six!, ...manager]).map((c) => c.pid)).toEqual([1, 3]);
  });
});
