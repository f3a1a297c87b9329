// The boot test's network, all on the host in namespaces of its own (srbt-*-PID), never the
// host's: qemu runs in srbt-vm-PID, whose two bridges join the guest's NICs (tap devices; in the
// one-port layout switch.py holds both taps and the guest's one NIC, VLAN 100 the modem's) to
//   srbt-lan-PID  the LAN router: 192.168.50.1/24, fd00:50::1/64, dnsmasq with DHCPv4 and RAs
//                 (the guest's ens3 gets main's defaults from it)
//   srbt-mdm-PID  the modem/ISP: 100.64.0.1/24, 2001:db8:64::1/64, dnsmasq with DHCPv4 leases
//                 from 100.64.0.50 and SLAAC RAs (the guest's ens4 or ens3.100, the macvlan on it);
//                 also "the internet": 198.51.100.7 and 2001:db8:ffff::7 on its lo, addresses
//                 the guest's LAN side knows no way to
// dnsmasq serves no DNS (--port=0), reads no config (--conf-file=/dev/null) and keeps its lease,
// pid and log files in the run's own directory. renumber() restarts the modem's with another
// range (RENUMBERED): the guest's lease is then NAKed when its client asks for it again. http()
// fetches a page from the internet side (curl); lanSees() counts, in the LAN router's prerouting,
// what the guest sends it from an address and port (the LAN router has no route to the internet
// side: what reaches it for there is lost). destroy() kills only the PIDs it started and deletes
// only the namespaces it made.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { must, run, type RunResult } from '../support/run.js';

export const LAN = { ns: 'lan', port: 'lan0', mac: '02:00:00:00:50:01', v4: '192.168.50.1', v6: 'fd00:50::1', net4: '192.168.50.', range: '192.168.50.100,192.168.50.199', prefix6: 'fd00:50::' } as const;
export const MODEM = { ns: 'mdm', port: 'isp0', mac: '02:00:00:00:64:01', v4: '100.64.0.1', v6: '2001:db8:64::1', net4: '100.64.0.', range: '100.64.0.50,100.64.0.99', prefix6: '2001:db8:64::' } as const;
/** The modem's range after renumber(): no address of MODEM.range. */
export const RENUMBERED = '100.64.0.150,100.64.0.199';
/** Where the modem namespace pings from: no address of the guest's LAN. */
export const INTERNET = { v4: '198.51.100.7', v6: '2001:db8:ffff::7' } as const;

type Side = typeof LAN | typeof MODEM;

export class BootNet {
  readonly namespaces: string[] = [];
  private readonly daemons: ChildProcess[] = [];
  private modemDaemon: ChildProcess | undefined;
  /** The namespace qemu runs in, with the taps `tap-lan` (the guest's ens3) and `tap-mdm` (ens4). */
  readonly vm: string;
  readonly lan: string;
  readonly modem: string;

  constructor(private readonly dir: string) {
    const tag = (t: string) => `srbt-${t}-${process.pid}`;
    this.vm = tag('vm');
    this.lan = tag(LAN.ns);
    this.modem = tag(MODEM.ns);
  }

