// Debian's dhcpcd.service in manager mode (older Raspberry Pi OS, anyone who installed
// the `dhcpcd` package): the daemon runs as the unit's ExecStart says (`dhcpcd -q -b`, every
// interface) with Debian's own dhcpcd.conf (`persistent` included) and the LAN configured in it
// the way Raspberry Pi OS documented (`interface lan0` + `static`). ifupdown only creates the
// macvlan (`inet manual`). The modem is switched on after the setup, as a modem would be.
// Checked: lease, rule, pings both ways; the parent leases nothing; `dhcpcd -x` (the unit's
// ExecStop) leaves the address and so its rule; a try-restart (ExecStop, ExecStart) loses no
// address, rule or default route anywhere; a power cut and both units' ExecStart lines (dhcpcd
// first, so the macvlan appears under a running manager) route the public address again; the
// LAN's default route in main is the LAN's before, during and after. On both releases (Debian 12 and 13):
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
    let port = '';
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
      box.stockPort();
      const inst = box.setUp(REPO, IFACE);
      pristine = inst.pristine;
      port = inst.port;
      expect(inst.stdout).toContain(`${IFACE}: dhcpcd detected: a manager-mode dhcpcd runs`);
      expect(inst.stdout).toMatch(/running: \/usr\/sbin\/dhcpcd -n eth0\n[^]*running: ifup eth0v0/);
      expect(sb().read('/etc/dhcpcd.conf')).toMatch(/\ninterface eth0\n\tnoipv4\n\tnoipv6\n# <<< srcroute <<<\n$/);
      lab.recordEvents();
      const m = mark();
      await lab.startDnsmasq();
      await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 40_000);
      addr = await expectRouted();
      expect(box.commandLines('dhcpcd').filter((c) => /\[manager\]/.test(c))).toHaveLength(1);
      // no systemd here to try-restart it: install said the drop-in waits for a restart, and check says so too, alone
      expect(inst.stdout).toContain('dhcpcd.service runs its hooks without');
      const check = box.run(['srcroute', 'check']).stdout;
      expect(check).toMatch(/^srcroute check: 1 problem found\n\n1\. dhcpcd\.service \(pid \d+\) started before \/etc\/systemd\/system\/dhcpcd\.service\.d\/srcroute\.conf was written/);
      // install waited for a lease (up to 15 s) and warned that there was none: the modem was off
      expect(inst.stderr).toMatch(/warning: eth0v0 is up, no IPv4 lease after 15 s \(modem off\?\)/);
    }, 90_000);

    it("the unit's ExecStop (`dhcpcd -x`) keeps the address (persistent), so its rule and routes stay", async () => {
      const m = mark();
      box.must(['/usr/sbin/dhcpcd', '-x']);
      await lab.waitEvent('STOPPED', IFACE, m);
      await waitFor('dhcpcd to exit', () => box.commandLines('dhcpcd').length === 0, 10_000);
      expect(lab.address(IFACE)).toEqual(addr);
      await expectRouted();
    });

    /** dhcpcd.service's ExecStop, then its ExecStart (systemctl try-restart), sampled every 50 ms for 6 s: each distinct sample, with its count. */
    const restartSamples = (address: string): string[] => {
      const script = [
        'sample() { while :; do',
        '  echo "lan0=$(ip -4 -o addr show dev lan0 | wc -l) eth0v0=$(ip -4 -o addr show dev eth0v0 | awk \'{print $4}\') rule=$(ip rule show | grep -c "from $1 ") default=$(ip route show default | grep -c "dev lan0")"',
        '  sleep 0.05; done; }',
        `sample ${address} > /run/try-restart.samples & s=$!`,
        'pid=$(cat /run/dhcpcd/pid); /usr/sbin/dhcpcd -x; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done',
        '/usr/sbin/dhcpcd -q -b; sleep 6; kill "$s"; wait "$s" 2>/dev/null',
        'sort /run/try-restart.samples | uniq -c; rm /run/try-restart.samples',
      ].join('\n');
      const r = box.run(['sh', '-c', script]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split('\n').map((l) => l.trim());
    };

    it("`systemctl try-restart dhcpcd` under `persistent` (what the installer runs when its drop-in changed): no interface loses its address, rule or main's default, the lease stays; without `persistent` they go", async () => {
      const started = mark();
      box.must(dhcpcdService);
      await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, started, 40_000);
      addr = await expectRouted();
      let m = mark();
      const kept = restartSamples(addr);
      // rule=3: the address's block (its subnet, main's own networks, its table)
      expect(kept.map((l) => l.replace(/^\d+ /, '')), `samples: ${kept.join(', ')}`).toEqual([`lan0=1 eth0v0=${addr}/24 rule=3 default=1`]);
      await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 20_000);
      expect(await expectRouted()).toEqual(addr);
      // the control: a manager started without `persistent` (the options it started with decide; put back after)
      box.must(['sh', '-c', "cp -p /etc/dhcpcd.conf /run/dhcpcd.conf.kept && sed -i '/^persistent$/d' /etc/dhcpcd.conf"]);
      restartSamples(addr);
      m = mark();
      const lost = restartSamples(addr);
      box.must(['sh', '-c', 'mv /run/dhcpcd.conf.kept /etc/dhcpcd.conf']);
      expect(lost.some((l) => / lan0=0 | eth0v0= /.test(` ${l.replace(/^\d+ /, '')} `)), `samples: ${lost.join(', ')}`).toBe(true);
      await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 20_000);
      restartSamples(addr); // a manager with `persistent` again
      addr = await expectRouted();
      console.log(`try-restart under persistent: ${kept.join(', ')}; without: ${lost.join(', ')}`);
    }, 90_000);

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
      expect(box.port(), 'the modem\'s port as before the install').toBe(port);
    });
  });
}

