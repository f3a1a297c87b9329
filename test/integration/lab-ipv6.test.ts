// Proof on the real thing for IPv6: a dual-stack lab (lab.ts with ipv6, lab-ipv6.ts),
// install.sh into the box's sandbox, real dnsmasq sending RAs (SLAAC) and leasing DHCPv6
// addresses (IA_NA), real dhcpcd running IPv4 and IPv6 on two macvlans, and pings -6 both ways
// between the "internet" and every global address of the macvlans, while the box's main IPv6
// default route leads to the LAN router, a dead end. IPv4 is checked at every step too.
// One lab, scenarios in order (each starts from the state the previous one left, and checks it).
//
// The control: without srcroute's IPv6 rules the same addresses are unreachable (the replies die
// at the LAN router); and the layout set by hand works, so a failure is srcroute's, not the lab's.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, GATEWAY2, ISP_PREFIX, ISP_PREFIX2, Lab, MACS, ROUTER6, waitFor } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { checkNothing6, checkV6, deadEndDrops6, globalAddrs6, ownedRoutes6, ownedRules6, ping6FromBox, ping6FromInternet, reachable6 } from '../support/lab-ipv6.js';
import { prerequisites } from '../support/prereq.js';

const REPO = resolve(__dirname, '../..');
const ok = prerequisites('lab-ipv6', ['root', 'ip', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node']);
const IFACES = ['eth0v0', 'eth0v1'] as const;
const ROUTER_BY_MAC = { [MACS.eth0v1!]: GATEWAY2 };
const GATEWAYS: Record<string, string> = { eth0v0: GATEWAY, eth0v1: GATEWAY2 };

/** On-link prefix (/64) of an ISP prefix constant. */
const slash64 = (prefix: string) => `${prefix}/64`;
const inPrefix = (prefix: string) => (a: { local: string }) => a.local.startsWith(prefix.slice(0, -1));

describe.skipIf(!ok)('lab: srcroute IPv6 (dual stack) under real dhcpcd and dnsmasq', () => {
  let lab: Lab;
  const addr4: Record<string, string> = {};
  const mark = () => lab.events().length;

  /** Wait until `iface` holds a SLAAC (/64) and a DHCPv6 (/128) address in `prefix`, past DAD. */
  const waitAddrs6 = (iface: string, prefix: string, timeoutMs = 30_000) =>
    waitFor(`${iface}: a SLAAC and a DHCPv6 address in ${prefix}/64, past DAD`, () => {
      const mine = globalAddrs6(lab, iface).filter(inPrefix(prefix));
      return mine.some((a) => a.prefixlen === 64) && mine.some((a) => a.prefixlen === 128) && mine.every((a) => !a.tentative) && mine;
    }, timeoutMs);

  /** Wait until srcroute's IPv6 rules and table match the kernel's addresses for `iface`. */
  const waitV6 = (iface: string, prefixes: readonly string[], timeoutMs = 20_000) =>
    waitFor(`srcroute's IPv6 rules and table for ${iface}`, () => checkV6(lab, iface, ROUTER6, prefixes), timeoutMs);

  const expectReachable4 = async (iface: string) => {
    expect(lab.checkLease(iface, GATEWAYS[iface]!)).toEqual(addr4[iface]);
    expect(await lab.reachable(addr4[iface]!), `IPv4 to/from ${addr4[iface]}`).toEqual({ inbound: true, outbound: true });
  };

  /** Every address (not deprecated) in `prefix` of `iface` (at least `atLeast`) answers from the internet and reaches it. */
  const expectReachable6 = (iface: string, prefix: string, atLeast = 2) => {
    const addrs = globalAddrs6(lab, iface).filter((a) => inPrefix(prefix)(a) && !a.deprecated);
    expect(addrs.length, `${iface} addresses in ${prefix}`).toBeGreaterThanOrEqual(atLeast);
    for (const a of addrs) expect(reachable6(lab, a.local), `IPv6 to/from ${a.local}`).toEqual({ inbound: true, outbound: true });
  };

  beforeAll(async () => {
    lab = Lab.create({ ipv6: true });
    const inst = lab.install(REPO, [...IFACES]);
    if (inst.code !== 0) throw new Error(`install.sh failed (${inst.code}):\n${inst.stdout}\n${inst.stderr}`);
    lab.recordEvents();
    await lab.startDnsmasq({ routerByMac: ROUTER_BY_MAC });
  }, 200_000);

  labHousekeeping(() => lab);

  it('bind: IPv4 leases and IPv6 SLAAC + DHCPv6 addresses on both macvlans; IPv4 works', async () => {
    const m = mark();
    await lab.startDhcpcd();
    for (const iface of IFACES) {
      await lab.waitEvent('BOUND', iface, m, 30_000);
      addr4[iface] = lab.checkLease(iface, GATEWAYS[iface]!);
      await waitAddrs6(iface, ISP_PREFIX);
      await expectReachable4(iface);
    }
    // the lab is what the issue describes: main's IPv6 default leads to the LAN, not the modem
    expect(lab.show('-6', 'route', 'show', 'default')).toMatch(/^default via 2001:db8:77::1 dev lan0/);
  });

  it('srcroute: one rule per global address, the router and the prefix in the table; every address reachable both ways', async () => {
    for (const iface of IFACES) {
      const addrs = await waitV6(iface, [slash64(ISP_PREFIX)]);
      expect(addrs.length).toBe(2);
      expectReachable6(iface, ISP_PREFIX);
    }
    // the same table number and priority as IPv4, families apart: the IPv4 rules are untouched
    for (const iface of IFACES) expect(lab.rulesFrom(addr4[iface]!)).toHaveLength(1);
    expect(lab.sourceRules()).toHaveLength(2);
    expect(lab.dhcpcd!.output).not.toMatch(/srcroute\[[^\]]*\].*failed/);
  });

  it('control: without srcroute\'s IPv6 rules the same addresses are unreachable (replies die at the LAN router); IPv4 unaffected', async () => {
    const iface = 'eth0v0';
    for (const r of ownedRules6(lab).filter((x) => x.table === lab.tableOf(iface))) {
      lab.box.ip('-6', 'rule', 'del', 'from', r.src!, 'lookup', r.table!, 'pref', String(r.priority));
    }
    const addrs = globalAddrs6(lab, iface).filter(inPrefix(ISP_PREFIX));
    expect(addrs.length).toBe(2);
    for (const a of addrs) {
      const drops = deadEndDrops6(lab);
      expect(ping6FromInternet(lab, a.local), `inbound ping -6 to ${a.local} without a rule`).toBe(false);
      expect(ping6FromBox(lab, a.local), `outbound ping -6 from ${a.local} without a rule`).toBe(false);
      // the echo reply and the outbound echo request went to main's default and died at the LAN router
      expect(deadEndDrops6(lab) - drops, `packets from ${a.local} dropped at the LAN router`).toBeGreaterThanOrEqual(2);
    }
    await expectReachable4(iface);
    // a renewal converges again (RENEW6 is never skipped by the RA gate)
    await lab.renewAll(IFACES, mark());
    await waitV6(iface, [slash64(ISP_PREFIX)]);
    expectReachable6(iface, ISP_PREFIX);
  });

  it('the lab itself: the layout the issue asks for, set by hand (table 250, no protocol 213), makes the same addresses reachable', () => {
    // so that a failure above or below is srcroute's, not the lab's
    const iface = 'eth0v0';
    const addrs = globalAddrs6(lab, iface).filter(inPrefix(ISP_PREFIX));
    lab.box.ip('-6', 'route', 'add', 'default', 'via', ROUTER6, 'dev', iface, 'table', '250');
    lab.box.ip('-6', 'route', 'add', slash64(ISP_PREFIX), 'dev', iface, 'table', '250');
    for (const a of addrs) lab.box.ip('-6', 'rule', 'add', 'from', a.local, 'lookup', '250', 'pref', '900');
    try {
      for (const a of addrs) expect(reachable6(lab, a.local), `IPv6 to/from ${a.local} with hand-made rules`).toEqual({ inbound: true, outbound: true });
    } finally {
      for (const a of addrs) lab.box.ip('-6', 'rule', 'del', 'from', a.local, 'lookup', '250', 'pref', '900');
      lab.box.ip('-6', 'route', 'flush', 'table', '250');
    }
  });

  it('the ISP renumbers: rules follow the new SLAAC and DHCPv6 addresses, the old ones go as their lifetimes end; IPv4 keeps working', async () => {
    const old = new Map(IFACES.map((i) => [i, globalAddrs6(lab, i).filter(inPrefix(ISP_PREFIX)).map((a) => a.local)]));
    // the modem comes back with another prefix and no memory of its DHCPv6 leases: its RAs carry
    // only the new prefix, and renewals of the old addresses go unanswered until they expire
    lab.renumber(ISP_PREFIX, ISP_PREFIX2);
    await lab.startDnsmasq({ routerByMac: ROUTER_BY_MAC, keepLeases: false });
    for (const iface of IFACES) {
      // the new SLAAC address at once, beside the old addresses (valid until their lifetimes end)
      await waitFor(`${iface}: a SLAAC address in ${ISP_PREFIX2}/64`, () => globalAddrs6(lab, iface).some((a) => inPrefix(ISP_PREFIX2)(a) && !a.tentative), 30_000);
      await waitV6(iface, [slash64(ISP_PREFIX2)]);
      expectReachable6(iface, ISP_PREFIX2, 1);
      await expectReachable4(iface);
    }
    // the old DHCPv6 lease expires (EXPIRE6), a new one is leased in the new prefix, the old SLAAC
    // address runs out (the last RA with it gave 120 s): rules and routes follow
    for (const iface of IFACES) {
      await waitFor(`${iface}: the new prefix's DHCPv6 address, and the old prefix's addresses expired`, () => {
        const now = globalAddrs6(lab, iface);
        return now.some((a) => inPrefix(ISP_PREFIX2)(a) && a.prefixlen === 128 && !a.tentative) && now.every((a) => !inPrefix(ISP_PREFIX)(a));
      }, 170_000, 1_000);
      // dhcpcd only deprecates a DHCPv6 address the server stopped giving (no event when the kernel
      // lets it expire), so its rule may stay until the next DHCPv6 event: the renewal at T1 (60 s)
      await waitV6(iface, [slash64(ISP_PREFIX2)], 75_000);
      for (const a of old.get(iface)!) expect(ownedRules6(lab).filter((r) => r.src === a), `rules from the old ${a}`).toEqual([]);
      const table = lab.tableOf(iface);
      expect(ownedRoutes6(lab).filter((r) => r.table === table && r.dst === slash64(ISP_PREFIX)), 'route to the old prefix').toEqual([]);
      expectReachable6(iface, ISP_PREFIX2);
      await expectReachable4(iface);
    }
  }, 330_000);

  it('stop (`dhcpcd -x`): srcroute\'s IPv6 rules and routes are gone, and its IPv4 ones', async () => {
    const m = mark();
    lab.dhcpcdEnd('-x');
    for (const iface of IFACES) await lab.waitEvent('STOPPED', iface, m, 60_000);
    await waitFor('dhcpcd to exit', () => !lab.dhcpcd?.running, 60_000);
    for (const iface of IFACES) {
      checkNothing6(lab, iface);
      lab.checkNothing(iface, [addr4[iface]!]);
    }
    expect(ownedRules6(lab)).toEqual([]);
    expect(ownedRoutes6(lab)).toEqual([]);
    expect(lab.ownedRules()).toEqual([]);
  });
});