  /** Make the namespaces, bridges, veths and taps; start both dnsmasqs. */
  up(): void {
    for (const ns of [this.vm, this.lan, this.modem]) {
      must(['ip', 'netns', 'add', ns]);
      this.namespaces.push(ns);
      must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // the bridges' namespace only passes frames: no IPv6 of its own (no RS, no DAD noise)
    this.sysctl(this.vm, 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    for (const [side, ns, tap] of [[LAN, this.lan, 'tap-lan'], [MODEM, this.modem, 'tap-mdm']] as const) {
      const br = `br-${side.ns}`;
      const v = `v-${side.ns}`;
      this.ip(this.vm, 'link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0');
      this.ip(this.vm, 'tuntap', 'add', 'dev', tap, 'mode', 'tap');
      this.ip(this.vm, 'link', 'add', v, 'type', 'veth', 'peer', 'name', side.port, 'netns', ns);
      for (const dev of [tap, v]) this.ip(this.vm, 'link', 'set', dev, 'master', br, 'up');
      this.ip(this.vm, 'link', 'set', br, 'up');
      // a router: forwarding on (a Linux host that is not one sends NAs with Router=no, which
      // makes the guest's kernel drop the RA default)
      this.sysctl(ns, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', `net.ipv6.conf.${side.port}.accept_dad=0`);
      this.ip(ns, 'link', 'set', side.port, 'address', side.mac, 'up');
      this.ip(ns, 'addr', 'add', `${side.v4}/24`, 'dev', side.port);
      this.ip(ns, '-6', 'addr', 'add', `${side.v6}/64`, 'dev', side.port, 'nodad');
    }
    this.ip(this.modem, 'addr', 'add', `${INTERNET.v4}/32`, 'dev', 'lo');
    this.ip(this.modem, '-6', 'addr', 'add', `${INTERNET.v6}/128`, 'dev', 'lo');
    this.dnsmasq(LAN, this.lan);
    this.modemDaemon = this.dnsmasq(MODEM, this.modem);
  }

  /** Restart the modem's dnsmasq (the PID this object started) with the range RENUMBERED and a new lease file. */
  async renumber(): Promise<void> {
    const old = this.modemDaemon;
    if (old && old.exitCode === null && old.signalCode === null) {
      const gone = new Promise<void>((r) => old.once('exit', () => r()));
      old.kill('SIGTERM');
      await gone;
    }
    this.modemDaemon = this.dnsmasq(MODEM, this.modem, RENUMBERED, '-2');
  }

  private dnsmasq(side: Side, ns: string, range: string = side.range, leases = ''): ChildProcess {
    const f = (ext: string) => join(this.dir, `dnsmasq-${side.ns}${ext === 'leases' ? leases : ''}.${ext}`);
    const child = spawn('ip', [
      'netns', 'exec', ns, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0',
      `--interface=${side.port}`, '--bind-interfaces', '--dhcp-authoritative', '--log-dhcp',
      `--dhcp-leasefile=${f('leases')}`, `--pid-file=${f('pid')}`, `--log-facility=${f('log')}`,
      `--dhcp-range=${range},255.255.255.0,12h`,
      '--enable-ra', `--dhcp-range=${side.prefix6},ra-only,64,12h`, `--ra-param=${side.port},10,1800`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      if (code !== null && code !== 0) console.error(`dnsmasq in ${ns} exited ${code}: ${err.trim()}`);
    });
    this.daemons.push(child);
    return child;
  }

  /** `ping` from the internet side of the modem namespace (4 or 6) to ADDR: its result. */
  ping(addr: string, family: 4 | 6, count = 2): RunResult {
    const from = family === 4 ? INTERNET.v4 : INTERNET.v6;
    return run(['ip', 'netns', 'exec', this.modem, 'ping', `-${family}`, '-n', '-c', String(count), '-W', '2', '-I', from, addr], { timeoutMs: 20_000 });
  }

  /** GET http://ADDR:PORT/ from the internet side of the modem namespace (curl, 5 s): its result. */
  http(addr: string, port: number): RunResult {
    const argv = ['curl', '-sS', '-m', '5', '--interface', INTERNET.v4, `http://${addr}:${port}/`];
    return run(['ip', 'netns', 'exec', this.modem, ...argv], { timeoutMs: 20_000 });
  }

  /** GET http://ADDR:PORT/ from the LAN router (the guest's LAN address: the LAN side). */
  httpFromLan(addr: string, port: number): RunResult {
    return run(['ip', 'netns', 'exec', this.lan, 'curl', '-sS', '-m', '5', `http://${addr}:${port}/`], { timeoutMs: 20_000 });
  }

  /** Whether the LAN router has a route to the internet side (it must not: what it gets for there is lost). */
  lanRoutesInternet(): boolean {
    return run(['ip', '-n', this.lan, 'route', 'get', INTERNET.v4]).code === 0;
  }

  /**
   * From now on, count the packets from ADDR, TCP source port PORT, that reach the LAN router
   * (its prerouting: before it finds no route for them); returns a reader of the count.
   */
  lanSees(addr: string, port: number): () => number {
    const table = `srbt-sees-${port}`;
    run(['ip', 'netns', 'exec', this.lan, 'nft', 'delete', 'table', 'inet', table]);
    const rules = [`table inet ${table} {`, '\tchain pre {', '\t\ttype filter hook prerouting priority -300; policy accept;',
      `\t\tip saddr ${addr} tcp sport ${port} counter`, '\t}', '}', ''].join('\n');
    must(['ip', 'netns', 'exec', this.lan, 'nft', '-f', '-'], { input: rules });
    return () => {
      const out = run(['ip', 'netns', 'exec', this.lan, 'nft', 'list', 'table', 'inet', table]).stdout;
      return Number(/counter packets (\d+)/.exec(out)?.[1] ?? 0);
    };
  }

  /** Kill the dnsmasqs this object started (by PID) and delete its namespaces. */
  destroy(): void {
    for (const d of this.daemons.splice(0)) if (d.exitCode === null && d.pid) d.kill('SIGTERM');
    for (const ns of this.namespaces.splice(0).reverse()) run(['ip', 'netns', 'del', ns]);
  }

  private ip(ns: string, ...args: string[]): void {
    must(['ip', '-n', ns, ...args]);
  }

  private sysctl(ns: string, ...settings: string[]): void {
    must(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...settings]);
  }
}
