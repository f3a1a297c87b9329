// The whole "ISP, modem, box" lab on one machine, for the integration tests and `npm run demo`.
//
//   internet ns            modem ns                         box ns                      lanrouter ns
//   inet0 198.18.0.1/15 -- wan0 198.18.0.2/15               eth0 (no address)
//                          cpe0 100.64.0.1/24 (+ .2) ------- ├─ eth0v0 macvlan 02:00:00:aa:bb:01 (DHCP)
//                          dnsmasq, ip_forward=1             └─ eth0v1 macvlan 02:00:00:aa:bb:02 (DHCP)
//                                                           lan0 192.168.77.2/24 ---------- lan1 192.168.77.1/24
//                                                           main: default via 192.168.77.1  ip_forward=0: a dead end
//
// The box's MAIN default route leads to the LAN router, which forwards nothing: a packet from a
// public (leased) address reaches the internet only when srcroute's `from ADDR lookup TABLE` rule
// sends it to the modem. The control checks that a reply that misses the rule really arrives at
// the LAN router and dies there.
//
// With `ipv6: true` the same lab is dual stack (documentation prefixes only):
//   internet inet0 2001:db8:ffff::1/64 -- wan0 2001:db8:ffff::2/64, forwarding=1, 2001:db8:1::/48 routed to it
//   modem cpe0 fe80::1 (its only link-local: the router the box sees), 2001:db8:1:1::1/64 (ISP_PREFIX);
//     dnsmasq sends RAs (A, L, M flags) for every prefix on cpe0 and leases DHCPv6 addresses ::100-::1ff
//     of each (`constructor:cpe0`: renumber() swaps the prefix under the running dnsmasq)
//   box eth0 accept_ra=0 (only the macvlans take part); lan0 2001:db8:77::2/64, main: default via
//     2001:db8:77::1 (the LAN router, forwarding=0): the same dead end as for IPv4
//   dhcpcd runs IPv6 too (SLAAC and DHCPv6 IA_NA on each macvlan, `nogateway` as for IPv4).
//
// Every process the lab starts runs inside a Sandbox (test/support/sandbox.ts: a private mount
// namespace in one of the lab's netns, overlays over /etc, /usr/local, /var/lib, tmpfs on /run,
// its namespaces verified by inode): the DHCP clients, stacks and install.sh in the box's, every
// other command (dnsmasq, pings, sysctl) in its namespace's own (netns.ts), so none meets the
// host's dhcpcd, /etc, /run or /var/lib. The lab knows those namespaces (`trusted`); destroy() and killAll() send SIGKILL
// only to a process found, just before, to live in one of them (a PID from `ip netns pids` may
// have been reused), then remove the namespaces and temp files. Nothing here touches the host.
// A lab that crashes leaves its namespaces named with its worker's PID: the next run's first
// Netns.create() sweeps them (netns.ts), and the mounts died with the mount namespaces.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namedNamespaces, Netns, pidsInNetns } from './netns.js';
import { alive, holdsOverlayOf, sameIds, signalIf, type NsIds } from './ns-identity.js';
import type { RunResult } from './run.js';
import { Sandbox } from './sandbox.js';

export const INTERNET_ADDR = '198.18.0.1';
export const MODEM_WAN_ADDR = '198.18.0.2';
export const GATEWAY = '100.64.0.1';
export const GATEWAY2 = '100.64.0.2';
export const GATEWAY3 = '100.64.0.3';
export const LAN_ROUTER = '192.168.77.1';
/** IPv6 (lab created with `ipv6: true`). */
export const INTERNET6 = '2001:db8:ffff::1';
export const MODEM_WAN6 = '2001:db8:ffff::2';
export const ROUTER6 = 'fe80::1';
export const ISP_PREFIX = '2001:db8:1:1::';
export const ISP_PREFIX2 = '2001:db8:1:2::';
export const LAN_ROUTER6 = '2001:db8:77::1';
/** The LAN router's link-local address: the gateway of an RA default (startLanRa). */
export const LAN_ROUTER6_LL = 'fe80::77:1';
export const LAN_ADDR = '192.168.77.2';
/** The box's own LAN address in the dual-stack lab. */
export const LAN6 = '2001:db8:77::2/64';
export const MACS: Readonly<Record<string, string>> = { eth0v0: '02:00:00:aa:bb:01', eth0v1: '02:00:00:aa:bb:02' };
/** srcroute's default protocol number (CONTRACT: PROTOCOL=213). */
export const PROTOCOL = 213;

export interface DnsmasqOptions {
  /** First and last address served, e.g. ['100.64.0.50', '100.64.0.59']. */
  range?: readonly [string, string];
  /** Router option for every client. */
  router?: string;
  /** Per-MAC router overrides. */
  routerByMac?: Readonly<Record<string, string>>;
  /** Keep the lease file of the previous run (the modem remembers its leases). Default true. */
  keepLeases?: boolean;
  /** Extra raw dnsmasq arguments. */
  extra?: readonly string[];
}

export interface DhcpcdOptions {
  persistent?: boolean;
  /** Interfaces dhcpcd manages; default both macvlans. */
  interfaces?: readonly string[];
}

export interface IpRule {
  priority?: number;
  src?: string;
  srclen?: number;
  dst?: string;
  table?: string;
  protocol?: string;
}

/** Not the rules before it in srcroute's block: no destination, a table that is not main. */
export const isSourceRule = (r: IpRule): boolean => r.dst === undefined && r.table !== '254';

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  flags?: string[];
}

