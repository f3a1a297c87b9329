// Leases read back from the DHCP clients: dhcpcd -U output, dhcpcd's lease file (a raw DHCP
// message) and dhclient's lease file. The two dhcpcd files under test/golden were recorded from
// one real lease (dhcpcd 9.4.1 and dnsmasq 2.90), so both readings must agree.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvent } from '../../src/hook/event.js';
import { dhcpcdControl } from '../../src/operator/lease-source.js';
import { leaseEnv, parseDhclientLeases, parseDhcpMessage, parseDumpedLease } from '../../src/hook/lease.js';

const golden = (name: string) => readFileSync(resolve(__dirname, '../golden', name));

describe('dhcpcd -U output and the lease file', () => {
  const dumped = parseDumpedLease(golden('dhcpcd-9.4.1-U-eth0v0.txt').toString())!;
  const file = parseDhcpMessage(new Uint8Array(golden('dhcpcd-9.4.1-eth0v0.lease')))!;

  it('-U prints names without new_, values unquoted', () => {
    expect(dumped).toMatchObject({ reason: 'REBOOT', interface: 'eth0v0', ip_address: '100.64.0.56', subnet_cidr: '24', routers: '100.64.0.1' });
    expect(dumped.skip_hooks).toMatch(/^resolv.conf  hostname/);
  });

  it('the lease file says the same', () => {
    expect(file.vars).toEqual({ ip_address: '100.64.0.56', subnet_mask: '255.255.255.0', subnet_cidr: '24', routers: '100.64.0.1' });
    expect(file.leaseSeconds).toBe(120);
  });

  it('both become the same BOUND event', () => {
    const a = readEvent(leaseEnv('eth0v0', dumped));
    const b = readEvent(leaseEnv('eth0v0', file.vars));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ action: 'follow', reason: 'BOUND', wants: { 4: { kind: 'lease', lease: { address: '100.64.0.56', prefix: 24, gateway: '100.64.0.1' } } } });
  });

  it('the DHCP block is picked when -U prints a link block first', () => {
    expect(parseDumpedLease('reason=CARRIER\ninterface=eth0v0\nprotocol=link\n\nreason=BOUND\nip_address=1.2.3.4\n')).toEqual({ reason: 'BOUND', ip_address: '1.2.3.4' });
    expect(parseDumpedLease('reason=CARRIER\n')).toBeNull();
  });

  it('option 121 comes out in dhclient encoding; not a DHCP message is null', () => {
    const msg = new Uint8Array(golden('dhcpcd-9.4.1-eth0v0.lease'));
    const options = [1, 4, 255, 255, 254, 0, 121, 12, 0, 100, 64, 0, 1, 15, 198, 18, 100, 64, 0, 1, 51, 4, 255, 255, 255, 255, 255];
    const parsed = parseDhcpMessage(new Uint8Array([...msg.subarray(0, 240), ...options]))!;
    expect(parsed.vars).toEqual({ ip_address: '100.64.0.56', subnet_mask: '255.255.254.0', subnet_cidr: '23', rfc3442_classless_static_routes: '0 100 64 0 1 15 198 18 100 64 0 1' });
    expect(parsed.leaseSeconds).toBe(0xffffffff);
    expect(parseDhcpMessage(new Uint8Array(300))).toBeNull();
  });
});

describe('dhclient lease file', () => {
  const text = (expire: string) => `lease {\n  interface "eth0v0";\n  fixed-address 100.64.0.9;\n  option subnet-mask 255.255.255.0;\n  option routers 100.64.0.1,100.64.0.2;\n  expire ${expire};\n}\n`;
  const now = Date.UTC(2025, 0, 1);
  it.each([
    ['the last unexpired lease', `${text('3 2024/12/31 23:00:00')}${text('4 2025/01/02 00:00:00')}`, { ip_address: '100.64.0.9', subnet_mask: '255.255.255.0', routers: '100.64.0.1 100.64.0.2' }],
    ['an expired last lease', text('3 2024/12/31 23:00:00'), null],
    ['no lease block', '# empty\n', null],
  ])('%s', (_, content, want) => {
    expect(parseDhclientLeases(content, now)).toEqual(want);
  });
});

describe('leaseEnv / dhcpcdControl', () => {
  it('no lease is a STOP', () => expect(leaseEnv('eth0v0', null)).toEqual({ reason: 'STOP', interface: 'eth0v0' }));
  it.each([
    [['eth0v0-4.sock', 'eth0v0-4.unpriv.sock'], { dump: ['-4', '-U', 'eth0v0'] }],
    [['eth0v0.sock'], { dump: ['-U', 'eth0v0'] }],
    [['sock', 'unpriv.sock', 'pid'], 'manager'],
    [['eth0v1-4.sock'], null],
    [[], null],
  ])('sockets %j -> %j', (sockets, want) => expect(dhcpcdControl(sockets, 'eth0v0')).toEqual(want));
});
