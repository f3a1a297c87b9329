// What the installer sets up per network stack: the plans (golden manifests and files), stack
// detection from what runs, and which .network file networkd applies to the parent.
import { describe, expect, it } from 'vitest';
import { detectStack, ifupdownConfigures } from '../../src/operator/stacks/detect.js';
import { unitName } from '../../src/operator/stacks/dhcpcd-unit.js';
import { matchesName, networkFileFor, networkdPlan } from '../../src/operator/stacks/networkd.js';
import { nmPlan } from '../../src/operator/stacks/nm.js';
import { dhcpcdPlan } from '../../src/operator/stacks/dhcpcd.js';
import { clientStart, ifaceMethod, ifupdownPlan, type IfupdownFacts } from '../../src/operator/stacks/ifupdown.js';
import type { StackPlan } from '../../src/operator/stacks/plan.js';
import type { Proc } from '../../src/operator/running.js';
import { parseNmDevice } from '../../src/operator/nm-dhcp.js';
import { golden } from '../support/golden.js';

const SPEC = { iface: 'eth0v0', parent: 'eth0', mac: '02:0a:3e:7f:3f:cf' };
/** One port: the LAN untagged, the modem on VLAN 100 (--parent eth0 --vlan 100). */
const VLAN = { ...SPEC, parent: 'eth0.100', vlan: { port: 'eth0', id: 100 } };
const DHCPCD = '/usr/sbin/dhcpcd';
const NETPLAN = '/run/systemd/network/10-netplan-eth0.network';
/** Debian 12: ifupdown with isc-dhcp-client, dhcpcd-base installed too. */
const IFUP_DHCLIENT: IfupdownFacts & { dhcpcd: string } = {
  ifup: true, ifupClient: 'dhclient', dhcpcdInstalled: true, parentMethod: null, dhcpcd: DHCPCD,
};
const MANAGER: Proc = { pid: 812, comm: 'dhcpcd', argv: ['dhcpcd: [manager] [ip4] [ip6]'], startedMs: 0 };

/** A plan's files and commands, one line each (the goldens' format). */
function renderManifest(plan: StackPlan): string {
  const lines = [`stack ${plan.stack} ${plan.how}`];
  for (const f of plan.files) lines.push(`file ${f.mode.toString(8).padStart(4, '0')} ${f.path}`);
  for (const c of plan.run) lines.push(`run ${typeof c.when === 'string' ? c.when : c.when.join(',')} ${c.argv.join(' ')}`);
  for (const c of plan.stop) lines.push(`stop ${c.join(' ')}`);
  for (const c of plan.reload) lines.push(`reload ${c.join(' ')}`);
  if (plan.dhcpcdConf) lines.push('dhcpcd-conf');
  for (const n of plan.notes) lines.push(`note ${n.replace(/\n/g, ' ')}`);
  return `${lines.join('\n')}\n`;
}

/** A plan as one text: the manifest, then every file with its mode. */
function dump(plan: StackPlan): string {
  return [renderManifest(plan), ...plan.files.map((f) => `==> ${f.path} (${f.mode.toString(8)}) <==\n${f.content}`)].join('\n');
}