export type Logger = (line: string) => void;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Thrown from a waitFor check to stop waiting at once (a daemon died). */
export class Fatal extends Error {}

/** Poll `check` until it returns a truthy value; throw with `what` (and the last value) at the deadline. */
export async function waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v;
      last = v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what} (last: ${String(last)})`);
    await sleep(everyMs);
  }
}

/**
 * Whether `check` came true within `ms` (polled): for a "did not happen" that has a control, which
 * shows the same window sees it happen (a lab test asserts both with the same `ms`).
 */
export async function within(ms: number, check: () => boolean, everyMs = 100): Promise<boolean> {
  return waitFor('', () => check(), ms, everyMs).then(() => true, () => false);
}

/** A long-running child whose output is kept (for the failure message) and which can be awaited. */
export class Daemon {
  output = '';
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    log?: Logger,
  ) {
    const keep = (d: Buffer) => {
      const s = d.toString();
      this.output += s;
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
      if (log) for (const line of s.split('\n')) if (line.trim()) log(`${name}: ${line}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

export class Lab {
  readonly dir: string;
  internet!: Netns;
  modem!: Netns;
  box!: Netns;
  lanrouter!: Netns;
  /** The box's sandbox: the DHCP clients, the stacks, install.sh (chrooted into `root` when given). */
  sandbox!: Sandbox;
  dnsmasq: Daemon | undefined;
  /** The LAN router's router advertisements (startLanRa). */
  lanRa: Daemon | undefined;
  dhcpcd: Daemon | undefined;
  dhclients = new Map<string, Daemon>();
  /** Where the recorder writes (a sandboxed DHCP client may write under /run/dhcpcd only). */
  eventsFile = '/run/lab-events';
  private readonly made: Netns[] = [];
  /** The namespaces of every sandbox of this lab: the only processes killAll() may signal. */
  private readonly trusted: NsIds[] = [];
  private readonly log: Logger;

