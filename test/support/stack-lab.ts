// The lab (lab.ts) with a real network stack managing the box: NetworkManager 1.42 or
// systemd-networkd 252, each with a private system D-Bus, inside the box's sandbox; or ifupdown
// (`ifup`/`ifdown` over the sandbox's private /etc/network, with dhclient or dhcpcd) or Debian's
// dhcpcd.service in manager mode, started as their units' ExecStart lines say, and then giving the
// LAN (lan0) its address and default route too (lan: 'stack'). systemd is not
// PID 1 on the test machines, so the sandbox gets fake-systemctl.sh (it runs srcroute's units
// from their files, in their sandbox) and the test plays systemd for the rest: it restarts
// networkd when asked, and at "boot" starts the units enabled for a device once it exists.
// Nothing runs outside the lab's namespaces; every daemon is killed by PID (lab.killAll).
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { Release } from './debian-root.js';
import { readText } from '../../src/shared/files.js';
import { resolve } from 'node:path';
import { Daemon, ISP_PREFIX, LAN_ADDR, Lab, LAN6, LAN_ROUTER, LAN_ROUTER6, LAN_ROUTER6_LL, ROUTER6, waitFor, type Logger } from './lab.js';
import { checkV6, reachable6, type Addr6 } from './lab-ipv6.js';
import { run, type RunResult } from './run.js';

const FAKE_SYSTEMCTL = resolve(__dirname, 'fake-systemctl.sh');

/** The daemons a "reboot" stops (kernel names: 15 characters at most). */
const DAEMONS = ['NetworkManager', 'nm-dispatcher', 'dhcpcd', 'dhclient', 'systemd-network', 'dbus-daemon'];

/** Debian's /etc/network/interfaces (installer's form: interfaces.d sourced at the top) with a static LAN. */
export const DEBIAN_INTERFACES = [
  '# This file describes the network interfaces available on your system',
  '# and how to activate them. For more information, see interfaces(5).',
  '',
  'source /etc/network/interfaces.d/*',
  '',
  '# The loopback network interface',
  'auto lo',
  'iface lo inet loopback',
  '',
  '# The LAN',
  'auto lan0',
  'iface lan0 inet static',
  `    address ${LAN_ADDR}/24`,
  `    gateway ${LAN_ROUTER}`,
  '',
].join('\n');

/** The same with the LAN's IPv6 (static, as an admin writes it; no DAD wait in the lab). */
export const DEBIAN_INTERFACES6 = `${DEBIAN_INTERFACES}iface lan0 inet6 static\n    address ${LAN6}\n    gateway ${LAN_ROUTER6}\n    dad-attempts 0\n`;

/**
 * Lab-only lines put at the top of the sandbox's /etc/dhcpcd.conf: no udev in a network
 * namespace (dhcpcd.service's manager would wait for it forever), no 5 s of ARP probing.
 */
export const DHCPCD_LAB_LINES = '# lab only: no udev in a netns, no ARP probing delay\nnodev\nnoarp\n';

/** The units whose ExecStart lines the labs run (Debian's `ifupdown` and `dhcpcd` packages). */
export const UNITS = ['/lib/systemd/system/networking.service', '/lib/systemd/system/dhcpcd.service'];

