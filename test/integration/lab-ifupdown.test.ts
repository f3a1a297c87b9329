// ifupdown: Debian 12 and DietPi (ifupdown 0.8.41 + ISC dhclient) and Debian 13 fresh
// installs (ifupdown + dhcpcd, no dhclient: hidden here by a bind mount in the sandbox, as it
// would be there, so the stanza has ifup start srcroute-dhcpcd@ and ifdown stop it). Each suite runs on both releases: debian-12 on this
// machine's programs, debian-13 chrooted into a trixie root filesystem (debian-root.ts: ifupdown
// 0.8.44, dhcpcd 10.1, isc-dhcp-client as an upgraded box keeps it, networking.service as trixie
// ships it). The real ifup/ifdown run in the box's sandbox over a private
// /etc/network written as Debian's installer does (interfaces.d sourced at the top, before the
// LAN), with the LAN configured by ifupdown too. Each suite: the README's setup commands, lease,
// rule, pings both ways; ifdown/ifup; a power cut and `ifup -a` (networking.service's ExecStart)
// routes the public address again without a command; the LAN's default route in main is the
// LAN's before, during and after.
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, Lab, LAN_ROUTER6, ROUTER6, waitFor } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { routerAdverts } from '../support/lab-ipv6.js';
import { RELEASES } from '../support/debian-root.js';
import { prerequisites } from '../support/prereq.js';
import { DEBIAN_INTERFACES, DEBIAN_INTERFACES6, execStarts, releaseRoot, StackLab, UNITS } from '../support/stack-lab.js';

