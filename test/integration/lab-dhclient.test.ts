// Proof on the real thing (real clients and dnsmasq in namespaces), with ISC dhclient: install.sh into the box's
// sandbox puts the shim in /etc/dhcp/dhclient-exit-hooks.d/srcroute, Debian's
// /sbin/dhclient-script sources it on every event. dhclient runs in the foreground (-d) with its
// lease and pid files under the lab's temp dir. The modem sets T1/T2 to 3 s/6 s so dhclient
// renews by itself within seconds (dnsmasq's shortest lease is 120 s: T1 would be 60 s).
// A lease declined by dhclient (an exit hook returning non-zero on BOUND/RENEW) would show as
// DHCPDECLINE on both sides and the address would go: checked after every step.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, Lab, waitFor } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { prerequisites } from '../support/prereq.js';

const REPO = resolve(__dirname, '../..');
const ok = prerequisites('lab-dhclient', ['root', 'ip', 'dhclient', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node']);
const IFACE = 'eth0v0';

describe.skipIf(!ok)('lab: srcroute under real ISC dhclient (scenario 9)', () => {
  let lab: Lab;
  let addr = '';
  const mark = () => lab.events().length;

  const expectNeverDeclined = () => {
    expect(lab.dnsmasq?.output ?? '', 'dnsmasq saw a DHCPDECLINE').not.toMatch(/DHCPDECLINE/);
    const client = [...lab.dhclients.values()].map((d) => d.output).join('\n');
    expect(client, 'dhclient declined a lease').not.toMatch(/DHCPDECLINE|decline/i);
  };

  const expectReachable = async (a: string) => {
    expect(await lab.reachable(a), `traffic to/from ${a}`).toEqual({ inbound: true, outbound: true });
  };

  beforeAll(async () => {
    lab = Lab.create({ macvlans: [IFACE] });
    const inst = lab.install(REPO, [IFACE]);
    if (inst.code !== 0) throw new Error(`install.sh failed (${inst.code}):\n${inst.stdout}\n${inst.stderr}`);
    // the shim is where Debian's dhclient-script looks, under a name run-parts accepts
    const parts = lab.sh(['run-parts', '--list', '/etc/dhcp/dhclient-exit-hooks.d']).stdout;
    expect(parts).toMatch(/\/srcroute$/m);
    lab.recordEvents();
    await lab.startDnsmasq({ extra: ['--dhcp-option=option:T1,3', '--dhcp-option=option:T2,6'] });
  }, 200_000);

  labHousekeeping(() => lab);

  it('bind: the shim runs srcroute, the lease is kept, traffic flows both ways', async () => {
    const m = mark();
    lab.startDhclient(IFACE);
    await lab.waitEvent('BOUND', IFACE, m, 30_000);
    addr = lab.checkLease(IFACE, GATEWAY);
    await expectReachable(addr);
    expectNeverDeclined();
  });

  it('renew (dhclient\'s own T1 renewals): nothing changes, nothing is duplicated, never declined', async () => {
    const before = lab.owned();
    const m = mark();
    await waitFor('two RENEW events', () => lab.events().slice(m).filter((l) => l.startsWith(`RENEW ${IFACE} `)).length >= 2, 20_000);
    expect(lab.owned()).toEqual(before);
    expect(lab.checkLease(IFACE, GATEWAY)).toEqual(addr);
    await expectReachable(addr);
    expectNeverDeclined();
  });

  it('release (`dhclient -r`): nothing left', async () => {
    const m = mark();
    const r = await lab.dhclientStop(IFACE, '-r');
    expect(r.code, r.stderr).toBe(0);
    await lab.waitEvent('RELEASE', IFACE, m);
    await waitFor('address released', () => lab.address(IFACE) === undefined, 10_000);
    lab.checkNothing(IFACE, [addr]);
    expect(lab.ownedRules()).toEqual([]);
    expect(lab.pingFromInternet(addr)).toBe(false);
  });

  it('restart after a release, then stop (`dhclient -x`): bound again, then nothing left', async () => {
    let m = mark();
    lab.startDhclient(IFACE);
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 30_000);
    addr = lab.checkLease(IFACE, GATEWAY);
    await expectReachable(addr);
    expectNeverDeclined();
    m = mark();
    const r = await lab.dhclientStop(IFACE, '-x');
    expect(r.code, r.stderr).toBe(0);
    await lab.waitEvent('STOP', IFACE, m);
    lab.checkNothing(IFACE, [addr]);
    expect(lab.ownedRules()).toEqual([]);
  });
});