describe('stack plans (golden)', () => {
  it.each([
    ['networkd-netplan', networkdPlan(SPEC, { parentNetwork: NETPLAN, networkdStale: false, dhcpcd: DHCPCD }, 'as asked with --stack')],
    ['networkd-bare-parent', networkdPlan(SPEC, { parentNetwork: null, networkdStale: false, dhcpcd: DHCPCD }, 'detected: systemd-networkd runs')],
    ['nm', nmPlan(SPEC, { dhcpcd: DHCPCD }, 'detected: NetworkManager runs')],
    ['ifupdown-dhclient', ifupdownPlan(SPEC, IFUP_DHCLIENT, 'detected: /etc/network/interfaces configures an interface')],
    ['ifupdown-dhcpcd', ifupdownPlan(SPEC, { ...IFUP_DHCLIENT, ifupClient: 'dhcpcd' }, 'as asked with --stack')],
    ['dhcpcd-service', dhcpcdPlan(SPEC, { ...IFUP_DHCLIENT, processes: [MANAGER], dhcpcd: DHCPCD }, 'detected: a manager-mode dhcpcd runs')],
    ['vlan-networkd', networkdPlan(VLAN, { parentNetwork: null, portNetwork: NETPLAN, networkdStale: false, dhcpcd: DHCPCD }, 'detected: systemd-networkd runs')],
    ['vlan-nm', nmPlan(VLAN, { dhcpcd: DHCPCD }, 'detected: NetworkManager runs')],
    ['vlan-ifupdown', ifupdownPlan(VLAN, IFUP_DHCLIENT, 'detected: /etc/network/interfaces configures an interface')],
    // Debian 13: ifup's client would be dhcpcd, so srcroute-dhcpcd@ leases (started by ifup, stopped by ifdown)
    ['vlan-ifupdown-dhcpcd', ifupdownPlan(VLAN, { ...IFUP_DHCLIENT, ifupClient: 'dhcpcd' }, 'detected: /etc/network/interfaces configures an interface')],
    ['vlan-dhcpcd-service', dhcpcdPlan(VLAN, { ...IFUP_DHCLIENT, processes: [MANAGER], dhcpcd: DHCPCD }, 'detected: a manager-mode dhcpcd runs')],
    // a VLAN the admin made (a hand stanza read after interfaces.d/): the macvlan's stanza makes it when it is not there yet
    ['ifupdown-admin-vlan', ifupdownPlan({ ...SPEC, parent: 'eth0.100' }, IFUP_DHCLIENT, 'as asked with --stack')],
  ])('%s', (name, plan) => {
    const text = dump(plan);
    expect(text).toBe(golden(`stack-${name}.txt`, text));
  });

  it('networkd: a drop-in for the .network that matches the parent, never an edit of it', () => {
    const plan = networkdPlan(SPEC, { parentNetwork: NETPLAN, networkdStale: false, dhcpcd: DHCPCD }, '');
    expect(plan.files.map((f) => f.path)).toContain('/etc/systemd/network/10-netplan-eth0.network.d/srcroute-eth0v0.conf');
    expect(plan.files.every((f) => f.path.startsWith('/etc/'))).toBe(true);
  });

  it.each([
    ['netplan (match on a MAC, named by networkctl)', NETPLAN, '/etc/systemd/network/10-netplan-eth0.network.d/srcroute-vlan-eth0.100.conf'],
    ["the admin's own", '/etc/systemd/network/20-lan.network', '/etc/systemd/network/20-lan.network.d/srcroute-vlan-eth0.100.conf'],
  ])('networkd --vlan: VLAN= in a drop-in for the port\'s .network, %s; the VLAN\'s own .network sorts first', (_, port, dropIn) => {
    // a LAN file with Name=eth* matches eth0.100 too: the VLAN's own must not be it
    const plan = networkdPlan(VLAN, { parentNetwork: '/etc/systemd/network/20-lan.network', portNetwork: port, networkdStale: false, dhcpcd: DHCPCD }, '');
    const paths = plan.files.map((f) => f.path);
    expect(paths).toContain(dropIn);
    expect(paths).toContain('/etc/systemd/network/09-srcroute-eth0.100.network.d/srcroute-eth0v0.conf');
    expect(paths.filter((p) => p.startsWith('/etc/systemd/network/20-lan.network.d/'))).toEqual(port.includes('20-lan') ? [dropIn] : []);
  });

  it('networkd --vlan: refused when networkd applies no .network to the port (nowhere to put VLAN=)', () => {
    expect(() => networkdPlan(VLAN, { parentNetwork: null, portNetwork: null, networkdStale: false, dhcpcd: DHCPCD }, '')).toThrow(
      'networkd applies no .network to eth0 (networkctl status eth0): the VLAN is made through the port\'s own .network; configure eth0 in networkd first',
    );
  });

  it('networkd: a second plan over its own parent file plans the same files', () => {
    const first = networkdPlan(SPEC, { parentNetwork: null, networkdStale: false, dhcpcd: DHCPCD }, '');
    const again = networkdPlan(SPEC, { parentNetwork: '/etc/systemd/network/60-srcroute-eth0.network', networkdStale: false, dhcpcd: DHCPCD }, '');
    expect(again.files).toEqual(first.files);
  });

  it('networkd: restarted when its drop-in is new, or always while it runs with an older configuration', () => {
    const restart = (stale: boolean) => networkdPlan(SPEC, { parentNetwork: NETPLAN, networkdStale: stale, dhcpcd: DHCPCD }, '').run.find((c) => c.argv.includes('try-restart'))!.when;
    expect(restart(false)).toEqual(['/etc/systemd/networkd.conf.d/srcroute.conf']);
    expect(restart(true)).toBe('always');
  });

  it('nm: the keyfile is 0600 (NetworkManager ignores others), the dispatcher starts the unit', () => {
    const plan = nmPlan(SPEC, { dhcpcd: DHCPCD }, '');
    expect(plan.files.find((f) => f.path.endsWith('.nmconnection'))!.mode).toBe(0o600);
    expect(plan.files.find((f) => f.path.includes('dispatcher.d'))!.content).toMatch(/^\texec systemctl start --no-block 'srcroute-dhcpcd@eth0v0.service' ;;$/m);
  });

  it("check's way to restart the client follows the stanza: ifup's own client, srcroute-dhcpcd@ where ifup starts it, or dhcpcd.service for the link-only one", () => {
    expect(clientStart('eth0v0', ifupdownPlan(SPEC, IFUP_DHCLIENT, '').files[0]!.content)).toBe('ifdown --force eth0v0; ifup eth0v0');
    const unit = ifupdownPlan(SPEC, { ...IFUP_DHCLIENT, ifupClient: 'dhcpcd' }, '').files.find((f) => f.path.endsWith('/eth0v0'))!;
    expect(clientStart('eth0v0', unit.content)).toBe("systemctl restart 'srcroute-dhcpcd@eth0v0.service'");
    const manual = dhcpcdPlan(SPEC, { ...IFUP_DHCLIENT, processes: [], dhcpcd: DHCPCD }, '').files[0]!.content;
    expect(clientStart('eth0v0', manual)).toMatch(/^systemctl start dhcpcd\.service /);
    expect(clientStart('eth0v0', null)).toBeNull();
  });

  it("the parent configured with an address of its own (Debian's installer: inet dhcp) is named in a note", () => {
    const interfaces = 'source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\nallow-hotplug eth0\niface eth0 inet dhcp\niface eth0.7 inet manual\n';
    expect(ifaceMethod(interfaces, 'eth0')).toBe('dhcp');
    expect(ifaceMethod(interfaces, 'eth0.7')).toBe('manual');
    expect(ifaceMethod(interfaces, 'eth1')).toBeNull();
    const notes = ifupdownPlan(SPEC, { ...IFUP_DHCLIENT, parentMethod: 'dhcp' }, '').notes.join('\n');
    expect(notes).toMatch(/gives eth0 "inet dhcp": .* make it "iface eth0 inet manual"/);
    expect(ifupdownPlan(SPEC, { ...IFUP_DHCLIENT, parentMethod: 'manual' }, '').notes).toHaveLength(1);
  });

  it('ifupdown: refuses without ifup, or without a client for it to run; no dhcpcd.conf block where no dhcpcd is', () => {
    expect(() => ifupdownPlan(SPEC, { ...IFUP_DHCLIENT, ifup: false }, '')).toThrow(/ifupdown is not installed/);
    expect(() => ifupdownPlan(SPEC, { ifup: true, ifupClient: null, dhcpcdInstalled: false, parentMethod: null, dhcpcd: DHCPCD }, '')).toThrow(/no DHCP client for ifup/);
    expect(ifupdownPlan(SPEC, { ...IFUP_DHCLIENT, dhcpcdInstalled: false }, '').dhcpcdConf).toBe(false);
  });

  it('dhcpcd.service: a rebind only while a manager runs (a control command would start one), never enabled or started', () => {
    const idle = dhcpcdPlan(SPEC, { ...IFUP_DHCLIENT, processes: [], dhcpcd: DHCPCD }, '');
    expect(renderManifest(idle)).not.toMatch(/dhcpcd -n|systemctl/);
    expect(idle.notes.join('\n')).toMatch(/neither enables nor starts it/);
    // a port of its own: the rebind of that port alone (the LAN's lease untouched); the VLAN, not there yet: all
    expect(renderManifest(dhcpcdPlan(SPEC, { ...IFUP_DHCLIENT, processes: [MANAGER], dhcpcd: DHCPCD }, ''))).toMatch(/^run \* \/usr\/sbin\/dhcpcd -n eth0$/m);
    expect(renderManifest(dhcpcdPlan(VLAN, { ...IFUP_DHCLIENT, processes: [MANAGER], dhcpcd: DHCPCD }, ''))).toMatch(/^run \* \/usr\/sbin\/dhcpcd -n$/m);
  });

  it('every plan asks for the dhcpcd.conf stanza and starts nothing for the LAN', () => {
    for (const plan of [nmPlan(SPEC, { dhcpcd: DHCPCD }, ''), networkdPlan(SPEC, { parentNetwork: null, networkdStale: false, dhcpcd: DHCPCD }, '')]) {
      expect(plan.dhcpcdConf).toBe(true);
      expect(renderManifest(plan)).not.toMatch(/dhcpcd\.service|dhcpcd -n/);
    }
  });

  it('unit instance names are systemd-escaped', () => {
    expect(unitName('eth0v0')).toBe('srcroute-dhcpcd@eth0v0.service');
    expect(unitName('eth0-v0')).toBe('srcroute-dhcpcd@eth0\\x2dv0.service');
  });
});

