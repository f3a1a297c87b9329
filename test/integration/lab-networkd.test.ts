// Proof on systemd-networkd 252 (Debian 12's) and 257 (Debian 13's: the same scenarios with
// the box chrooted into a trixie root filesystem, debian-root.ts), configured the way netplan leaves it (its .network
// files under /run): README's one command, `install.sh --parent eth0 eth0v0`, makes networkd
// create the macvlan with its stable MAC (MACVLAN= in a drop-in for netplan's eth0 file), enables
// srcroute-dhcpcd@eth0v0 for the device (run from its unit file, in its sandbox, by the lab's
// systemctl; the test plays systemd for networkd's restart and for boot), and tells networkd to
// leave foreign rules alone. `check` finds the networkd that started before that drop-in; after
// the restart, `networkctl reconfigure` and `reload` leave the rule; a reboot routes the address
// again from the files alone; the LAN's default route in main stays the LAN's throughout.
// The LAN's IPv6 default comes from the LAN router's RAs, as on most LANs and on the Debian 13 box that lost it,
// where networkd 257 lost it after install.sh and never got it back. Found here (strace of
// networkd's netlink writes, its debug log): networkd 257 itself deletes it, and its nexthop, when
// the router's neighbour advertisement says Router=no (RFC 4861 7.2.5: "no longer a router"), as
// a Linux router with IPv6 forwarding off on that port says while dnsmasq advertises it: the first
// IPv6 packet through that default (an NS for the router, its answer) does it, srcroute or not.
// networkd 252 ignores the flag. Scenario 8 proves both; the other scenarios run with a router
// that answers as a router does, and the LAN's defaults stay exactly the LAN's throughout.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, INTERNET6, LAN_ROUTER6_LL, waitFor, within } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { routerAdverts } from '../support/lab-ipv6.js';
import { prerequisites } from '../support/prereq.js';
import { RELEASES } from '../support/debian-root.js';
import { releaseRoot, StackLab } from '../support/stack-lab.js';

const REPO = resolve(__dirname, '../..');
const IFACE = 'eth0v0';
const UNIT = 'srcroute-dhcpcd@eth0v0.service';
/**
 * How long a "networkd left it alone" is watched. Each has a control that sees networkd act within
 * the same window: the rule a stale networkd deletes on a reconfigure (scenario 3), the IPv6
 * default networkd 257 drops at an NA that says Router=no (scenario 8: seconds, on a loaded machine).
 */
