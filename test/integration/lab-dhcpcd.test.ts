// Proof on the real thing (real clients and dnsmasq in namespaces), with dhcpcd: install.sh into the box's sandbox (overlays),
// Debian's dhcpcd-run-hooks sourcing the installed /etc/dhcpcd.exit-hook, dnsmasq as the modem,
// and real pings from the "internet" while the box's main default route is a dead end.
// One lab, scenarios in order (each starts from the state the previous one left, and checks it).
//
// Events are awaited through a recorder line appended to the sandbox's /etc/dhcpcd.exit-hook
// after srcroute's block: when `REASON IFACE` is recorded, srcroute has already run for it.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, GATEWAY2, GATEWAY3, Lab, MACS, waitFor } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { prerequisites } from '../support/prereq.js';

const REPO = resolve(__dirname, '../..');
const ok = prerequisites('lab-dhcpcd', ['root', 'ip', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node']);

// eth0v1 always leases with its own gateway: two macvlans, two gateways, two tables at once
const ROUTER_BY_MAC = { [MACS.eth0v1!]: GATEWAY2 };

describe.skipIf(!ok)('lab: srcroute under real dhcpcd', () => {
  let lab: Lab;
  let addr0 = '';
  let addr1 = '';

  /** Number of events recorded so far: wait for the next ones after this mark. */
  const mark = () => lab.events().length;

  const expectReachable = async (addr: string) => {
    expect(await lab.reachable(addr), `traffic to/from ${addr}`).toEqual({ inbound: true, outbound: true });
  };

  beforeAll(async () => {
    lab = Lab.create();
    const inst = lab.install(REPO, ['eth0v0', 'eth0v1']);
    if (inst.code !== 0) throw new Error(`install.sh failed (${inst.code}):\n${inst.stdout}\n${inst.stderr}`);
    expect(lab.tableOf('eth0v0')).not.toEqual(lab.tableOf('eth0v1'));
    lab.recordEvents();
    await lab.startDnsmasq({ routerByMac: ROUTER_BY_MAC });
  }, 200_000);

  labHousekeeping(() => lab);

  it('1. bind: the rule and the table follow the lease, and traffic flows both ways', async () => {
    const m = mark();
    await lab.startDhcpcd();
    await lab.waitEvent('BOUND', 'eth0v0', m);
    await lab.waitEvent('BOUND', 'eth0v1', m);
    addr0 = lab.checkLease('eth0v0', GATEWAY);
    await expectReachable(addr0);
    expect(lab.dhcpcd!.output).not.toMatch(/srcroute\[[^\]]*\].*failed/);
  });

  it('7. two macvlans: two leases, two gateways, two tables, both reachable at once', async () => {
    addr1 = lab.checkLease('eth0v1', GATEWAY2);
    expect(addr1).not.toEqual(addr0);
    expect(lab.sourceRules()).toHaveLength(2);
    const [a, b] = await Promise.all([lab.reachable(addr0), lab.reachable(addr1)]);
    expect({ a, b }).toEqual({ a: { inbound: true, outbound: true }, b: { inbound: true, outbound: true } });
  });

  it('control: without srcroute\'s rule the same address is unreachable (replies die at the LAN router); `dhcpcd -n` restores it', async () => {
    const table = lab.tableOf('eth0v0');
    lab.box.ip('rule', 'del', 'from', addr0, 'lookup', table, 'pref', '1000');
    const drops = lab.deadEndDrops();
    expect(lab.pingFromInternet(addr0), 'inbound ping without the rule').toBe(false);
    expect(lab.pingFromBox(addr0), 'outbound ping without the rule').toBe(false);
    // the echo reply and the outbound echo request went to the main default route and died there
    expect(lab.deadEndDrops() - drops).toBeGreaterThanOrEqual(2);
    // the table alone does nothing; the rule is what makes it work. A rebind converges again.
    const m = mark();
    const r = lab.dhcpcdCtl('-n', 'eth0v0'); // the one control command this dhcpcd 9.4.1 serves (see lab.ts)
    expect(r.code, r.stderr).toBe(0);
    await lab.waitEvent('RENEW', 'eth0v0', m);
    expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
    await expectReachable(addr0);
  });

  it('2. renew: nothing changes, nothing is duplicated', async () => {
    const before = lab.owned();
    for (let i = 0; i < 2; i++) await lab.renewAll(['eth0v0', 'eth0v1'], mark()); // SIGUSR1, as dhcpcd -N
    expect(lab.owned()).toEqual(before);
    expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
    expect(lab.checkLease('eth0v1', GATEWAY2)).toEqual(addr1);
    expect(lab.dhcpcd!.output).not.toMatch(/File exists/);
    await expectReachable(addr0);
  });

  it('4. the gateway changes: the table\'s default route follows on the next renewal', async () => {
    await lab.startDnsmasq({ router: GATEWAY3, routerByMac: ROUTER_BY_MAC });
    await lab.renewAll(['eth0v0', 'eth0v1'], mark());
    expect(lab.checkLease('eth0v0', GATEWAY3)).toEqual(addr0);
    expect(lab.checkLease('eth0v1', GATEWAY2)).toEqual(addr1);
    await expectReachable(addr0);
  });

  it('3. the ISP renumbers (forgets the lease, serves another range, the cable blinks): old rule gone, new one works', async () => {
    const old0 = addr0;
    const old1 = addr1;
    await lab.startDnsmasq({ range: ['100.64.0.70', '100.64.0.79'], routerByMac: ROUTER_BY_MAC, keepLeases: false });
    const m = mark();
    await lab.blink(500);
    [addr0, addr1] = await lab.rebound(/100\.64\.0\.7\d/, m, [GATEWAY, GATEWAY2], [old0, old1]);
    expect(addr0).toMatch(/^100\.64\.0\.7\d$/);
    await expectReachable(addr0);
    await expectReachable(addr1);
    expect(lab.pingFromInternet(old0)).toBe(false);
  });

  it('5a. carrier loss and return (no `persistent`): nothing while down, back when up', async () => {
    let m = mark();
    lab.carrier(false);
    await lab.waitEvent('EXPIRE', 'eth0v0', m);
    await lab.waitEvent('EXPIRE', 'eth0v1', m);
    lab.checkNothing('eth0v0', [addr0]);
    lab.checkNothing('eth0v1', [addr1]);
    expect(lab.ownedRules()).toEqual([]);
    m = mark();
    lab.carrier(true);
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, 'eth0v0', m);
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v1 /, 'eth0v1', m);
    expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
    expect(lab.checkLease('eth0v1', GATEWAY2)).toEqual(addr1);
    await expectReachable(addr0);
  });

  it('8. dhcpcd killed and restarted (no old_*): converges, also after a renumbering it missed', async () => {
    // SIGKILL: no hook runs, the rules stay behind
    await lab.stopDhcpcd('SIGKILL');
    expect(lab.rulesFrom(addr0)).toHaveLength(1);
    let m = mark();
    await lab.startDhcpcd();
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, 'eth0v0', m);
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v1 /, 'eth0v1', m);
    expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
    expect(lab.sourceRules()).toHaveLength(2);
    await expectReachable(addr0);

    // killed again; while it is dead the ISP renumbers; the new dhcpcd is NAKed and binds anew
    const old0 = addr0;
    await lab.stopDhcpcd('SIGKILL');
    await lab.startDnsmasq({ range: ['100.64.0.80', '100.64.0.89'], routerByMac: ROUTER_BY_MAC, keepLeases: false });
    m = mark();
    await lab.startDhcpcd();
    [addr0, addr1] = await lab.rebound(/100\.64\.0\.8\d/, m, [GATEWAY, GATEWAY2], [old0]);
    await expectReachable(addr0);
    await expectReachable(addr1);
  });

  it('6. release (`dhcpcd -k`) and stop (`dhcpcd -x`): nothing left', async () => {
    // release: every lease given back (STOP, STOPPED), the daemon exits. `dhcpcd -k IFACE`
    // answers "not running" against a manager-mode dhcpcd 9.4.1: release them all.
    let m = mark();
    lab.dhcpcdEnd('-k');
    await lab.waitEvent(/^(RELEASE|STOP|STOPPED) eth0v0/, 'eth0v0', m, 60_000);
    await lab.waitEvent(/^(RELEASE|STOP|STOPPED) eth0v1/, 'eth0v1', m, 60_000);
    await waitFor('dhcpcd to exit', () => !lab.dhcpcd?.running, 60_000);
    expect(lab.address('eth0v0')).toBeUndefined();
    lab.checkNothing('eth0v0', [addr0]);
    lab.checkNothing('eth0v1', [addr1]);
    expect(lab.ownedRules()).toEqual([]);
    expect(lab.pingFromInternet(addr0)).toBe(false);

    // stop: bind again, then `dhcpcd -x`
    m = mark();
    await lab.startDhcpcd();
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, 'eth0v0', m, 30_000);
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v1 /, 'eth0v1', m, 30_000);
    addr0 = lab.checkLease('eth0v0', GATEWAY);
    addr1 = lab.checkLease('eth0v1', GATEWAY2);
    m = mark();
    lab.dhcpcdEnd('-x');
    await lab.waitEvent(/^(STOP|STOPPED) eth0v0/, 'eth0v0', m, 60_000);
    await lab.waitEvent(/^(STOP|STOPPED) eth0v1/, 'eth0v1', m, 60_000);
    await waitFor('dhcpcd to exit', () => !lab.dhcpcd?.running, 60_000);
    lab.checkNothing('eth0v0', [addr0]);
    lab.checkNothing('eth0v1', [addr1]);
    expect(lab.ownedRules()).toEqual([]);
    expect(lab.ownedRoutes()).toEqual([]);
    expect(lab.pingFromInternet(addr1)).toBe(false);
  });

  it('5b. carrier loss and return with `persistent`, then `dhcpcd -x`: converges; the kept addresses keep their rules', async () => {
    if (lab.dhcpcd?.running) await lab.stopDhcpcd();
    let m = mark();
    await lab.startDhcpcd({ persistent: true });
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, 'eth0v0', m);
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v1 /, 'eth0v1', m);
    addr0 = lab.checkLease('eth0v0', GATEWAY);
    await expectReachable(addr0);

    m = mark();
    lab.carrier(false);
    await lab.waitEvent('NOCARRIER', 'eth0v0', m);
    await lab.waitEvent(/^(EXPIRE|NOCARRIER) eth0v1/, 'eth0v1', m);
    // whatever dhcpcd does with the address, no rule may point at a dead link
    await waitFor('no owned rule while the carrier is down', () => lab.ownedRules().length === 0, 10_000);
    m = mark();
    lab.carrier(true);
    await lab.waitEvent(/^(BOUND|REBOOT|RENEW|REBIND) eth0v0 /, 'eth0v0', m);
    await lab.waitEvent(/^(BOUND|REBOOT|RENEW|REBIND) eth0v1 /, 'eth0v1', m);
    expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
    await expectReachable(addr0);

    m = mark();
    lab.dhcpcdEnd('-x');
    await lab.waitEvent('STOPPED', 'eth0v0', m, 60_000);
    await lab.waitEvent('STOPPED', 'eth0v1', m, 60_000);
    await waitFor('dhcpcd to exit', () => !lab.dhcpcd?.running, 60_000);
    // `persistent` leaves each address configured after STOPPED: its rule and routes
    // stay with it, so the address still answers
    expect(lab.address('eth0v0')).toEqual(addr0);
    expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
    lab.checkLease('eth0v1', GATEWAY2);
    await expectReachable(addr0);
  });
});