  private constructor(
    readonly macvlans: readonly string[],
    readonly ipv6: boolean,
    log: Logger | undefined,
    /** 'stack': lan0 is only a link; the network stack under test gives it its address and route. */
    readonly lan: 'lab' | 'stack' = 'lab',
    /** The box's root filesystem (another release's, see debian-root.ts); the host's when absent. */
    readonly root?: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `srcroute-lab-${process.pid}-`));
    this.log = log ?? (() => {});
  }

  /** Build the namespaces, links, addresses and routes; start the sandbox in the box. */
  static create(opts: { macvlans?: readonly string[]; ipv6?: boolean; log?: Logger; lan?: 'lab' | 'stack'; root?: string } = {}): Lab {
    const lab = new Lab(opts.macvlans ?? ['eth0v0', 'eth0v1'], opts.ipv6 ?? false, opts.log, opts.lan, opts.root);
    try {
      lab.build();
    } catch (e) {
      lab.destroySync();
      throw e;
    }
    return lab;
  }

  /** A namespace of the lab's; what runs in its own sandbox (dnsmasq, pings, sysctl) is the lab's too. */
  private ns(tag: string): Netns {
    const ns = Netns.create(tag);
    this.made.push(ns);
    this.trust(ns.sandbox.ids);
    return ns;
  }

  private sysctl(ns: Netns, key: string, value: string | number): void {
    ns.run(['sysctl', '-q', '-w', `${key}=${value}`]);
  }

  private build(): void {
    this.internet = this.ns('inet');
    this.modem = this.ns('modem');
    this.box = this.ns('box');
    this.lanrouter = this.ns('lan');

    // internet <-> modem
    this.internet.ip('link', 'add', 'inet0', 'type', 'veth', 'peer', 'name', 'wan0', 'netns', this.modem.name);
    this.internet.ip('addr', 'add', `${INTERNET_ADDR}/15`, 'dev', 'inet0');
    this.internet.ip('link', 'set', 'inet0', 'up');
    this.internet.ip('route', 'add', '100.64.0.0/10', 'via', MODEM_WAN_ADDR);
    this.modem.ip('addr', 'add', `${MODEM_WAN_ADDR}/15`, 'dev', 'wan0');
    this.modem.ip('link', 'set', 'wan0', 'up');

    // modem <-> box (the cable); the box's end carries no address, only macvlans
    this.modem.ip('link', 'add', 'cpe0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.box.name);
    this.modem.ip('addr', 'add', `${GATEWAY}/24`, 'dev', 'cpe0');
    this.modem.ip('addr', 'add', `${GATEWAY2}/24`, 'dev', 'cpe0');
    this.modem.ip('addr', 'add', `${GATEWAY3}/24`, 'dev', 'cpe0');
    // no generated link-local on the modem's cable side: its router address is a readable fe80::1
    if (this.ipv6) this.modem.ip('link', 'set', 'cpe0', 'addrgenmode', 'none');
    this.modem.ip('link', 'set', 'cpe0', 'up');
    this.sysctl(this.modem, 'net.ipv4.ip_forward', 1);
    this.sysctl(this.modem, 'net.ipv4.conf.all.rp_filter', 0);
    this.sysctl(this.modem, 'net.ipv4.conf.default.rp_filter', 0);

    // the macvlans' parent takes no part in IPv6 autoconfiguration
    this.sysctl(this.box, 'net.ipv6.conf.eth0.accept_ra', 0);
    this.box.ip('link', 'set', 'eth0', 'up');
    // loose reverse-path filtering, the usual setting on such a box (facts.md): so the control
    // fails because of the reply's route, not because the request was filtered on arrival
    this.sysctl(this.box, 'net.ipv4.conf.all.rp_filter', 2);
    this.sysctl(this.box, 'net.ipv4.conf.default.rp_filter', 2);
    for (const name of this.macvlans) {
      const mac = MACS[name];
      if (!mac) throw new Error(`lab: no MAC for ${name}`);
      this.box.ip('link', 'add', 'link', 'eth0', 'name', name, 'address', mac, 'type', 'macvlan', 'mode', 'private');
      this.sysctl(this.box, `net.ipv4.conf.${name}.rp_filter`, 2);
      // dhcpcd does IPv6 itself and turns the kernel's RA handling off when it starts; a box's dhcpcd
      // owns the link from boot, the lab's starts later: off before the link is up, or an RA in
      // between gives the kernel a SLAAC address of its own (seen once in a full run: a third address)
      if (this.ipv6) this.sysctl(this.box, `net.ipv6.conf.${name}.accept_ra`, 0);
      this.box.ip('link', 'set', name, 'up');
    }

    // box <-> LAN router: the box's main default route, a dead end for public traffic
    this.box.ip('link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1', 'netns', this.lanrouter.name);
    if (this.lan === 'lab') {
      this.box.ip('addr', 'add', `${LAN_ADDR}/24`, 'dev', 'lan0');
      this.box.ip('link', 'set', 'lan0', 'up');
      this.box.ip('route', 'add', 'default', 'via', LAN_ROUTER, 'dev', 'lan0');
    }
    this.lanrouter.ip('addr', 'add', `${LAN_ROUTER}/24`, 'dev', 'lan1');
    // its only link-local is a readable LAN_ROUTER6_LL (buildIpv6), the source of its RAs
    if (this.ipv6) this.lanrouter.ip('link', 'set', 'lan1', 'addrgenmode', 'none');
    this.lanrouter.ip('link', 'set', 'lan1', 'up');
    this.sysctl(this.lanrouter, 'net.ipv4.ip_forward', 0);
    if (this.ipv6) this.buildIpv6();

    this.sandbox = Sandbox.start({ netns: this.box.name, ...(this.root ? { root: this.root } : {}) });
    this.trust(this.sandbox.ids);
  }

  /** Processes in these namespaces are the lab's too (a sandbox nested in one of the lab's: unit-sandbox.ts). */
  trust(ids: NsIds): void {
    this.trusted.push(ids);
  }

  private buildIpv6(): void {
    this.internet.ip('addr', 'add', `${INTERNET6}/64`, 'dev', 'inet0', 'nodad');
    this.internet.ip('-6', 'route', 'add', '2001:db8:1::/48', 'via', MODEM_WAN6);
    this.modem.ip('addr', 'add', `${MODEM_WAN6}/64`, 'dev', 'wan0', 'nodad');
    this.sysctl(this.modem, 'net.ipv6.conf.all.forwarding', 1);
    // a carrier blink must not take the router's addresses away (the link-local goes anyway: see carrier())
    this.sysctl(this.modem, 'net.ipv6.conf.cpe0.keep_addr_on_down', 1);
    this.modem.ip('addr', 'add', `${ROUTER6}/64`, 'dev', 'cpe0', 'nodad');
    this.modem.ip('addr', 'add', `${ISP_PREFIX}1/64`, 'dev', 'cpe0', 'nodad');
    if (this.lan === 'lab') {
      this.box.ip('addr', 'add', LAN6, 'dev', 'lan0', 'nodad');
      this.box.ip('-6', 'route', 'add', 'default', 'via', LAN_ROUTER6, 'dev', 'lan0');
    }
    this.lanrouter.ip('addr', 'add', `${LAN_ROUTER6}/64`, 'dev', 'lan1', 'nodad');
    this.lanrouter.ip('addr', 'add', `${LAN_ROUTER6_LL}/64`, 'dev', 'lan1', 'nodad');
    this.sysctl(this.lanrouter, 'net.ipv6.conf.all.forwarding', 0);
  }

  /**
   * The LAN router advertises itself (dnsmasq: RAs every 10 s, router lifetime 1800 s, its
   * default, from LAN_ROUTER6_LL with SLAAC in 2001:db8:77::/64): the box's stack may take the
   * LAN's IPv6 default from them, as on most LANs. `routerNa` sets lan1's own forwarding flag,
   * which is what the kernel puts in the Router flag of its neighbour advertisements: on (the
   * default), it answers as a router does; `all.forwarding` stays 0, so it still forwards nothing.
   * Off, its NAs say Router=no, and networkd 257 drops the default at the first one (a Debian 13 box lost its IPv6 default so).
   */
  async startLanRa(routerNa = true): Promise<void> {
    this.setLanRouterNa(routerNa);
    const argv = ['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', '--no-hosts', '--no-resolv',
      '--interface=lan1', '--bind-interfaces', '--except-interface=lo', '--user=root', '--group=root', '--log-facility=-',
      `--pid-file=${join(this.dir, 'lan-ra.pid')}`, '--enable-ra', '--ra-param=lan1,10,1800', '--dhcp-range=::,constructor:lan1,ra-only,64,30m'];
    const d = new Daemon('lan-ra', this.lanrouter.sandbox.spawn(argv), this.log);
    this.lanRa = d;
    await waitFor('the LAN router\'s dnsmasq to start', () => {
      if (!d.running) throw new Fatal(`dnsmasq (LAN RAs) exited: ${d.output}`);
      return /started, version/.test(d.output);
    }, 10_000, 50);
  }

  /** lan1's forwarding flag: the Router flag of the LAN router's neighbour advertisements (see startLanRa). */
  setLanRouterNa(router: boolean): void {
    this.sysctl(this.lanrouter, 'net.ipv6.conf.lan1.forwarding', router ? 1 : 0);
  }

  /**
   * The ISP renumbers: the modem's prefix `from` is replaced by `to` on the cable side (and the
   * internet routes 2001:db8:1::/48 to the modem anyway). The running dnsmasq advertises `to`
   * and the old prefix with its lifetimes running out, and stops renewing the old DHCPv6 leases.
   */
  renumber(from: string, to: string): void {
    this.modem.ip('addr', 'add', `${to}1/64`, 'dev', 'cpe0', 'nodad');
    this.modem.ip('addr', 'del', `${from}1/64`, 'dev', 'cpe0');
  }

  // ---------------------------------------------------------------- the modem (dnsmasq)

  get leaseFile(): string {
    return join(this.dir, 'dnsmasq.leases');
  }

  /** (Re)start dnsmasq on the modem's cable side. */
  async startDnsmasq(opts: DnsmasqOptions = {}): Promise<void> {
    await this.stopDnsmasq();
    if (opts.keepLeases === false) rmSync(this.leaseFile, { force: true });
    const [first, last] = opts.range ?? ['100.64.0.50', '100.64.0.59'];
    const argv = [
      'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', '--no-hosts', '--no-resolv',
      '--interface=cpe0', '--bind-interfaces', '--except-interface=lo',
      '--dhcp-authoritative', '--no-ping', '--log-dhcp', '--log-facility=-', `--pid-file=${join(this.dir, 'dnsmasq.pid')}`,
      '--user=root', '--group=root',
      `--dhcp-leasefile=${this.leaseFile}`,
      `--dhcp-range=${first},${last},255.255.255.0,120s`,
      `--dhcp-option=option:router,${opts.router ?? GATEWAY}`,
    ];
    Object.entries(opts.routerByMac ?? {}).forEach(([mac, router], i) => {
      argv.push(`--dhcp-host=${mac},set:r${i}`, `--dhcp-option=tag:r${i},option:router,${router}`);
    });
    if (this.ipv6) {
      // RAs every 10 s (router lifetime 600 s), SLAAC and DHCPv6 in every prefix of cpe0, 120 s leases
      argv.push('--enable-ra', '--ra-param=cpe0,10,600', '--dhcp-range=::100,::1ff,constructor:cpe0,slaac,64,2m');
    }
    argv.push(...(opts.extra ?? []));
    const d = new Daemon('dnsmasq', this.modem.sandbox.spawn(argv), this.log);
    this.dnsmasq = d;
    await waitFor('dnsmasq to start', () => {
      if (!d.running) throw new Fatal(`dnsmasq exited: ${d.output}`);
      return /DHCP, IP range/.test(d.output) || /started, version/.test(d.output);
    }, 10_000, 50);
  }

  async stopDnsmasq(): Promise<void> {
    await this.dnsmasq?.stop();
    this.dnsmasq = undefined;
  }

  /** Pull the cable: the modem's end goes down (the box's eth0 and macvlans lose carrier). */
  carrier(up: boolean): void {
    this.modem.ip('link', 'set', 'cpe0', up ? 'up' : 'down');
    // the kernel drops the link-local on link down, keep_addr_on_down or not; RAs from another
    // source address are ignored by the box
    if (up && this.ipv6) this.modem.ip('addr', 'replace', `${ROUTER6}/64`, 'dev', 'cpe0', 'nodad');
  }

  async blink(downMs = 1_000): Promise<void> {
    this.carrier(false);
    await sleep(downMs);
    this.carrier(true);
  }

  // ---------------------------------------------------------------- the box: install, dhcpcd, dhclient

  /** Run a command inside the box's sandbox. */
  sh(argv: readonly string[], env?: Record<string, string>): RunResult {
    return this.sandbox.run(argv, env ? { env: { ...process.env, ...env } as Record<string, string> } : {});
  }

  /** `install.sh ARGS` from `repo` into the sandbox (its /etc, /usr/local are overlays). */
  install(repo: string, args: readonly string[] = this.macvlans): RunResult {
    return this.sandbox.run(['bash', join(repo, 'install.sh'), ...args], { timeoutMs: 180_000 });
  }

  /**
   * Append a recorder to the sandbox's /etc/dhcpcd.exit-hook (after srcroute's block) and a
   * dhclient exit hook sorted after srcroute's shim: each lease event appends
   * `REASON IFACE` to `eventsFile` once srcroute's dispatcher has run. Tests wait on it.
   */
  recordEvents(): void {
    const line = `echo "\${reason-} \${interface-} \${new_ip_address-}" >> ${this.eventsFile}\n`;
    const r = this.sandbox.run(['sh', '-c', 'cat >> /etc/dhcpcd.exit-hook'], { input: `# lab recorder (not srcroute's)\n${line}` });
    if (r.code !== 0) throw new Error(`lab: cannot add recorder: ${r.stderr}`);
    this.writeFile('/etc/dhcp/dhclient-exit-hooks.d/zz-lab-record', line);
  }

  /** Take the recorders out again, before an uninstall that must give /etc back as it was. */
  unrecordEvents(): void {
    const r = this.sandbox.run(['sh', '-c', "sed -i '/^# lab recorder/,$d' /etc/dhcpcd.exit-hook && rm -f /etc/dhcp/dhclient-exit-hooks.d/zz-lab-record"]);
    if (r.code !== 0) throw new Error(`lab: cannot remove the recorders: ${r.stderr}`);
  }

  /** Lease events seen so far (`REASON IFACE ADDR` lines). */
  events(): string[] {
    const r = this.sandbox.run(['cat', this.eventsFile]);
    return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  }

  /** Wait until an event `reason` for `iface` is recorded after the first `after` events. */
  async waitEvent(reason: string | RegExp, iface: string, after: number, timeoutMs = 20_000): Promise<string> {
    const re = typeof reason === 'string' ? new RegExp(`^${reason} ${iface}( |$)`) : reason;
    return waitFor(`event ${String(reason)} on ${iface}`, () => this.events().slice(after).find((l) => re.test(l) && l.split(' ')[1] === iface), timeoutMs);
  }

  /** Write a file as the sandbox sees it (root-owned, mode given). */
  writeFile(path: string, content: string, mode = '644'): void {
    const r = this.sandbox.run(['sh', '-c', 'umask 077; mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"', 'sh', path, mode], { input: content });
    if (r.code !== 0) throw new Error(`lab: cannot write ${path}: ${r.stderr}`);
  }

  get dhcpcdConf(): string {
    return join(this.dir, 'dhcpcd.conf');
  }

  writeDhcpcdConf(opts: DhcpcdOptions = {}): void {
    writeFileSync(this.dhcpcdConf, this.dhcpcdConfText(opts));
  }

  /** The lab's dhcpcd.conf: leases only, on the named (default: every) macvlan. */
  dhcpcdConfText(opts: DhcpcdOptions = {}): string {
    const ifaces = opts.interfaces ?? this.macvlans;
    const family = this.ipv6 ? ['slaac private'] : ['noipv6', 'noipv6rs', 'ipv4only'];
    const lines = [
      '# srcroute lab: private dhcpcd.conf (never /etc/dhcpcd.conf)',
      'noarp',
      'nodev',
      'noipv4ll',
      ...family,
      'nohook resolv.conf, hostname, ntp-common.conf, chrony.conf, timesyncd.conf, openntpd.conf, wpa_supplicant',
      'option classless_static_routes',
      'require dhcp_server_identifier',
      'timeout 20',
      ...(opts.persistent ? ['persistent'] : []),
      `allowinterfaces ${ifaces.join(' ')}`,
      ...ifaces.flatMap((i) => [`interface ${i}`, '  nogateway', '  noipv4ll', ...(this.ipv6 ? [] : ['  noipv6'])]),
      '',
    ];
    return lines.join('\n');
  }

  /** Start dhcpcd (master mode, foreground) inside the sandbox; it runs Debian's run-hooks. */
  async startDhcpcd(opts: DhcpcdOptions = {}): Promise<void> {
    if (this.dhcpcd?.running) throw new Error('lab: dhcpcd already running');
    this.writeDhcpcdConf(opts);
    const child = this.sandbox.spawn(['dhcpcd', '-f', this.dhcpcdConf, '-B', '-M']);
    this.dhcpcd = new Daemon('dhcpcd', child, this.log);
    // ready for control commands once it has logged its start and its socket exists (a socket
    // left by a killed dhcpcd may predate the log line; dhcpcd replaces it while starting)
    await waitFor('dhcpcd to start', () => {
      if (!this.dhcpcd?.running) throw new Fatal(`dhcpcd exited: ${this.dhcpcd?.output}`);
      return /starting/.test(this.dhcpcd.output) && this.sandbox.run(['test', '-S', '/run/dhcpcd/sock']).code === 0;
    }, 10_000, 50);
  }

  /**
   * Signals to our dhcpcd (by PID), for actions after the first control command: dhcpcd 9.4.1
   * built with privilege separation (Debian's) serves ONE control command per daemon; later ones
   * log "ps_ctl_dispatch: cannot handle another client" and are silently dropped (upstream
   * NetworkConfiguration/dhcpcd#168, fixed in 9.5.1). SIGUSR1 renews every lease (RENEW, as
   * `dhcpcd -N`), SIGHUP rebinds (RECONFIGURE + RENEW, as `dhcpcd -n`), SIGALRM releases all
   * and exits (STOP + STOPPED, as `dhcpcd -k`).
   */
  signalDhcpcd(signal: 'SIGUSR1' | 'SIGHUP' | 'SIGALRM'): void {
    if (!this.dhcpcd?.running) throw new Error('lab: no dhcpcd of ours is running');
    this.dhcpcd.child.kill(signal);
  }

  /** A dhcpcd control command (`-n IFACE`, `-k IFACE`, `-x`) against the running daemon, in the sandbox. */
  dhcpcdCtl(...args: string[]): RunResult {
    if (!this.dhcpcd?.running) throw new Error(`lab: refusing 'dhcpcd ${args.join(' ')}': no dhcpcd of ours is running (it would start a new one)`);
    return this.sandbox.run(['dhcpcd', '-f', this.dhcpcdConf, ...args], { timeoutMs: 30_000 });
  }

  /**
   * `dhcpcd -k` (release) or `-x` (stop) against the running daemon: the signal must be sent, but
   * not its exit status judged: it waits 10 s for the daemon, then exits 1 ("pid N failed to exit")
   * while the daemon's hooks still run (dhcpcd 9.4.1 and 10.1, src/dhcpcd.c; a CI run under load).
   * The callers wait for the events and the daemon's exit themselves.
   */
  dhcpcdEnd(flag: '-k' | '-x'): void {
    const r = this.dhcpcdCtl(flag);
    if (!/sending signal (ALRM|TERM) to pid \d+/.test(r.stderr))
      throw new Error(`lab: dhcpcd ${flag} sent no signal (exit ${r.code}): ${r.stderr}`);
  }

  /**
   * Stop our dhcpcd. SIGKILL kills it the way a service manager does: every dhcpcd process in the
   * lab's namespaces (the manager and its privilege-separated helpers), with no hook run.
   */
  async stopDhcpcd(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (signal === 'SIGKILL') this.killAll('dhcpcd');
    await this.dhcpcd?.stop(signal);
    await waitFor('dhcpcd processes to exit', () => this.pidsIn('dhcpcd').length === 0, 5_000).catch(() => this.killAll('dhcpcd'));
    this.dhcpcd = undefined;
  }

  /**
   * Renew every lease (SIGUSR1) and wait until each interface in `ifaces` ran a RENEW event after
   * `after`; the signal is sent again if dhcpcd was busy and no RENEW came within 4 s.
   */
  async renewAll(ifaces: readonly string[], after: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.signalDhcpcd('SIGUSR1');
      try {
        for (const i of ifaces) await this.waitEvent('RENEW', i, after, 4_000);
        return;
      } catch (e) {
        if (attempt >= 4) throw e;
      }
    }
  }

  /** Start ISC dhclient in the foreground (-d) inside the sandbox, with tmp lease and pid files. */
  startDhclient(iface: string): Daemon {
    const argv = ['dhclient', '-4', '-d', '-v', '-lf', this.dhclientFile(iface, 'leases'), '-pf', this.dhclientFile(iface, 'pid'), iface];
    const d = new Daemon(`dhclient[${iface}]`, this.sandbox.spawn(argv), this.log);
    this.dhclients.set(iface, d);
    return d;
  }

  dhclientFile(iface: string, kind: 'leases' | 'pid'): string {
    return join(this.dir, `dhclient.${iface}.${kind}`);
  }

  /** `dhclient -r` (release) or `-x` (stop) through the pid file, in the sandbox; waits for the daemon to go. */
  async dhclientStop(iface: string, how: '-r' | '-x'): Promise<RunResult> {
    const r = this.sandbox.run(['dhclient', '-4', '-v', how, '-lf', this.dhclientFile(iface, 'leases'), '-pf', this.dhclientFile(iface, 'pid'), iface], { timeoutMs: 30_000 });
    const d = this.dhclients.get(iface);
    if (d) {
      await waitFor(`dhclient ${iface} to exit`, () => !d.running, 10_000).catch(() => d.stop());
      this.dhclients.delete(iface);
    }
    return r;
  }

  // ---------------------------------------------------------------- observing the box

  /** IPv4 addresses on an interface in the box. */
  addresses(iface: string): string[] {
    const links = this.box.json<{ addr_info?: { family: string; local: string }[] }>('-4', 'addr', 'show', 'dev', iface);
    return links.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local));
  }

  address(iface: string): string | undefined {
    return this.addresses(iface)[0];
  }

  /** Every IPv4 rule in the box, numeric (`table: "123"`, `protocol: "213"`). */
  rules(): IpRule[] {
    return this.box.json<IpRule>('-N', '-4', 'rule', 'show');
  }

  /** Rules carrying srcroute's protocol number: each address's whole block. */
  ownedRules(): IpRule[] {
    return this.rules().filter((r) => r.protocol === String(PROTOCOL));
  }

  /** srcroute's source rules: one per routed address (the block's last, into its table, for every destination). */
  sourceRules(): IpRule[] {
    return this.ownedRules().filter(isSourceRule);
  }

  /** Rules from `addr` into a table of its own for every destination, whoever made them: srcroute's one, or copies. */
  rulesFrom(addr: string): IpRule[] {
    return this.rules().filter((r) => r.src === addr && isSourceRule(r));
  }

  /** Routes of one table, numeric. */
  routes(table: string | number): IpRoute[] {
    return this.box.json<IpRoute>('-N', '-4', 'route', 'show', 'table', String(table));
  }

  /** Routes carrying srcroute's protocol, in every table (each with its `table`). */
  ownedRoutes(): IpRoute[] {
    return this.box.json<IpRoute & { table?: string }>('-N', '-4', 'route', 'show', 'table', 'all').filter((r) => r.protocol === String(PROTOCOL));
  }

  /** What srcroute owns in the kernel, for before/after comparisons. */
  owned(): { rules: IpRule[]; routes: IpRoute[] } {
    return { rules: this.ownedRules(), routes: this.ownedRoutes() };
  }

  /** A routing table number as the sandbox's iproute2 resolves a name (`pub` -> 123). */
  tableNumber(name: string): string {
    if (/^\d+$/.test(name)) return name;
    const r = this.sandbox.run(['sh', '-c', 'cat /etc/iproute2/rt_tables /etc/iproute2/rt_tables.d/*.conf 2>/dev/null']);
    for (const line of r.stdout.split('\n')) {
      const [num, n] = line.trim().split(/\s+/);
      if (n === name && num && /^\d+$/.test(num)) return num;
    }
    throw new Error(`lab: table ${name} is not registered in the sandbox`);
  }

  /** `ip ARGS` inside the sandbox (names resolved as the installed system sees them), as text. */
  /** What to print when a scenario failed: recent events, rules, owned routes, the clients' output. */
  failureReport(title: string): string {
    const clients = [
      ...(this.dhcpcd ? [`dhcpcd (tail):\n${this.dhcpcd.output.slice(-4000)}`] : []),
      ...[...this.dhclients.entries()].map(([iface, d]) => `dhclient ${iface} (tail):\n${d.output.slice(-4000)}`),
    ];
    return [
      `--- ${title}: lab state on failure`,
      `events:\n${this.events().slice(-30).join('\n')}`,
      `ip rule:\n${this.ipText('rule')}`,
      `owned routes: ${JSON.stringify(this.ownedRoutes())}`,
      ...clients,
    ].join('\n');
  }

  ipText(...args: string[]): string {
    const r = this.sandbox.run(['ip', ...args]);
    return (r.stdout + r.stderr).trimEnd();
  }

  /** `ip ARGS` in the box, as text (for narration). */
  show(...args: string[]): string {
    return this.box.ip(...args);
  }

  /** ping -c1 from the internet namespace to `addr`. */
  pingFromInternet(addr: string): boolean {
    return this.internet.run(['ping', '-n', '-c1', '-W1', addr]).code === 0;
  }

  /** ping -c1 from the box to the internet, with `addr` as the source. */
  pingFromBox(addr: string): boolean {
    return this.box.run(['ping', '-n', '-c1', '-W1', '-I', addr, INTERNET_ADDR]).code === 0;
  }

  /** Retry a ping a few times (the first packet may wait for ARP). */
  async reachable(addr: string, tries = 3): Promise<{ inbound: boolean; outbound: boolean }> {
    let inbound = false;
    let outbound = false;
    for (let i = 0; i < tries && !(inbound && outbound); i++) {
      inbound ||= this.pingFromInternet(addr);
      outbound ||= this.pingFromBox(addr);
    }
    return { inbound, outbound };
  }

  /**
   * IP packets the LAN router received for an address not its own and dropped because it does
   * not forward (`Ip: InAddrErrors` in its /proc/net/snmp): public traffic that missed the rule.
   */
  deadEndDrops(): number {
    const lines = this.lanrouter.run(['cat', '/proc/net/snmp']).stdout.split('\n').filter((l) => l.startsWith('Ip:'));
    const names = (lines[0] ?? '').split(/\s+/);
    const values = (lines[1] ?? '').split(/\s+/);
    return Number(values[names.indexOf('InAddrErrors')] ?? NaN);
  }

  // ---------------------------------------------------------------- what srcroute should have done

  /** The table srcroute uses for `iface`, as a number: TABLE from IFACE.env, else srcroute.env, else pub. */
  tableOf(iface: string): string {
    const read = (f: string) => {
      const r = this.sandbox.run(['cat', f]);
      return r.code === 0 ? /^\s*TABLE\s*=\s*["']?([A-Za-z0-9_.-]+)/m.exec(r.stdout)?.[1] : undefined;
    };
    return this.tableNumber(read(`/etc/srcroute/${iface}.env`) ?? read('/etc/srcroute/srcroute.env') ?? 'pub');
  }

  /**
   * Check the kernel holds exactly what srcroute promises for a bound `iface` (CONTRACT): the
   * block `from ADDR to SUBNET lookup TABLE pref 998`, `from ADDR lookup main suppress_prefixlength
   * 0 pref 999` and `from ADDR lookup TABLE pref 1000`, proto 213, and in TABLE only `default via GW dev IFACE`
   * and `SUBNET dev IFACE scope link`, both proto 213; no other owned rule points at TABLE.
   * Returns the address; throws a message listing what differs.
   */
  checkLease(iface: string, gateway: string, subnet = '100.64.0.0/24'): string {
    const addr = this.address(iface);
    if (!addr) throw new Error(`${iface} has no IPv4 address`);
    const table = this.tableOf(iface);
    const problems: string[] = [];
    const from = this.rulesFrom(addr);
    const want = { priority: 1000, src: addr, table, protocol: String(PROTOCOL) };
    const rule = from.length === 1 ? from[0] : undefined;
    if (!rule || rule.priority !== want.priority || rule.table !== table || rule.protocol !== want.protocol) {
      problems.push(`rules from ${addr}: ${JSON.stringify(from)} (want exactly one like ${JSON.stringify(want)})`);
    }
    const block = this.ownedRules().filter((r) => r.src === addr).map((r) => `${r.priority} ${r.dst ?? 'all'} ${r.table}`);
    const wantBlock = [`998 ${subnet.split('/')[0]} ${table}`, '999 all 254', `1000 all ${table}`];
    if (block.join() !== wantBlock.join()) problems.push(`srcroute's rules from ${addr}: ${block.join(', ')} (want ${wantBlock.join(', ')})`);
    const stale = this.ownedRules().filter((r) => r.table === table && r.src !== addr);
    if (stale.length) problems.push(`stale rules to table ${table}: ${JSON.stringify(stale)}`);
    const routes = this.routes(table);
    const dflt = routes.filter((r) => r.dst === 'default');
    const net = routes.filter((r) => r.dst === subnet);
    if (dflt.length !== 1 || dflt[0]!.gateway !== gateway || dflt[0]!.dev !== iface || dflt[0]!.protocol !== String(PROTOCOL)) {
      problems.push(`default route in table ${table}: ${JSON.stringify(dflt)} (want via ${gateway} dev ${iface} proto ${PROTOCOL})`);
    }
    if (net.length !== 1 || net[0]!.dev !== iface || net[0]!.protocol !== String(PROTOCOL) || net[0]!.scope !== '253') {
      problems.push(`subnet route in table ${table}: ${JSON.stringify(net)} (want ${subnet} dev ${iface} scope link proto ${PROTOCOL})`);
    }
    if (routes.length !== 2) problems.push(`table ${table} holds ${routes.length} routes: ${JSON.stringify(routes)}`);
    if (problems.length) throw new Error(`${iface} (${addr}):\n  ${problems.join('\n  ')}`);
    return addr;
  }

  /**
   * After the ISP renumbered: wait until eth0v0 and eth0v1 were BOUND to addresses that `range`
   * matches (after mark `after`), check each new lease is routed whole through its gateway
   * (checkLease) and no rule is left from the `old` addresses. Returns the two new addresses.
   */
  async rebound(range: RegExp, after: number, gateways: readonly [string, string], old: readonly string[]): Promise<[string, string]> {
    const ifaces = ['eth0v0', 'eth0v1'] as const;
    for (const iface of ifaces) await this.waitEvent(new RegExp(`^BOUND ${iface} ${range.source}$`), iface, after, 30_000);
    const addrs: [string, string] = [this.checkLease(ifaces[0], gateways[0]), this.checkLease(ifaces[1], gateways[1])];
    const left = old.flatMap((a) => this.rulesFrom(a));
    if (left.length) throw new Error(`rules left from the old addresses: ${JSON.stringify(left)}`);
    if (this.sourceRules().length !== 2) throw new Error(`source rules: ${JSON.stringify(this.sourceRules())}`);
    return addrs;
  }

  /** Check nothing of srcroute's is left for `iface`: no owned rule to its table, no owned route in it. */
  checkNothing(iface: string, oldAddrs: readonly string[] = []): void {
    const table = this.tableOf(iface);
    const problems: string[] = [];
    const sources = new Set(this.sourceRules().map((r) => r.src));
    // main's rules from an address no source rule routes any more are left over too
    const rules = this.ownedRules().filter((r) => r.table === table || oldAddrs.includes(r.src ?? '') || (r.table === '254' && !sources.has(r.src)));
    if (rules.length) problems.push(`rules left: ${JSON.stringify(rules)}`);
    const routes = this.ownedRoutes().filter((r) => (r as { table?: string }).table === table || r.dev === iface);
    if (routes.length) problems.push(`routes left: ${JSON.stringify(routes)}`);
    if (problems.length) throw new Error(`${iface}: srcroute left state behind:\n  ${problems.join('\n  ')}`);
  }

  // ---------------------------------------------------------------- cleanup

  /** PIDs of processes in the lab's network namespaces (optionally only those named `comm`). */
  pidsIn(comm?: string): number[] {
    const pids = this.made.flatMap((ns) => pidsInNetns(ns.name));
    return comm ? pids.filter((p) => readComm(p) === comm) : pids;
  }

  /** SIGKILL every process in the lab's namespaces (named `comm`): each checked, just before, to live in a sandbox of the lab's. */
  killAll(comm?: string): void {
    const nested = new Map<number, boolean>(); // by mount namespace, for this call: a unit's processes share one
    const refused = this.pidsIn(comm).filter((pid) => !this.signalOurs(pid, 'SIGKILL', nested));
    // loud: a process in the lab's netns under a mount namespace the lab never made is a hole to
    // look at (a zombie has left its namespaces: it is gone, not refused)
    const left = refused.filter(alive).map((pid) => `${pid} (${readComm(pid)})`);
    if (left.length) console.warn(`lab: not killed, not in a sandbox of this lab: ${left.join(', ')}`);
  }

  /**
   * Signal a process of the lab's by PID (read from a pid file, `ip netns pids`); throws unless it
   * lives in a sandbox of the lab's. One gone meanwhile is no error: dhcpcd's privsep helpers exit
   * when their parent is killed, between the listing of their PIDs and their own signal.
   */
  signal(pid: number, signal: NodeJS.Signals): void {
    if (!this.signalOurs(pid, signal) && alive(pid)) {
      throw new Error(`lab: refusing ${signal} to process ${pid}: not in a sandbox of this lab`);
    }
  }

  /**
   * Send `signal` to `pid` if, read just now, its namespaces are those of a sandbox of the lab's,
   * or its netns is the lab's and its mounts are copied from a sandbox's (a unit's nested one).
   */
  private signalOurs(pid: number, signal: NodeJS.Signals, nested = new Map<number, boolean>()): boolean {
    const nets = this.made.map((ns) => ns.inode);
    const dirs = [this.sandbox?.dir, ...this.made.map((ns) => ns.sandbox.dir)].filter((d): d is string => d !== undefined);
    const copied = (ids: NsIds) => nested.get(ids.mnt) ?? nested.set(ids.mnt, holdsOverlayOf(pid, ids.mnt, dirs)).get(ids.mnt)!;
    return signalIf(pid, (ids) => this.trusted.some((t) => sameIds(t, ids)) || (nets.includes(ids.net) && copied(ids)), signal);
  }

  async destroy(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    await step(() => this.dhcpcd?.stop());
    for (const d of this.dhclients.values()) await step(() => d.stop());
    await step(() => this.dnsmasq?.stop());
    await step(() => this.lanRa?.stop());
    await step(() => this.sandbox?.stop());
    this.destroySync();
    if (errors.length) this.log(`lab cleanup: ${errors.map(String).join('; ')}`);
  }

  private destroySync(): void {
    try {
      this.killAll();
    } catch {
      // best effort
    }
    for (const ns of this.made.splice(0)) ns.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A process's name (its /proc/PID/comm), or "gone". */
function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'gone';
  }
}

/** Every namespace this process made is listed by `ip netns`; none should remain after destroy(). */
export function leftoverNamespaces(): string[] {
  return namedNamespaces().filter((n) => n.includes(`-${process.pid}-`));
}