const RULE_WINDOW_MS = 5_000;
const NA_WINDOW_MS = 10_000;
const ok = prerequisites('lab-networkd', ['root', 'ip', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node', 'networkctl', 'dbus-daemon', 'systemd-analyze']);

for (const release of RELEASES) {
  const root = releaseRoot(release);
  describe.skipIf(!ok || root === false)(`lab on ${release}: systemd-networkd (netplan) manages the box, srcroute the public address`, () => {
    let s: StackLab;
    let addr = '';
    let pristine = '';

    const routed = async (timeoutMs = 30_000) => {
      addr = await s.routed(IFACE, GATEWAY, timeoutMs);
    };
    /** Whether srcroute's rule went within RULE_WINDOW_MS: a networkd that deletes it does so within that (scenario 3's control). */
    const ruleGone = () => within(RULE_WINDOW_MS, () => s.lab.rulesFrom(addr).length === 0);
    /** The rule is there now, and still there after the window in which networkd deletes it if it does. */
    const ruleStays = async () => {
      expect(s.lab.rulesFrom(addr)).toHaveLength(1);
      expect(await ruleGone(), 'networkd deleted the rule').toBe(false);
      s.lab.checkLease(IFACE, GATEWAY);
      s.lanOnly();
    };
    const check = () => s.lab.sh(['/usr/local/sbin/srcroute', 'check']);

    beforeAll(async () => {
      s = StackLab.create({ lan: 'stack', ipv6: true, ...(root ? { root } : {}) }); // networkd configures the LAN; dual stack: the modem advertises a prefix and leases DHCPv6
      s.writeNetplan();
      await s.lab.startLanRa();
      await s.startNetworkd();
      await waitFor('the LAN configured by networkd', () => s.mainDefaults().length === 1 && s.mainDefaults('-6').length === 1, 20_000, 200).catch((e: Error) => {
        throw new Error(`${e.message}\n${s.lab.sh(['networkctl', 'list', '--no-pager']).stdout}\n${s.daemons.map((d) => `${d.name}: ${d.output.slice(-2000)}`).join('\n')}`);
      });
      await s.lab.startDnsmasq();
      pristine = s.snapshot();
    }, 60_000);

    labHousekeeping(() => s?.lab);

    it('0. the unit passes systemd-analyze verify (a broken copy does not: the check can fail)', () => {
      const r = s.lab.sh(['sh', '-c', `d=$(mktemp -d) && trap 'rm -rf "$d"' EXIT && mkdir "$d/root" "$d/root/etc" && cp /etc/machine-id "$d/root/etc/" && node ${REPO}/dist/srcroute.cjs install --root "$d/root" --parent eth0 --stack networkd ${IFACE} >/dev/null 2>&1 && cp "$d/root/etc/systemd/system/srcroute-dhcpcd@.service" "$d/" && cd "$d" && systemd-analyze verify --man=no "$d/${UNIT}" && sed -i 's/^ExecStart=.*/ExecStart=no-such-dhcpcd/' "$d/srcroute-dhcpcd@.service" && ! systemd-analyze verify --man=no "$d/${UNIT}" 2>/dev/null`]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });

    it('1. the LAN only: networkd runs, one default route per family in main, the LAN\'s (IPv6: from its RAs, through a nexthop object on 257)', () => {
      s.lanOnly();
      const [v6] = s.mainDefaults('-6') as { nhid?: number; protocol?: string }[];
      expect(v6!.protocol).toBe('ra');
      expect(v6!.nhid !== undefined).toBe(release === 'debian-13');
      expect(s.lab.box.run(['ip', 'link', 'show', IFACE]).code).not.toBe(0);
    });

    it('2. install.sh --parent eth0 eth0v0 (stack detected): networkd creates the macvlan, dhcpcd leases, srcroute routes', async () => {
      const r = s.lab.install(REPO, ['--parent', 'eth0', IFACE]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/eth0v0: networkd detected: systemd-networkd runs/);
      expect(r.stdout).toMatch(/wrote \/etc\/systemd\/network\/10-netplan-eth0\.network\.d\/srcroute-eth0v0\.conf/);
      expect(r.stdout).toMatch(/running: networkctl reload/);
      expect(r.stderr).not.toMatch(/warning/);
      expect(s.systemctlCalls()).toEqual(expect.arrayContaining(['daemon-reload', 'try-restart systemd-networkd.service', `enable --now --no-block ${UNIT}`]));
      await routed();
      const mac = s.lab.sh(['/usr/local/sbin/srcroute', 'mac', IFACE]).stdout.trim();
      expect(s.lab.box.json<{ address: string }>('link', 'show', IFACE)[0]!.address).toBe(mac);
      expect(s.sh(`ls /etc/systemd/system/sys-subsystem-net-devices-${IFACE}.device.wants/`).trim()).toBe(UNIT);
    }, 90_000);

    it('3. check finds the networkd that started before its drop-in (which does delete the rule); after the restart install.sh asked for, it stays', async () => {
      const c = check();
      expect(c.code, c.stdout).toBe(1);
      expect(c.stdout).toMatch(/systemd-networkd started before \/etc\/systemd\/networkd\.conf\.d\/srcroute\.conf was written/);
      expect(c.stdout).toMatch(/fix: systemctl restart systemd-networkd/);
      // the control: that networkd still uses ManageForeignRoutingPolicyRules=yes
      expect(s.lab.sh(['networkctl', 'reconfigure', 'lan0']).code).toBe(0);
      expect(await ruleGone(), 'the stale networkd deletes the rule within the window').toBe(true);
      await s.restartNetworkd();
      expect(s.lab.sh(['/usr/local/sbin/srcroute', 'sync', IFACE]).code).toBe(0);
      await ruleStays();
      const again = check();
      expect(again.stdout, again.stdout).toMatch(/no problem found/);
      expect(again.code).toBe(0);
    }, 60_000);

    it('4. a second install.sh run changes nothing and runs nothing', () => {
      expect(() => s.installAgain(REPO, IFACE)).not.toThrow();
    });

    it('5. networkctl reconfigure eth0, reconfigure lan0, reload: the rule stays', async () => {
      for (const args of [['reconfigure', 'eth0'], ['reconfigure', 'lan0'], ['reload']]) {
        const r = s.lab.sh(['networkctl', ...args]);
        expect(r.code, `networkctl ${args.join(' ')}: ${r.stderr}`).toBe(0);
        await ruleStays();
      }
      const st = s.lab.sh(['/usr/local/sbin/srcroute', 'status', IFACE]).stdout;
      expect(st).toMatch(new RegExp(`^${IFACE}: table pub \\(123\\), .*\\n  ipv4  ${addr.replace(/\./g, '\\.')}/24 via ${GATEWAY}\\n {8}rule ok, local ok, default ok, connected ok$`, 'm'));
    }, 60_000);

    it('5a. dual stack: every public IPv6 address of eth0v0 (SLAAC, DHCPv6) has its rule and answers ping -6 from the ISP side; IPv6AcceptRA=no keeps the kernel\'s RA handling off through networkctl reconfigure eth0v0: no RA default in main', async () => {
      await s.routed6(IFACE);
      expect(s.acceptRa(IFACE)).toBe('0');
      const seen = routerAdverts(s.lab.box, IFACE);
      expect(s.lab.sh(['networkctl', 'reconfigure', IFACE]).code).toBe(0);
      await waitFor('an RA handled on the reconfigured link', () => routerAdverts(s.lab.box, IFACE) > seen, 20_000);
      expect(s.acceptRa(IFACE)).toBe('0');
      expect(s.mainDefaults('-6').filter((r) => r.dev === IFACE)).toEqual([]);
      await s.routed6(IFACE);
      await routed();
    }, 60_000);

    it('6. reboot: networkd recreates the macvlan, systemd starts the enabled unit for it, the address is routed again', async () => {
      const before = addr;
      await s.reboot();
      expect(s.lab.ownedRules()).toEqual([]);
      await s.startNetworkd();
      expect(await s.startDeviceUnits()).toEqual([`sys-subsystem-net-devices-${IFACE}.device.wants/${UNIT}`]);
      await routed(40_000);
      expect(addr).toBe(before);
    }, 90_000);

    it('7. install.sh --uninstall --purge: dhcpcd stopped, the macvlan gone, /etc and /usr/local as before', async () => {
      await s.uninstallPurge(REPO, IFACE, pristine);
    }, 60_000);

    it('8. the cause of a lost IPv6 default on Debian 13: a LAN router whose neighbour advertisements say Router=no; networkd 257 drops the default at the first one, 252 keeps it; one that says Router=yes keeps it on both (no srcroute left on the box)', async () => {
      for (const routerNa of [true, false]) {
        s.lab.setLanRouterNa(routerNa);
        try {
          await waitFor('the LAN\'s IPv6 default', () => s.mainDefaults('-6').length === 1, 20_000, 200);
          s.lab.box.run(['ip', '-6', 'neigh', 'flush', 'dev', 'lan0']);
          // one packet through the default (the LAN router forwards nothing: no answer) makes the kernel solicit the router
          s.lab.box.run(['ping', '-6', '-n', '-c1', '-W1', INTERNET6]);
          await waitFor('the router\'s answer', () => /REACHABLE|STALE|DELAY|PROBE/.test(s.lab.box.ip('-6', 'neigh', 'show', LAN_ROUTER6_LL, 'dev', 'lan0')), 10_000);
          // networkd acts on the NA as it arrives; 257 at Router=no (the control) drops the default within the window
          const dropped = await within(NA_WINDOW_MS, () => s.mainDefaults('-6').length === 0);
          expect(dropped, `Router=${routerNa ? 'yes' : 'no'}: default dropped`).toBe(!routerNa && release !== 'debian-12');
        } finally {
          s.lab.setLanRouterNa(true);
        }
      }
      await waitFor('the LAN\'s IPv6 default from the next RA', () => s.mainDefaults('-6').length === 1, 20_000, 200);
      s.lanOnly();
    }, 90_000);
  });
}