const proc = (comm: string, argv: string[] = [comm]): Proc => ({ pid: 1, comm, argv, startedMs: 0 });

describe('detectStack: by what runs', () => {
  it.each([
    [[proc('NetworkManager')], false, 'nm'],
    [[proc('systemd-network', ['/lib/systemd/systemd-networkd'])], true, 'networkd'],
    [[proc('dhcpcd', ['dhcpcd: [manager] [ip4] [ip6]'])], true, 'dhcpcd'],
    [[proc('dhcpcd', ['dhcpcd: eth0v0 [ip4]'])], true, 'ifupdown'],
    [[], true, 'ifupdown'],
    [[], false, null],
    [[proc('NetworkManager'), proc('systemd-network')], false, null],
  ] as const)('%j, ifupdown configured: %s -> %s', (processes, ifupdown, want) => {
    expect(detectStack({ processes, ifupdownConfigured: ifupdown }).stack).toBe(want);
  });

  it.each([
    ['auto lo\niface lo inet loopback\n', false],
    ['auto lo\niface lo inet loopback\nallow-hotplug eth0\niface eth0 inet dhcp\n', true],
    ['# auto eth0\n', false],
    [null, false],
  ])('ifupdownConfigures(%j) -> %s', (text, want) => expect(ifupdownConfigures(text)).toBe(want));
});

