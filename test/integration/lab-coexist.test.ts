// srcroute beside the policy routing such boxes already carry (VPNs, containers, other rules), on the real thing:
// install.sh into the lab box's sandbox, a real dhcpcd leasing from dnsmasq, pings from the
// internet side. Each scenario adds another program's rules as that program does:
//  - a mesh VPN's fwmark rules at 5210-5270 and its table 52 (tailscale's layout): after
//    srcroute's rule at 1000, they change nothing; check stays silent;
//  - wg-quick's `not fwmark 51820 table 51820` and `table main suppress_prefixlength 0`, added
//    without a preference: the kernel puts them at 997 and 996, before srcroute's block, and every
//    reply from the public address goes into the tunnel (the ping from the internet is lost);
//  - a catch-all `from all lookup 200` at preference 500, table 200 leading to the LAN router.
// In every one: srcroute's own rules and routes are untouched by them, theirs are untouched by
// srcroute's hook (a renewal) and sync, and check names exactly the rule that shadows srcroute's,
// whose printed fix, run, makes check pass and the address answer pings again.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, LAN_ROUTER, Lab } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { prerequisites } from '../support/prereq.js';
import type { RunResult } from '../support/run.js';

const REPO = resolve(__dirname, '../..');
const IFACE = 'eth0v0';
const ok = prerequisites('living beside other policy routing', ['root', 'ip', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node']);

describe.skipIf(!ok)('living beside other policy routing (real kernel, real dhcpcd)', () => {
  let lab: Lab | undefined;
  let addr = '';
  labHousekeeping(() => lab);

  const L = (): Lab => lab!;
  const srcroute = (...args: string[]): RunResult => L().sh(['/usr/local/sbin/srcroute', ...args]);
  const sh = (script: string): RunResult => {
    const r = L().sh(['sh', '-c', script]);
    if (r.code !== 0) throw new Error(`${script}: ${r.stderr}`);
    return r;
  };
  /** Rules of other programs, as the kernel lists them. */
  const foreign = () => L().rules().filter((r) => r.protocol !== '213');
  const healthy = async () => {
    const r = srcroute('check');
    expect(r.stdout, r.stderr).toBe(`srcroute check: no problem found (${IFACE})\n`);
    expect(await L().reachable(addr)).toEqual({ inbound: true, outbound: true });
  };
  /** check finds exactly one problem: the rule that shadows srcroute's. Its fix lines, run, repair. */
  const shadowedBy = async (text: RegExp): Promise<void> => {
    const r = srcroute('check');
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^srcroute check: 1 problem found\n/);
    expect(r.stdout).toMatch(new RegExp(`1\\. ${IFACE}: packets from ${addr.replace(/\./g, '\\.')} go .* rule "`));
    expect(r.stdout).toMatch(text);
    expect((await L().reachable(addr)).inbound, 'the control: replies from the address are lost').toBe(false);
    const fix = /fix: (.*?)\s+#/.exec(r.stdout)![1]!;
    expect(fix).toMatch(/^echo PRIORITY=\d+ >> \/etc\/srcroute\/eth0v0\.env && srcroute sync eth0v0$/);
    const before = foreign();
    sh(fix);
    expect(foreign(), 'sync touched no rule of theirs').toEqual(before);
  };
  /** A renewal runs the hook: theirs stay as they are, ours too. */
  const renewKeeps = async (): Promise<void> => {
    const theirs = foreign();
    const ours = L().owned();
    await L().renewAll([IFACE], L().events().length);
    expect(foreign()).toEqual(theirs);
    expect(L().owned()).toEqual(ours);
  };
  /** Back to the default preference: the env file as install.sh wrote it, then sync. */
  const unprioritise = () => sh(`sed -i '/^PRIORITY=/d' /etc/srcroute/${IFACE}.env && /usr/local/sbin/srcroute sync ${IFACE}`);

  beforeAll(async () => {
    lab = Lab.create({ macvlans: [IFACE] });
    const inst = lab.install(REPO, ['--configure-dhcpcd', IFACE]);
    if (inst.code !== 0) throw new Error(`install.sh failed (${inst.code}):\n${inst.stdout}\n${inst.stderr}`);
    lab.recordEvents();
    await lab.startDnsmasq();
    const m = lab.events().length;
    await lab.startDhcpcd();
    await lab.waitEvent('BOUND', IFACE, m);
    addr = lab.checkLease(IFACE, GATEWAY);
  }, 240_000);

  it('0. converged: check silent, the address answers pings', async () => {
    await healthy();
  });

  it('1. a mesh VPN\'s fwmark rules at 5210-5270 and its table 52: after srcroute\'s, they change nothing', async () => {
    const ours = L().owned();
    sh([
      'ip rule add fwmark 0x80000/0xff0000 lookup main pref 5210',
      'ip rule add fwmark 0x80000/0xff0000 lookup default pref 5230',
      'ip rule add fwmark 0x80000/0xff0000 unreachable pref 5250',
      'ip rule add lookup 52 pref 5270',
      'ip route add 100.100.100.100/32 dev lo table 52',
    ].join(' && '));
    expect(L().owned()).toEqual(ours);
    await healthy();
    await renewKeeps();
    sh('ip rule del pref 5210 && ip rule del pref 5230 && ip rule del pref 5250 && ip rule del pref 5270 && ip route flush table 52');
  });

  it('2. wg-quick\'s rules land at 996-997, before srcroute\'s block: check names the one that wins; its fix puts srcroute first', async () => {
    const ours = L().owned();
    sh([
      'ip link add wg0 type veth peer name wg0p',
      'ip link set wg0 up',
      'ip link set wg0p up',
      'ip route add default dev wg0 table 51820',
      'ip rule add not fwmark 51820 table 51820',
      'ip rule add table main suppress_prefixlength 0',
    ].join(' && '));
    expect(L().owned(), 'their rules moved none of ours').toEqual(ours);
    expect(foreign().map((r) => Number(r.priority)).sort((a, b) => a - b)).toEqual([0, 996, 997, 32766, 32767]);
    await shadowedBy(/rule "997: not from all fwmark 0xca6c lookup 51820" decides them before srcroute's \(pref 998\)/);
    await healthy();
    await renewKeeps();
    sh('ip rule del pref 997 && ip rule del pref 996 && ip link del wg0');
    unprioritise();
    await healthy();
  });

  it('3. a catch-all at preference 500 into a table of its own: named, and fixed the same way', async () => {
    sh(`ip route add default via ${LAN_ROUTER} table 200 && ip rule add from all lookup 200 pref 500`);
    await shadowedBy(/rule "500: from all lookup 200" decides them before srcroute's \(pref 998\)/);
    await healthy();
    sh('ip rule del pref 500 && ip route flush table 200');
    unprioritise();
    await healthy();
    expect(L().sourceRules().map((r) => r.priority)).toEqual([1000]);
  });
});
