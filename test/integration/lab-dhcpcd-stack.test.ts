// Issue 12, Debian's dhcpcd.service in manager mode (older Raspberry Pi OS, anyone who installed
// the `dhcpcd` package): the daemon runs as the unit's ExecStart says (`dhcpcd -q -b`, every
// interface) with Debian's own dhcpcd.conf (`persistent` included) and the LAN configured in it
// the way Raspberry Pi OS documented (`interface lan0` + `static`). ifupdown only creates the
// macvlan (`inet manual`). The modem is switched on after the setup, as a modem would be.
// Checked: lease, rule, pings both ways; the parent leases nothing; `dhcpcd -x` (the unit's
// ExecStop) leaves the address and so its rule; a power cut and both units' ExecStart lines (dhcpcd
// first, so the macvlan appears under a running manager) route the public address again; the
// LAN's default route in main is the LAN's before, during and after. On both releases (issue 18):
// debian-13 chrooted into a trixie root filesystem (debian-root.ts), its units read from there.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, LAN_ADDR, LAN_ROUTER, Lab, waitFor } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { RELEASES } from '../support/debian-root.js';
import { prerequisites } from '../support/prereq.js';
import { execStarts, releaseRoot, StackLab, UNITS } from '../support/stack-lab.js';

const REPO = resolve(__dirname, '../..');
const IFACE = 'eth0v0';
const ok = prerequisites('lab-dhcpcd-stack', ['root', 'ip', 'ifup', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node', ...UNITS]);

/** Raspberry Pi OS (Bullseye) shipped this /etc/network/interfaces: ifupdown configures nothing itself. */
const RASPBIAN_INTERFACES = '# interfaces(5) file used by ifup(8) and ifdown(8)\n# Include files from /etc/network/interfaces.d:\nsource /etc/network/interfaces.d/*\n';
const LAN_STANZA = `\n# the LAN, as Raspberry Pi OS documented it\ninterface lan0\nstatic ip_address=${LAN_ADDR}/24\nstatic routers=${LAN_ROUTER}\n`;

for (const release of RELEASES) {
  const root = releaseRoot(release);
  describe.skipIf(!ok || root === false)(`lab on ${release}: Debian's dhcpcd.service (manager mode) as the stack`, () => {
    let lab: Lab;
    let box: StackLab;
    let addr = '';
    let pristine = '';
    const sb = () => lab.sandbox;
    const mark = () => lab.events().length;
    let dhcpcdService: string[] = [];
    let networking: string[] = [];

    const expectRouted = async (): Promise<string> => {
      const a = await box.routed(IFACE, GATEWAY);
      expect(lab.addresses('eth0'), 'the parent leases nothing').toEqual([]);
      return a;
    };

    beforeAll(async () => {
      dhcpcdService = execStarts('dhcpcd.service', root || undefined)[0]!;
      networking = execStarts('networking.service', root || undefined)[0]!;
      expect(dhcpcdService).toEqual(['/usr/sbin/dhcpcd', '-q', '-b']);
      box = StackLab.create({ lan: 'stack', systemd: false, ...(root ? { root } : {}) });
      lab = box.lab;
      lab.writeFile('/etc/network/interfaces', RASPBIAN_INTERFACES);
      box.must(['sh', '-c', 'rm -f /etc/network/interfaces.d/*']);
      box.labDhcpcdConf(LAN_STANZA);
      box.must(networking);
      box.must(dhcpcdService);
      await waitFor("the LAN's default route from dhcpcd", () => box.mainDefaults().length > 0, 20_000);
      box.lanOnly();
    }, 60_000);

    labHousekeeping(() => lab);

    it("README's setup (`install.sh --parent eth0 eth0v0`, dhcpcd.service detected), then the modem comes on: leased, source-routed, the parent bare", async () => {
      const inst = box.setUp(REPO, IFACE);
      pristine = inst.pristine;
      expect(inst.stdout).toContain(`${IFACE}: dhcpcd detected: a manager-mode dhcpcd runs`);
      expect(inst.stdout).toMatch(/running: \/usr\/sbin\/dhcpcd -n\n[^]*running: ifup eth0v0/);
      expect(sb().read('/etc/dhcpcd.conf')).toMatch(/\ninterface eth0\n\tnoipv4\n\tnoipv6\n# <<< srcroute <<<\n$/);
      lab.recordEvents();
      const m = mark();
      await lab.startDnsmasq();
      await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 40_000);
      addr = await expectRouted();
      expect(box.commandLines('dhcpcd').filter((c) => /\[manager\]/.test(c))).toHaveLength(1);
      expect(box.run(['srcroute', 'check']).stdout).toBe(`srcroute check: no problem found (${IFACE})\n`);
    });

    it("the unit's ExecStop (`dhcpcd -x`) keeps the address (persistent), so its rule and routes stay", async () => {
      const m = mark();
      box.must(['/usr/sbin/dhcpcd', '-x']);
      await lab.waitEvent('STOPPED', IFACE, m);
      await waitFor('dhcpcd to exit', () => box.commandLines('dhcpcd').length === 0, 10_000);
      expect(lab.address(IFACE)).toEqual(addr);
      await expectRouted();
    });

    it("a power cut, then dhcpcd.service's and networking.service's ExecStart: routed again, no command", async () => {
      await box.reboot();
      expect(box.mainDefaults()).toEqual([]);
      const m = mark();
      box.must(dhcpcdService);
      box.must(networking);
      await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 40_000);
      await waitFor("the LAN's default route", () => box.mainDefaults().length > 0, 20_000);
      addr = await expectRouted();
    });

    it('check: a dhclient beside dhcpcd.service is found as a second client, with a fix that starts nothing', async () => {
      const d = lab.startDhclient(IFACE);
      await waitFor('dhclient to run', () => box.pidsOf('dhclient').length > 0, 10_000);
      const r = box.run(['srcroute', 'check']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/eth0v0: 2 DHCP clients lease it \(dhcpcd \(manager mode, every interface; pid \d+\), dhclient \(eth0v0; pid \d+\)\)/);
      expect(r.stdout).toContain('fix: systemctl disable --now dhcpcd');
      await d.stop('SIGKILL');
      lab.dhclients.delete(IFACE);
    });

    it('--uninstall --purge: the macvlan goes, nothing of srcroute is left, /etc and /usr/local byte for byte as before', async () => {
      lab.unrecordEvents();
      const un = lab.install(REPO, ['--uninstall', '--purge']);
      expect(un.code, `${un.stdout}\n${un.stderr}`).toBe(0);
      expect(box.run(['ip', 'link', 'show', IFACE]).code).not.toBe(0);
      expect(lab.owned()).toEqual({ rules: [], routes: [] });
      box.lanOnly();
      expect(lab.sandbox.snapshot()).toBe(pristine);
    });
  });
}