const REPO = resolve(__dirname, '../..');
const IFACE = 'eth0v0';
const ok = prerequisites('lab-ifupdown', ['root', 'ip', 'ifup', 'ifdown', 'dhclient', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node', ...UNITS]);

type Client = 'dhclient' | 'dhcpcd';

/** The box as Debian's installer leaves it (ifupdown configures the LAN), ifup's client `client`, dnsmasq on the modem. */
async function debianBox(client: Client, ipv6: boolean, root: string | undefined): Promise<StackLab> {
  // dhcpcd: ifup starts and stops srcroute-dhcpcd@ through systemctl (the fake one: stack-lab.ts)
  const box = StackLab.create({ lan: 'stack', systemd: client === 'dhcpcd', ipv6, ...(root ? { root } : {}) });
  box.lab.writeFile('/etc/network/interfaces', ipv6 ? DEBIAN_INTERFACES6 : DEBIAN_INTERFACES);
  box.must(['sh', '-c', 'rm -f /etc/network/interfaces.d/*']);
  if (client === 'dhcpcd') {
    // Debian 13 without isc-dhcp-client: ifupdown then runs `dhcpcd IFACE`
    box.must(['mount', '--bind', '/dev/null', '/sbin/dhclient']);
    box.labDhcpcdConf();
  }
  box.must(['ifup', '-a']);
  box.lanOnly();
  // T1/T2 of 3 s/6 s: the clients renew by themselves within seconds
  await box.lab.startDnsmasq({ extra: ['--dhcp-option=option:T1,3', '--dhcp-option=option:T2,6'] });
  return box;
}

for (const release of RELEASES) {
  const root = releaseRoot(release);
  describe.skipIf(!ok || root === false).each(['dhclient', 'dhcpcd'] as const)(`lab on ${release}: ifupdown with %s`, (client) => {
    let lab: Lab;
    let box: StackLab;
    let addr = '';
    let pristine = '';
    let port = '';
    const mark = () => lab.events().length;
    const waitBound = (m: number) => lab.waitEvent(new RegExp(`^(BOUND|REBOOT) ${IFACE} `), IFACE, m, 40_000);

    const expectRouted = (): Promise<string> => box.routed(IFACE, GATEWAY);

    beforeAll(async () => {
      box = await debianBox(client, false, root || undefined);
      lab = box.lab;
    }, 60_000);

    labHousekeeping(() => lab);

    it("README's setup (`install.sh --parent eth0 eth0v0`, ifupdown detected): leased, source-routed, the LAN's default untouched", async () => {
      const before = lab.sandbox.snapshot();
      const dry = lab.install(REPO, ['--dry-run', '--parent', 'eth0', IFACE]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`would write /etc/network/interfaces.d/${IFACE}`);
      expect(dry.stdout).toContain(`would run: ifup ${IFACE}`);
      expect(lab.sandbox.snapshot(), '--dry-run changed nothing').toBe(before);
      box.stockPort();
      const inst = box.setUp(REPO, IFACE);
      pristine = inst.pristine;
      port = inst.port;
      expect(inst.stdout).toContain(`${IFACE}: ifupdown detected: /etc/network/interfaces configures an interface`);
      expect(inst.stdout).toContain(`running: ifup ${IFACE}`);
      // ifup waits for dhclient's first lease, and the client for its hooks; srcroute-dhcpcd@ starts in the background
      addr = await waitFor('the lease and its rule', () => lab.checkLease(IFACE, GATEWAY), 20_000);
      // the client ifupdown chose
      expect(box.commandLines(client).join('\n')).toMatch(client === 'dhclient' ? /dhclient -4 -v -i -pf \/run\/dhclient\.eth0v0\.pid/ : /dhcpcd: eth0v0/);
      addr = await expectRouted();
      expect(box.must(['srcroute', 'status', IFACE])).toMatch(new RegExp(`^${IFACE}: table pub \\(123\\), .*\\n  ipv4  ${addr.replace(/\./g, '\\.')}/24 via ${GATEWAY}\\n {8}rule ok, local ok, default ok, connected ok$`, 'm'));
      const again = lab.install(REPO, ['--parent', 'eth0', IFACE]);
      expect(again.stdout, 'a second run changes nothing, runs nothing').toMatch(/already installed: nothing changed/);
      expect(again.stdout).not.toMatch(/running:/);
      lab.recordEvents();
    });

    it('check: healthy; with the client killed it says so, and its fix (ifupdown\'s own way) routes again', async () => {
      const healthy = box.run(['srcroute', 'check']);
      expect(healthy.stdout, healthy.stderr).toBe(`srcroute check: no problem found (${IFACE})\n`);
      expect(healthy.code).toBe(0);
      for (const pid of box.pidsOf(client)) box.lab.signal(pid, 'SIGKILL');
      await waitFor(`${client} to die`, () => box.commandLines(client).length === 0, 10_000);
      const sick = box.run(['srcroute', 'check']);
      expect(sick.code).toBe(1);
      const fix = client === 'dhclient' ? `ifdown --force ${IFACE}; ifup ${IFACE}` : `systemctl restart 'srcroute-dhcpcd@${IFACE}.service'`;
      expect(sick.stdout).toContain(`1. ${IFACE}: no DHCP client runs for it`);
      expect(sick.stdout).toContain(`fix: ${fix}`);
      const m = mark();
      box.must(['sh', '-c', fix]);
      await waitBound(m);
      addr = await expectRouted();
      expect(box.run(['srcroute', 'check']).code).toBe(0);
    });

    it('ifdown releases: no rule, no route, no macvlan; ifup: routed again', async () => {
      let m = mark();
      box.must(['ifdown', IFACE]);
      // ifdown returned only once the client's last event had run, while the link was still there
      expect(lab.events().slice(m).filter((l) => /^(RELEASE|STOP|STOPPED) eth0v0/.test(l)), 'released before ifdown returned').not.toEqual([]);
      expect(box.run(['ip', 'link', 'show', IFACE]).code).not.toBe(0);
      lab.checkNothing(IFACE, [addr]);
      box.lanOnly();
      m = mark();
      box.must(['ifup', IFACE]);
      await waitBound(m);
      addr = await expectRouted();
    });

    it('a power cut, then networking.service\'s `ifup -a`: LAN and public address routed again, no command', async () => {
      await box.reboot();
      expect(box.mainDefaults()).toEqual([]);
      expect(lab.ownedRules()).toEqual([]);
      const m = mark();
      const [start] = execStarts('networking.service', root || undefined);
      // trixie's unit names the merged-/usr path
      expect(start).toEqual([release === 'debian-13' ? '/usr/sbin/ifup' : '/sbin/ifup', '-a', '--read-environment']);
      const up = box.run(start!);
      expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
      await waitBound(m);
      addr = await expectRouted();
    });

    it("the clients' own renewals (T1 = 3 s) change nothing", async () => {
      const before = lab.owned();
      const m = mark();
      await waitFor('two RENEW events', () => lab.events().slice(m).filter((l) => l.startsWith(`RENEW ${IFACE} `)).length >= 2, 30_000);
      expect(lab.owned()).toEqual(before);
      await expectRouted();
    });

    it('--uninstall --purge: ifdown, nothing of srcroute left, /etc and /usr/local byte for byte as before', async () => {
      lab.unrecordEvents();
      const un = lab.install(REPO, ['--uninstall', '--purge']);
      expect(un.code, `${un.stdout}\n${un.stderr}`).toBe(0);
      expect(un.stdout).toContain(`running: ifdown ${IFACE}`);
      expect(box.run(['ip', 'link', 'show', IFACE]).code).not.toBe(0);
      expect(box.commandLines(client)).toEqual([]);
      expect(lab.owned()).toEqual({ rules: [], routes: [] });
      box.lanOnly();
      expect(lab.sandbox.snapshot()).toBe(pristine);
      // the modem's port as it was before the install (ifup's pre-up had brought it up, and it stayed up)
      expect(box.port()).toBe(port);
      expect(port).toBe('eth0 down, accept_ra 1, global addresses []');
    });
  });
}

// Dual stack: ifup's client is dhclient -4 (IPv4 only: the stanza turns the kernel's RA handling
// off on the macvlan, so it takes no public IPv6 address nothing would route, and main no second
// IPv6 default) or dhcpcd (RAs and DHCPv6 itself, every address routed). The controls, for
// dhclient: the stanza without its accept_ra pre-up (the kernel's SLAAC address, unrouted, and its
// default in main at the stanza's ra_defrtr_metric, 2048, as under an admin's own `inet6 dhcp`),
// then without the ra_defrtr_metric pre-up too (that default ties the LAN's at 1024). dhcpcd gets
// no control: each is an ifdown/ifup cycle, and Debian 12's dhcpcd 9.4.1 (privsep, dual stack)
// lost about 1 cycle in 8 here, its hooks removed or not (2 of 16 both ways: an OFFER answered
// by no REQUEST, `timed out` after 30 s), where dhclient never did.
for (const release of RELEASES) {
  const root = releaseRoot(release);
  describe.skipIf(!ok || root === false).each(['dhclient', 'dhcpcd'] as const)(`lab on ${release}: ifupdown dual stack with %s`, (client) => {
    let box: StackLab;
    let portBefore = '';
    const FILE = `/etc/network/interfaces.d/${IFACE}`;
    const LAN = { gateway: LAN_ROUTER6, dev: 'lan0', metric: 1024 };
    const raDefault = (metric: number) => ({ gateway: ROUTER6, dev: IFACE, protocol: 'ra', metric });
    const defaults6 = () => box.mainDefaults('-6').map(({ gateway, dev, protocol, metric }) => ({ gateway, dev, ...(protocol ? { protocol } : {}), metric }));
    /** main's IPv6 defaults once the macvlan's kernel RA default is there. */
    const settled6 = () => waitFor(`the kernel's RA default on ${IFACE}`, () => defaults6().length === 2 && defaults6(), 20_000);
    /** The stanza again without the pre-up lines that mention `what`, and the lease back. */
    const without = async (what: string) => {
      box.must(['ifdown', IFACE]);
      box.sh(`sed -i '/conf\\/${IFACE}\\/${what}/d' ${FILE}`);
      expect(box.lab.sandbox.read(FILE)).not.toContain(`${IFACE}/${what}`);
      box.must(['ifup', IFACE]);
      await waitFor('the lease and its rule', () => box.lab.checkLease(IFACE, GATEWAY), 20_000);
    };

    beforeAll(async () => {
      box = await debianBox(client, true, root || undefined);
    }, 60_000);
    labHousekeeping(() => box?.lab);

    it("main's IPv6 default stays the LAN's, the macvlan's addresses all routed or none taken, check quiet; dhclient's controls tie it", async () => {
      // the modem's port as a stock box has it before srcroute: down, the kernel's IPv6 defaults
      box.stockPort();
      const { port } = box.setUp(REPO, IFACE);
      portBefore = port;
      await waitFor('the lease and its rule', () => box.lab.checkLease(IFACE, GATEWAY), 20_000);
      expect(box.sh(`cat /proc/sys/net/ipv6/conf/${IFACE}/ra_defrtr_metric`).trim()).toBe('2048');
      expect(box.acceptRa(IFACE)).toBe('0');
      if (client === 'dhcpcd') {
        await box.routed6(IFACE); // every SLAAC and DHCPv6 address ruled and answering; main's defaults the LAN's only
      } else {
        // an RA of the modem's reached the macvlan and was handled (the control below takes one): no address taken
        const seen = routerAdverts(box.lab.box, IFACE);
        await waitFor(`an RA handled on ${IFACE}`, () => routerAdverts(box.lab.box, IFACE) > seen, 30_000);
        expect(box.sh(`ip -6 -o addr show dev ${IFACE} scope global`)).toBe('');
      }
      expect(defaults6()).toEqual([LAN]);
      const check = box.run(['srcroute', 'check']);
      expect(check.code, check.stdout).toBe(0);
      // the parent came up with no IPv6 of its own (disable_ipv6): no SLAAC address from the modem, no default
      // through it, not even a link-local address (nothing sent from its MAC: no DAD, RS or MLD)
      expect(box.sh('cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6').trim()).toBe('1');
      expect(box.sh('ip -6 -o addr show dev eth0')).toBe('');
      // while the macvlan on it has IPv6: its link-local address at least
      expect(box.sh(`ip -6 -o addr show dev ${IFACE} scope link`)).toMatch(/inet6 fe80::/);

      if (client === 'dhclient') {
        await without('accept_ra');
        expect(await settled6()).toEqual([LAN, raDefault(2048)]);
        // check names that address (the hook's plan would add its rule: srcroute sync does)
        expect(box.run(['srcroute', 'check']).stdout).toMatch(new RegExp(`${IFACE}: no IPv6 source rule for 2001:db8:\\S+: replies from it leave through the main table`));
        await without('ra_defrtr_metric');
        expect(await settled6()).toEqual([LAN, raDefault(1024)]);
        expect(box.run(['srcroute', 'check']).stdout).toContain(`${IFACE}: main holds an IPv6 default route via ${ROUTER6} dev ${IFACE}, proto ra, metric 1024`);
      }
    }, 120_000);

    it('uninstall leaves the modem\'s port as it found it: down, accept_ra 1, no address of the modem\'s; main\'s IPv6 default the LAN\'s', async () => {
      const un = box.lab.install(REPO, ['--uninstall', '--purge']);
      expect(un.code, `${un.stdout}\n${un.stderr}`).toBe(0);
      expect(un.stdout).toContain('running: ip link set dev eth0 down');
      expect(un.stdout).toContain('set net.ipv6.conf.eth0.accept_ra = 1');
      expect(box.port()).toBe(portBefore);
      expect(portBefore).toBe('eth0 down, accept_ra 1, global addresses []');
      // the modem's RAs still come: the next one would give a port left up with accept_ra 1 an address
      // (the dhclient case's control takes one): sent on the veth, it is handled in the sender's
      // softirq before dnsmasq's sendto returns, so by the time dnsmasq logged it
      const sent = box.lab.dnsmasq!.output.length;
      await waitFor('the modem\'s next RA', () => /RTR-ADVERT/.test(box.lab.dnsmasq!.output.slice(sent)), 30_000);
      expect(box.port()).toBe(portBefore);
      expect(defaults6()).toEqual([LAN]);
    }, 60_000);
  });
}

// The box (one Ethernet port, the modem on a VLAN): what install refuses before it writes
// anything (the LAN's port as the modem's link, a port that is not there), and an install whose
// macvlan does not come up: `--parent eth0 --vlan 100`, whose VLAN this kernel cannot make (no
// 802.1Q, facts.md), exits 1 naming the macvlan, where it said "installed" and exited 0; what it
// wrote is recorded, so uninstall gives /etc back byte for byte. On a kernel with 802.1Q the same
// install must instead succeed with the macvlan up on the VLAN.
for (const release of RELEASES) {
  const root = releaseRoot(release);
  describe.skipIf(!ok || root === false)(`lab on ${release}: ifupdown, the modem's link refused or not up`, () => {
    let box: StackLab;
    beforeAll(async () => {
      box = await debianBox('dhclient', false, root || undefined);
    }, 60_000);
    labHousekeeping(() => box?.lab);

    it.each([
      ['the LAN\'s port (main\'s default route)', ['--parent', 'lan0', IFACE], /--parent lan0 is this box's LAN \(lan0 carries main's default route \(IPv4, metric 0\)\)[^\n]*install --parent lan0 --vlan VID eth0v0/],
      ['a port that is not there', ['--parent', 'eth9', IFACE], /--parent eth9: no such link/],
      ['a VLAN on a port that is not there', ['--parent', 'eth9', '--vlan', '100', IFACE], /--parent eth9 --vlan 100: no link eth9 to make the VLAN on/],
    ])('refuses %s: exit 2, one line, nothing written', (_, args, line) => {
      const before = box.snapshot();
      // the bundle itself: install.sh exits 1 on any failure
      const r = box.run(['node', join(REPO, 'dist/srcroute.cjs'), 'install', ...args]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(line);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(box.snapshot()).toBe(before);
    });

    it('--parent eth0 --vlan 100 where the kernel cannot make the VLAN: exit 1 naming the macvlan; uninstall gives /etc back', async () => {
      const pristine = box.snapshot();
      const vlans = box.run(['ip', 'link', 'add', 'link', 'eth0', 'name', 'eth0.100', 'type', 'vlan', 'id', '100']);
      if (vlans.code === 0) box.must(['ip', 'link', 'del', 'eth0.100']);
      const r = box.lab.install(REPO, ['--parent', 'eth0', '--vlan', '100', IFACE]);
      expect(r.stdout).toContain(`running: ifup eth0.100 ${IFACE}`);
      if (vlans.code === 0) {
        // a kernel with 802.1Q: the VLAN and the macvlan on it
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
        expect(box.must(['ip', '-d', 'link', 'show', IFACE])).toContain('@eth0.100');
      } else {
        expect(vlans.stderr).toMatch(/Unknown device type|not supported/i);
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`${IFACE} does not exist after its network stack's start`));
        expect(r.stdout).not.toContain('installed srcroute for');
        expect(box.lab.sandbox.read('/usr/local/lib/srcroute/installed.list')).toContain(`stack ${IFACE} ifupdown eth0.100 eth0 100`);
      }
      await box.uninstallPurge(REPO, IFACE, pristine);
    }, 60_000);
  });
}