/** The ExecStart lines of a unit installed on this machine, or in the root filesystem `root` (`-` prefixes dropped). */
export function execStarts(unit: string, root = ''): string[][] {
  const text = readFileSync(`${root}/lib/systemd/system/${unit}`, 'utf8');
  return [...text.matchAll(/^ExecStart=-?(.*)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
}

/**
 * The root filesystem `release`'s box runs from: undefined for the host's own (Debian 12), a
 * path for another (debian-root.ts), false when it could not be made outside CI (the reason was
 * printed by the global setup; under CI=true the run has failed already).
 */
export function releaseRoot(release: Release): string | undefined | false {
  const root = inject('debianRoots')[release];
  if (root === null) return undefined;
  return root.startsWith('!') ? false : root;
}

export class StackLab {
  daemons: Daemon[] = [];
  /** The gateway of the LAN's IPv6 default: its global address when configured, its link-local when advertised. */
  lan6Router = LAN_ROUTER6;

  private constructor(readonly lab: Lab) {}

  /**
   * `lan: 'stack'`: the stack under test configures the LAN too. `systemd: false`: no fake
   * systemctl, no /run/systemd/system (ifupdown and dhcpcd.service need neither). `ipv6`: the
   * dual-stack lab (lab.ts): dnsmasq advertises the ISP's prefix, the LAN has IPv6 too.
   */
  static create(opts: { log?: Logger; lan?: 'lab' | 'stack'; systemd?: boolean; ipv6?: boolean; root?: string } = {}): StackLab {
    const lab = Lab.create({ macvlans: [], ...(opts.log ? { log: opts.log } : {}), ...(opts.lan ? { lan: opts.lan } : {}), ipv6: opts.ipv6 ?? false, ...(opts.root ? { root: opts.root } : {}) });
    const s = new StackLab(lab);
    if (opts.systemd !== false) {
      // the box's private systemd view: fake systemctl first on PATH, "booted with systemd"
      lab.writeFile('/usr/local/sbin/systemctl', readFileSync(FAKE_SYSTEMCTL, 'utf8'), '755');
      s.sh('mkdir -p /run/systemd/system /run/dbus /run/systemd/netif');
    }
    return s;
  }

  sh(script: string): string {
    const r = this.lab.sh(['sh', '-c', script]);
    if (r.code !== 0) throw new Error(`box: ${script}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  private spawn(name: string, argv: string[]): Daemon {
    const d = new Daemon(name, this.lab.sandbox.spawn(argv));
    this.daemons.push(d);
    return d;
  }

  /**
   * The box's own sysfs, read-only: NetworkManager and networkd then take links as ready without
   * udev (both use udev only where /sys is writable), and see the box's links, not the host's.
   */
  private sysfs(): void {
    this.sh('mountpoint -q /sys && umount -l /sys; mount -t sysfs -o ro sysfs /sys');
  }

  async startDbus(): Promise<void> {
    this.sh('mkdir -p /run/dbus && rm -f /run/dbus/system_bus_socket');
    const d = this.spawn('dbus-daemon', ['dbus-daemon', '--system', '--nofork', '--nopidfile']);
    await waitFor('the system bus', () => {
      if (!d.running) throw new Error(`dbus-daemon exited: ${d.output}`);
      return this.lab.sh(['test', '-S', '/run/dbus/system_bus_socket']).code === 0;
    }, 10_000);
  }

  // ------------------------------------------------------------------ NetworkManager

  /** NetworkManager with keyfiles only, no DNS/hostname handling, no automatic connections. */
  writeNmConfig(): void {
    this.lab.writeFile('/etc/NetworkManager/NetworkManager.conf',
      '[main]\nplugins=keyfile\ndns=none\nrc-manager=unmanaged\nhostname-mode=none\nauth-polkit=false\nno-auto-default=*\n');
  }

  /** The box's own configuration before srcroute: the LAN (static) and the modem's link (up, no address). */
  writeNmLan(): void {
    const ipv6 = this.lab.ipv6 ? `method=manual\naddress1=${LAN6},${LAN_ROUTER6}\n` : 'method=disabled\n';
    this.lab.writeFile('/etc/NetworkManager/system-connections/lan.nmconnection',
      `[connection]\nid=lan\ntype=ethernet\ninterface-name=lan0\n\n[ipv4]\nmethod=manual\naddress1=${LAN_ADDR}/24,${LAN_ROUTER}\n\n[ipv6]\n${ipv6}`, '600');
    this.lab.writeFile('/etc/NetworkManager/system-connections/modem.nmconnection',
      '[connection]\nid=modem\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=disabled\n\n[ipv6]\nmethod=disabled\n', '600');
  }

  async startNetworkManager(): Promise<void> {
    this.sysfs();
    await this.startDbus();
    const d = this.spawn('NetworkManager', ['NetworkManager', '--no-daemon', '--debug', '--log-level=INFO']);
    await waitFor('NetworkManager to run', () => {
      if (!d.running) throw new Error(`NetworkManager exited: ${d.output}`);
      return /^running$/m.test(this.nmcli('-t', '-f', 'RUNNING', 'general').stdout);
    }, 20_000, 200);
    await waitFor('the LAN connection to be up', () => /^lan:activated$/m.test(this.nmcli('-t', '-f', 'NAME,STATE', 'connection', 'show', '--active').stdout), 20_000, 200).catch((e: Error) => {
      const dev = this.nmcli('device');
      throw new Error(`${e.message}\nnmcli device: ${dev.stdout}${dev.stderr}\nNetworkManager (running: ${d.running}, exit ${d.child.exitCode}, tail): ${d.output.slice(-3000)}\n` +
        `daemons: ${this.daemons.map((x) => `${x.name} ${x.running}`).join(', ')}`);
    });
  }

  nmcli(...args: string[]) {
    return this.lab.sh(['nmcli', ...args]);
  }

  // ------------------------------------------------------------------ systemd-networkd

  /**
   * netplan's output for this box, as `netplan generate` writes it (under /run). Dual stack: the
   * LAN's IPv6 default comes from the LAN router's RAs (`accept-ra: true`; the lab's startLanRa)
   * as on most LANs, and networkd 257 installs it through a nexthop object.
   */
  writeNetplan(): void {
    this.sh('mkdir -p -m 755 /run/systemd/network'); // networkd reads it as systemd-network
    this.lan6Router = LAN_ROUTER6_LL;
    this.lab.writeFile('/run/systemd/network/10-netplan-lan0.network',
      `[Match]\nName=lan0\n\n[Network]\nLinkLocalAddressing=ipv6\nAddress=${LAN_ADDR}/24\n${this.lab.ipv6 ? `Address=${LAN6}\nIPv6AcceptRA=yes\n` : ''}\n` +
        `[Route]\nGateway=${LAN_ROUTER}\n`);
    this.lab.writeFile('/run/systemd/network/10-netplan-eth0.network',
      '[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n');
  }

  async startNetworkd(): Promise<void> {
    this.sysfs();
    await this.startDbus();
    await this.networkdUp();
  }

  /** Start networkd (again: `systemctl restart systemd-networkd`, as systemd would do it). */
  async restartNetworkd(): Promise<void> {
    const old = this.daemons.find((d) => d.name === 'systemd-networkd');
    await old?.stop();
    this.daemons = this.daemons.filter((d) => d !== old);
    await this.networkdUp();
  }

  private async networkdUp(): Promise<void> {
    this.sh('mkdir -p /run/systemd/netif; chown -R systemd-network: /run/systemd/netif 2>/dev/null || :');
    const d = this.spawn('systemd-networkd', ['/lib/systemd/systemd-networkd']);
    await waitFor('networkd to answer', () => {
      if (!d.running) throw new Error(`systemd-networkd exited: ${d.output}`);
      return this.lab.sh(['networkctl', 'list', '--no-pager']).code === 0;
    }, 20_000, 200);
  }

  /** What systemctl was asked, in order. */
  systemctlCalls(): string[] {
    const r = this.lab.sh(['cat', '/run/lab-systemctl.log']);
    return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  }

  /** Play systemd at boot: start every unit enabled for a network device once that device exists. */
  async startDeviceUnits(timeoutMs = 20_000): Promise<string[]> {
    const wants = this.sh('cd /etc/systemd/system && ls -d sys-subsystem-net-devices-*.device.wants/* 2>/dev/null || :').split('\n').filter(Boolean);
    for (const w of wants) {
      const dev = w.replace(/^sys-subsystem-net-devices-(.*)\.device\.wants\/.*$/, '$1').replace(/\\x2d/g, '-');
      await waitFor(`device ${dev}`, () => this.lab.box.run(['ip', 'link', 'show', 'dev', dev]).code === 0, timeoutMs, 200);
      this.sh(`systemctl start '${w.split('/')[1]}'`);
    }
    return wants;
  }

  // ------------------------------------------------------------------ the box as a whole

  /** Every default route of a family in main: the LAN's, and nothing else, is what the box must keep. */
  mainDefaults(family: '-4' | '-6' = '-4'): { gateway?: string; dev?: string; protocol?: string; metric?: number }[] {
    return this.lab.box.json<{ dst: string; gateway?: string; dev?: string }>(family, 'route', 'show', 'table', 'main').filter((r) => r.dst === 'default');
  }

  /** Throw unless main's only default route is the LAN's (in the dual-stack lab: for IPv6 too, none via the macvlan, not even the kernel's `proto ra` one). */
  lanOnly(): void {
    const want = this.lab.ipv6 ? [['-4', LAN_ROUTER], ['-6', this.lan6Router]] as const : [['-4', LAN_ROUTER]] as const;
    for (const [family, router] of want) {
      const got = this.mainDefaults(family);
      if (got.length !== 1 || got[0]!.gateway !== router || got[0]!.dev !== 'lan0') {
        throw new Error(`main's ${family} default routes: ${JSON.stringify(got)} (want only via ${router} dev lan0)`);
      }
    }
  }

  /**
   * Wait until `iface`'s lease is routed exactly as srcroute promises (lab.checkLease), then
   * check pings both ways and main's default route; returns the address.
   */
  async routed(iface: string, gateway: string, timeoutMs = 30_000): Promise<string> {
    const addr = await waitFor(`${iface}'s lease routed by srcroute`, () => {
      try {
        return this.lab.checkLease(iface, gateway);
      } catch {
        return undefined;
      }
    }, timeoutMs, 250);
    const r = await this.lab.reachable(addr);
    if (!r.inbound || !r.outbound) throw new Error(`${addr} routed but not reachable: ${JSON.stringify(r)}`);
    this.lanOnly();
    return addr;
  }

  /**
   * Dual stack (lab with ipv6): wait until every global IPv6 address of `iface` (at least a SLAAC
   * and a DHCPv6 one, past DAD) has srcroute's rule and table routes, then check each answers
   * ping -6 from the ISP side and reaches it, and main's defaults (both families) are the LAN's.
   */
  async routed6(iface: string, timeoutMs = 30_000): Promise<Addr6[]> {
    const addrs = await waitFor(`${iface}'s IPv6 addresses routed by srcroute`, () => {
      try {
        const a = checkV6(this.lab, iface, ROUTER6, [`${ISP_PREFIX}/64`]);
        return a.some((x) => x.prefixlen === 64) && a.some((x) => x.prefixlen === 128) && a.every((x) => !x.tentative) && a;
      } catch {
        return undefined;
      }
    }, timeoutMs, 250);
    for (const a of addrs) {
      const r = reachable6(this.lab, a.local);
      if (!r.inbound || !r.outbound) throw new Error(`${a.local} routed but not reachable: ${JSON.stringify(r)}`);
    }
    this.lanOnly();
    return addrs;
  }

  /** The kernel's accept_ra for `iface` now. */
  acceptRa(iface: string): string {
    return this.sh(`cat /proc/sys/net/ipv6/conf/${iface}/accept_ra`).trim();
  }

  /** The modem's port as a stock box has it before srcroute: down, the kernel's accept_ra 1. */
  stockPort(): void {
    this.sh('ip link set dev eth0 down && echo 1 >/proc/sys/net/ipv6/conf/eth0/accept_ra');
  }

  /** The modem's port (eth0) as uninstall must leave it: up or down, accept_ra, global addresses. */
  port(): string {
    const up = (JSON.parse(this.sh('ip -j link show dev eth0')) as { flags: string[] }[])[0]!.flags.includes('UP');
    const global = this.sh('ip -o addr show dev eth0 scope global').split('\n').filter(Boolean).map((l) => l.split(/\s+/)[3]);
    return `eth0 ${up ? 'up' : 'down'}, accept_ra ${this.acceptRa('eth0')}, global addresses [${global.join(' ')}]`;
  }

  /** Names, modes, owners and contents of /etc and srcroute's /usr/local, for byte-for-byte comparisons. */
  snapshot(): string {
    return this.lab.sandbox.snapshot();
  }

  run(argv: readonly string[]): RunResult {
    return this.lab.sandbox.run(argv, { timeoutMs: 60_000 });
  }

  must(argv: readonly string[]): string {
    const r = this.run(argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Debian's /etc/dhcpcd.conf with DHCPCD_LAB_LINES at its top and `tail` (the admin's own lines) at its end. */
  labDhcpcdConf(tail = ''): void {
    const text = `${DHCPCD_LAB_LINES}${this.lab.sandbox.read('/etc/dhcpcd.conf')}${tail}`;
    this.lab.writeFile('/etc/dhcpcd.conf', text);
  }

  /**
   * The README's setup, `install.sh --parent eth0 IFACE` (the stack detected), after a snapshot of
   * /etc and /usr/local and of the modem's port that `--uninstall --purge` must give back. Throws
   * unless it succeeds.
   */
  setUp(repo: string, iface: string): { pristine: string; port: string; stdout: string; stderr: string } {
    const pristine = this.snapshot();
    const port = this.port();
    const r = this.lab.install(repo, ['--parent', 'eth0', iface]);
    if (r.code !== 0) throw new Error(`install.sh --parent eth0 ${iface} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return { pristine, port, stdout: r.stdout, stderr: r.stderr };
  }

  /** A second `install.sh --parent eth0 IFACE`: throws unless it exits 0 saying nothing changed, having written and run nothing. */
  installAgain(repo: string, iface: string): void {
    const r = this.lab.install(repo, ['--parent', 'eth0', iface]);
    if (r.code !== 0 || !/already installed: nothing changed/.test(r.stdout) || /running:|wrote/.test(r.stdout)) {
      throw new Error(`a second install.sh --parent eth0 ${iface} (exit ${r.code}) did something:\n${r.stdout}\n${r.stderr}`);
    }
  }

  /**
   * `install.sh --uninstall --purge`, then the box as before setUp: dhcpcd and the macvlan `iface`
   * gone, no rule of srcroute's, /etc and /usr/local byte for byte `pristine`, main's defaults the
   * LAN's. Throws the first difference.
   */
  async uninstallPurge(repo: string, iface: string, pristine: string): Promise<void> {
    const r = this.lab.install(repo, ['--uninstall', '--purge']);
    if (r.code !== 0) throw new Error(`install.sh --uninstall --purge exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    await waitFor('dhcpcd to stop', () => this.lab.pidsIn('dhcpcd').length === 0, 15_000);
    await waitFor(`the macvlan ${iface} to go`, () => this.lab.box.run(['ip', 'link', 'show', iface]).code !== 0, 10_000);
    const left = this.lab.ownedRules();
    if (left.length > 0) throw new Error(`srcroute's rules left: ${JSON.stringify(left)}`);
    const now = this.snapshot();
    if (now !== pristine) {
      /** The lines of `a` that `b` lacks, marked with `sign` as a diff marks them. */
      const linesNotIn = (a: string, b: string, sign: string) => a.split('\n').filter((l) => !new Set(b.split('\n')).has(l)).map((l) => `${sign} ${l}`);
      throw new Error(`/etc or /usr/local differ from before the install:\n${[...linesNotIn(pristine, now, '-'), ...linesNotIn(now, pristine, '+')].join('\n')}`);
    }
    this.lanOnly();
  }

  /** PIDs in the box's network namespace, but the sandbox's holder (and this test process). */
  boxPids(): number[] {
    const holder = this.lab.sandbox.holderPid;
    return run(['ip', 'netns', 'pids', this.lab.box.name])
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => p !== holder && p !== process.pid);
  }

  /** The box's processes named `comm`. */
  pidsOf(comm: string): number[] {
    return this.boxPids().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    });
  }

  /** Their command lines (dhcpcd rewrites its own: `dhcpcd: [manager] [ip4]`). */
  commandLines(comm: string): string[] {
    return this.pidsOf(comm).flatMap((pid) => {
      try {
        return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()];
      } catch {
        return [];
      }
    });
  }

  /**
   * "Reboot": kill every daemon of the box (SIGKILL, no hook runs), then give the kernel back as it
   * is at boot: no macvlan, no address, no route, no srcroute rule; /run loses the daemons' state.
   */
  async reboot(): Promise<void> {
    for (const comm of DAEMONS) this.lab.killAll(comm);
    let left: string[] = [];
    await waitFor('the daemons to be gone', () => {
      left = DAEMONS.flatMap((c) => this.lab.pidsIn(c).map((p) => `${c}[${p}] ${readText(`/proc/${p}/stat`)?.split(' ')[2]}`));
      if (left.length > 0) DAEMONS.forEach((c) => this.lab.killAll(c));
      return left.length === 0;
    }, 10_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${left.join(', ')}`);
    });
    this.daemons = [];
    const box = this.lab.box;
    for (const l of box.json<{ ifname: string; link_type?: string; linkinfo?: { info_kind?: string } }>('-d', 'link', 'show')) {
      if (l.linkinfo?.info_kind === 'macvlan') box.ip('link', 'del', l.ifname);
    }
    for (const dev of ['lan0', 'eth0']) {
      box.ip('addr', 'flush', 'dev', dev);
      box.ip('link', 'set', dev, 'down');
    }
    for (const family of this.lab.ipv6 ? ['-4', '-6'] : ['-4']) {
      box.run(['ip', family, 'route', 'flush', 'table', 'main']);
      for (const r of box.json<{ priority: number; protocol?: string }>(family, '-N', 'rule', 'show')) {
        if (r.protocol === '213') box.ip(family, 'rule', 'del', 'pref', String(r.priority), 'protocol', '213');
      }
      box.run(['ip', family, 'route', 'flush', 'table', '123']);
    }
    this.sh('rm -rf /run/dhcpcd /run/srcroute /run/NetworkManager /run/systemd/netif /run/lab-systemctl.log /run/lab-units /run/network /run/dhclient.*.pid; mkdir -p /run/systemd/netif');
  }
}