describe('networkFileFor: the .network networkd applies to the parent', () => {
  const f = (path: string, name: string) => ({ path, text: `[Match]\nName=${name}\n\n[Network]\nDHCP=yes\n` });
  it.each([
    ['netplan', [f(NETPLAN, 'eth0')], NETPLAN],
    ['first by file name wins', [f('/etc/systemd/network/50-x.network', 'eth*'), f(NETPLAN, 'eth0')], NETPLAN],
    ['/etc hides the same name in /run', [f('/etc/systemd/network/10-netplan-eth0.network', 'lan0'), f(NETPLAN, 'eth0')], null],
    ['glob', [f('/usr/lib/systemd/network/80-ether.network', 'en* eth*')], '/usr/lib/systemd/network/80-ether.network'],
    ['negated', [f('/etc/systemd/network/a.network', '!eth0')], null],
    ['other interfaces only', [f('/etc/systemd/network/a.network', 'lan0')], null],
    ['not a .network', [{ path: '/etc/systemd/network/eth0.netdev', text: '[Match]\nName=eth0\n' }], null],
  ])('%s', (_, files, want) => expect(networkFileFor(files, 'eth0')).toBe(want));

  it('Name= outside [Match] does not count', () => expect(matchesName('[NetDev]\nName=eth0\n', 'eth0')).toBe(false));
});

describe('parseNmDevice: whether NetworkManager leases an interface itself', () => {
  it.each([
    ['GENERAL.CONNECTION:srcroute-eth0v0\n', { connection: 'srcroute-eth0v0', dhcp4: false }],
    ['GENERAL.CONNECTION:Wired connection 2\nDHCP4.OPTION[1]:broadcast_address = 100.64.0.255\nDHCP4.OPTION[2]:dhcp_lease_time = 120\n', { connection: 'Wired connection 2', dhcp4: true }],
    ['GENERAL.CONNECTION:--\n', { connection: null, dhcp4: false }],
    ['', { connection: null, dhcp4: false }],
  ])('%j', (text, want) => expect(parseNmDevice(text)).toEqual(want));
});