// The box under Debian's dhcpcd.service: a port of its own for the modem that the manager
// had leased before install (a public address, a default through the modem in main), kept until
// the next boot. Install makes the manager reread its block for that port alone (`dhcpcd -n
// eth0`: the LAN's lease untouched, measured in dhcpcd.ts) and flushes what is left (dhcpcd 9.4.1
// under `persistent` keeps the address); when install returns the port holds nothing, the LAN its
// address and main's only default, and the macvlan leases. The LAN's default has the lower
// metric here (`metric 100`): dhcpcd's own (1000 + ifindex) would make eth0's the first, and the
// port would be refused as the LAN.
for (const release of RELEASES) {
  const root = releaseRoot(release);
  describe.skipIf(!ok || root === false)(`lab on ${release}: dhcpcd.service had leased the modem's port before install`, () => {
    let box: StackLab;
    beforeAll(async () => {
      const dhcpcdService = execStarts('dhcpcd.service', root || undefined)[0]!;
      box = StackLab.create({ lan: 'stack', systemd: false, ...(root ? { root } : {}) });
      box.lab.writeFile('/etc/network/interfaces', RASPBIAN_INTERFACES);
      box.must(['sh', '-c', 'rm -f /etc/network/interfaces.d/*']);
      box.labDhcpcdConf(`${LAN_STANZA}metric 100\n`);
      box.must(execStarts('networking.service', root || undefined)[0]!);
      await box.lab.startDnsmasq();
      box.must(['ip', 'link', 'set', 'eth0', 'up']);
      box.must(dhcpcdService);
      await waitFor("the modem's port leased by dhcpcd.service", () => box.lab.addresses('eth0').length > 0, 40_000);
      await waitFor("the LAN's default route", () => box.mainDefaults().some((d) => d.dev === 'lan0'), 20_000);
    }, 90_000);
    labHousekeeping(() => box?.lab);

    it('install leaves the port bare when it returns, the LAN as it was; the macvlan leased and routed; uninstall gives /etc back', async () => {
      expect(box.mainDefaults().map((d) => d.dev).sort(), "the port's own default through the modem").toEqual(['eth0', 'lan0']);
      const inst = box.setUp(REPO, IFACE);
      expect(inst.stdout).toContain('running: /usr/sbin/dhcpcd -n eth0');
      expect(box.lab.addresses('eth0'), 'the port holds nothing').toEqual([]);
      expect(box.lab.addresses('lan0')).toEqual([LAN_ADDR]);
      box.lanOnly();
      box.lab.recordEvents();
      await box.routed(IFACE, GATEWAY);
      // the macvlan's lease came through the manager, which has read the block: still nothing on the port
      expect(box.lab.addresses('eth0')).toEqual([]);
      // the admin's dhcpcd.service runs on: uninstall stops nothing of it
      box.lab.unrecordEvents();
      const un = box.lab.install(REPO, ['--uninstall', '--purge']);
      expect(un.code, `${un.stdout}\n${un.stderr}`).toBe(0);
      expect(box.run(['ip', 'link', 'show', IFACE]).code).not.toBe(0);
      expect(box.lab.owned()).toEqual({ rules: [], routes: [] });
      expect(box.snapshot()).toBe(inst.pristine);
    }, 90_000);
  });
}
