// Issue 12, Debian's dhcpcd.service in manager mode (older Raspberry Pi OS, anyone who installed
// the `dhcpcd` package): the daemon runs as the unit's ExecStart says (`dhcpcd -q -b`, every
// interface) with Debian's own dhcpcd.conf (`persistent` included) and the LAN configured in it
// the way Raspberry Pi OS documented (`interface lan0` + `static`). ifupdown only creates the
// macvlan (`inet manual`). The modem is switched on after the setup, as a modem would be.
// Checked: lease, rule, pings both ways; the parent leases nothing; `dhcpcd -x` (the unit's
// ExecStop) leaves the address and so its rule; a power cut and both units' ExecStart lines (dhcpcd
// first, so the macvlan appears under a running manager) route the public address again; the
// LAN's default route in main is the LAN's before, during and after.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, LAN_ADDR, LAN_ROUTER, Lab, waitFor } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { prerequisites } from '../support/prereq.js';
import { ifupdownFile } from '../../src/operator/stacks/ifupdown.js';
import { DHCPCD_LAB_LINES, execStarts, StackBox } from '../support/stack-lab.js';

const REPO = resolve(__dirname, '../..');
const IFACE = 'eth0v0';
const ok = prerequisites('lab-dhcpcd-stack', ['root', 'ip', 'ifup', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node']);

/** Raspberry Pi OS (Bullseye) shipped this /etc/network/interfaces: ifupdown configures nothing itself. */
const RASPBIAN_INTERFACES = '# interfaces(5) file used by ifup(8) and ifdown(8)\n# Include files from /etc/network/interfaces.d:\nsource /etc/network/interfaces.d/*\n';
const LAN_STANZA = `\n# the LAN, as Raspberry Pi OS documented it\ninterface lan0\nstatic ip_address=${LAN_ADDR}/24\nstatic routers=${LAN_ROUTER}\n`;

describe.skipIf(!ok)("lab: Debian's dhcpcd.service (manager mode) as the stack", () => {
  let lab: Lab;
  let box: StackBox;
  let addr = '';
  const mark = () => lab.events().length;
  const dhcpcdService = execStarts('dhcpcd.service')[0]!;
  const networking = execStarts('networking.service')[0]!;

  const expectRouted = async (): Promise<string> => {
    const a = lab.checkLease(IFACE, GATEWAY);
    expect(await lab.reachable(a), `traffic to/from ${a}`).toEqual({ inbound: true, outbound: true });
    box.expectLanDefault();
    expect(lab.addresses('eth0'), 'the parent leases nothing').toEqual([]);
    return a;
  };

  beforeAll(async () => {
    expect(dhcpcdService).toEqual(['/usr/sbin/dhcpcd', '-q', '-b']);
    lab = Lab.create({ macvlans: [], lan: 'stack' });
    box = new StackBox(lab);
    lab.writeFile('/etc/network/interfaces', RASPBIAN_INTERFACES);
    box.must(['sh', '-c', 'rm -f /etc/network/interfaces.d/*']);
    box.must(['sh', '-c', `{ printf '%s' '${DHCPCD_LAB_LINES}'; cat /etc/dhcpcd.conf; printf '%s' '${LAN_STANZA}'; } > /run/c && cat /run/c > /etc/dhcpcd.conf && rm /run/c`]);
    box.must(networking);
    box.must(dhcpcdService);
    await waitFor("the LAN's default route from dhcpcd", () => box.mainDefaults().length > 0, 20_000);
    box.expectLanDefault();
  }, 60_000);

  labHousekeeping(() => lab);

  it("README's setup, then the modem comes on: leased, source-routed, the parent bare, the LAN's default untouched", async () => {
    const inst = lab.install(REPO, ['--configure-dhcpcd', IFACE]);
    expect(inst.code, inst.stderr).toBe(0);
    lab.recordEvents();
    const link = ifupdownFile({ iface: IFACE, parent: 'eth0', mac: box.must(['srcroute', 'mac', IFACE]).trim() }, 'manual');
    lab.writeFile(link.path, link.content);
    // TODO(install.sh --parent): the parent's block, by hand until install.sh writes it
    box.must(['sh', '-c', "printf 'interface eth0\\n\\tnoipv4\\n\\tnoipv6\\n' >> /etc/dhcpcd.conf"]);
    box.must(['sh', '-c', '[ -S /run/dhcpcd/sock ] && dhcpcd -n eth0']);
    box.must(['ifup', IFACE]);
    const m = mark();
    await lab.startDnsmasq();
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 40_000);
    addr = await expectRouted();
    expect(box.commandLines('dhcpcd').filter((c) => /\[manager\]/.test(c))).toHaveLength(1);
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
    await box.powerCycle();
    expect(box.mainDefaults()).toEqual([]);
    const m = mark();
    box.must(dhcpcdService);
    box.must(networking);
    await lab.waitEvent(/^(BOUND|REBOOT) eth0v0 /, IFACE, m, 40_000);
    await waitFor("the LAN's default route", () => box.mainDefaults().length > 0, 20_000);
    addr = await expectRouted();
  });
});
