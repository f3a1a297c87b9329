// The boot test's services checks (cells.ts: the cells with `services`; their image has Docker,
// image.ts): what people run on the leased public address, on a real boot, checked from outside.
//   stock()       the stock box runs real Docker (Debian's docker.io): an image imported from a
//                 local tarball (busybox-static's one binary and a page, no registry), a container
//                 `--restart unless-stopped -p 8080:80` running `busybox httpd`; the LAN gets the
//                 page from the box's LAN address (the container serves: the controls below mean
//                 something)
//   forwarding()  FORWARD off (install's default): from the internet side of the modem no page
//                 from LEASE:8080, and the reply reached the LAN router (its prerouting counts it),
//                 which has no route to the internet side: lost there, as on a real LAN. Then
//                 FORWARD=yes in IFACE.env, `srcroute install --forward` (the nft table and its
//                 unit), `srcroute sync`: the page from the internet side
//   renumber()    a script in /etc/srcroute/hooks.d records its environment; the modem's dnsmasq
//                 hands out another range and dhcpcd rebinds (`dhcpcd -n`): NAK, then BOUND of
//                 a new address; the script ran once, with the old and the new address; the page
//                 from the new address
//   heal()        `ip rule del` of srcroute's source rule, then `nft delete table inet
//                 srcroute-IFACE`: each back with no command (srcroute-heal.timer: within 36 s, as
//                 docs/how-it-works.md says; polled up to HEAL_DEADLINE_S, no speed asserted)
//   afterReboot() dockerd and the container back by themselves, the page from the internet side
//   afterPurge()  no nftables table, rule or file of srcroute's; the admin's hooks.d script kept,
//                 unchanged, and nothing else in /etc/srcroute (KEPT: boot.test.ts's own purge
//                 checks leave these paths to this module)
import type { GuestResult } from './vm.js';
import type { BootNet } from './net.js';
import { MODEM } from './net.js';

export interface Routed {
  lease: string;
  table: string;
  pref: string;
}

/** What the services checks need of boot.test.ts's run. */
export interface ServicesCtx {
  /** Run in the guest. */
  g: (script: string, timeoutS?: number) => Promise<GuestResult>;
  /** Run in the guest; anything but exit 0 ends the test. */
  gm: (script: string, timeoutS?: number) => Promise<GuestResult>;
  say: (msg: string) => void;
  problem: (msg: string) => void;
  waitFor: <T>(timeoutS: number, fn: () => Promise<T | undefined | false>) => Promise<T | undefined>;
  routed: (timeoutS: number) => Promise<Routed | undefined>;
  net: BootNet;
  iface: string;
  /** The other macvlans the same install made (vlan: ens3v1): FORWARD=yes for them too, as install --forward does. */
  more: readonly string[];
  installArgs: string;
  /** boot.test.ts's timings: ends the phase that ran since the last call, under this name. */
  phase: (name: string) => void;
}

export const PORT = 8080;
const PAGE = 'srbt-services-page';
const IMAGE = 'srbt/httpd:1';
const CONTAINER = 'srbt-web';
const SCRIPT = '/etc/srcroute/hooks.d/50-srbt-record';
const RECORD = '/var/log/srbt-hooks.log';
/** The heal timer's figure is 36 s (docs/how-it-works.md); this is only how long the test waits. */
const HEAL_DEADLINE_S = 150;
/** What purge leaves in /etc/srcroute: the admin's script and the directories it is in. */
export const KEPT = ['/etc/srcroute', '/etc/srcroute/hooks.d', SCRIPT];

/**
 * The hooks.d script: one line per call, its SRCROUTE_ variables joined with `|`. It runs as a
 * transient unit (docs/hooks.md), outside any sandbox: /var/log is writable.
 */
const SCRIPT_TEXT = `#!/bin/sh
# the boot test's hooks.d script (test/boot/services.ts): records each call's environment
env | grep '^SRCROUTE_' | sort | paste -sd '|' >>${RECORD}
`;

/** A line of boot.test.ts's /etc listing (`find -printf "%y %m %u:%g %p %l"`, or sha256sum's) of a KEPT path. */
export function keptEtcLine(line: string): boolean {
  const words = line.split(' ').filter(Boolean);
  const path = /^[a-z] \d+ /.test(line) ? words[3] : words[1];
  return KEPT.includes(path ?? '');
}

type Call = Record<string, string>;
const parseCalls = (text: string): Call[] =>
  text.split('\n').filter(Boolean).map((l) => Object.fromEntries(l.split('|').map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)];
  })));

export class Services {
  private scriptSum = '';

  constructor(private readonly c: ServicesCtx) {}

  /** The page from the internet side of the modem, from ADDR:8080, within timeoutS (else undefined). */
  private page(addr: string, timeoutS: number): Promise<true | undefined> {
    return this.c.waitFor(timeoutS, async () => this.c.net.http(addr, PORT).stdout.includes(PAGE) || undefined);
  }

  private async dockerState(): Promise<string> {
    const r = await this.c.g(`docker ps -a --filter name=${CONTAINER} --format '{{.Status}} {{.Ports}}'`, 120);
    return `${r.stdout.trim()}${r.stderr.trim()}`;
  }

  /** The stock box: dockerd running, the image imported from a tarball, the container published on 8080. */
  async stock(): Promise<void> {
    const { g, gm, say } = this.c;
    // dockerd starts at boot, after network-online: under TCG it may need a while
    const up = await this.c.waitFor(180, async () => (await g('docker info --format "{{.ServerVersion}}"', 60)).code === 0);
    if (!up) throw new Error(`dockerd does not answer within 180 s: ${(await g('systemctl status docker --no-pager; journalctl -u docker --no-pager | tail -n 30')).stdout}`);
    const version = (await g('docker version --format "{{.Server.Version}}"; iptables --version')).stdout.trim();
    say(`docker: ${version.replace(/\n/g, '; ')}`);
    await gm([
      'set -e; rm -rf /tmp/srbt-web; mkdir -p /tmp/srbt-web/bin /tmp/srbt-web/www',
      'cp /bin/busybox /tmp/srbt-web/bin/busybox',
      `echo ${PAGE} >/tmp/srbt-web/www/index.html`,
      'tar -C /tmp/srbt-web -cf /tmp/srbt-web.tar .',
      `docker import /tmp/srbt-web.tar ${IMAGE}`,
      'rm -rf /tmp/srbt-web /tmp/srbt-web.tar',
      `docker run -d --name ${CONTAINER} --restart unless-stopped -p ${PORT}:80 ${IMAGE} /bin/busybox httpd -f -p 80 -h /www`,
    ].join('\n'), 300);
    const lanAddr = (await gm("ip -4 -o addr show dev ens3 | awk '{print $4}' | cut -d/ -f1 | head -n1")).stdout.trim();
    const fromLan = await this.c.waitFor(60, async () => this.c.net.httpFromLan(lanAddr, PORT).stdout.includes(PAGE) || undefined);
    if (!fromLan) {
      throw new Error(`the container does not serve ${lanAddr}:${PORT} to the LAN within 60 s: ${await this.dockerState()}`);
    }
    say(`docker: ${CONTAINER} serves ${lanAddr}:${PORT} to the LAN: ${await this.dockerState()}`);
  }

  /** FORWARD off: no page from the internet side, the reply lost on the LAN; on: the page. */
  async forwarding(r: Routed): Promise<void> {
    const { g, say, problem, net, iface } = this.c;
    // off: the reply leaves by main, through the LAN router, which has no way to the internet side
    if (net.lanRoutesInternet()) problem('the LAN router routes to the internet side: the negative control below proves nothing');
    const seen = net.lanSees(r.lease, PORT);
    const off = net.http(r.lease, PORT);
    const lost = seen();
    say(`FORWARD off: GET ${r.lease}:${PORT} from the internet side: ${off.code === 0 ? 'a page' : `curl exited ${off.code}`}; replies the LAN router got from ${r.lease}:${PORT}: ${lost}`);
    if (off.stdout.includes(PAGE)) problem(`FORWARD off: ${r.lease}:${PORT} answers from the internet side (the reply should leave through the LAN)`);
    if (lost === 0) problem(`FORWARD off: no reply from ${r.lease}:${PORT} reached the LAN router: the negative control did not see the reply leave by main`);
    // on, as an admin turns it on for an interface installed without it (docs/forwarding.md)
    for (const i of [iface, ...this.c.more]) {
      const env = `/etc/srcroute/${i}.env`;
      await this.c.gm(`grep -qx FORWARD=yes ${env} || echo FORWARD=yes >>${env}`);
    }
    const inst = await g(`srcroute install --forward ${this.c.installArgs}`, 300);
    say(`srcroute install --forward exited ${inst.code}:\n${inst.stdout}${inst.stderr}`);
    if (inst.code !== 0) problem(`srcroute install --forward ${this.c.installArgs} exited ${inst.code}:\n${inst.stdout}${inst.stderr}`);
    const sync = await g('srcroute sync', 120);
    if (sync.code !== 0) problem(`srcroute sync exited ${sync.code}: ${sync.stdout}${sync.stderr}`);
    await this.forwarded('FORWARD=yes', r.lease);
  }

  /** The page from the internet side on LEASE:8080, the table loaded and shown by status. */
  private async forwarded(when: string, lease: string): Promise<void> {
    const { g, say, problem, iface } = this.c;
    const ok = await this.page(lease, 120);
    // polled: under TCG, with heal's run beside it, status's ip may exceed its 5 s (TIMEOUT) once
    let last = '';
    const line = await this.c.waitFor(60, async () => {
      const r = await g(`srcroute status ${iface}`, 120);
      last = `${r.stdout}${r.stderr}`;
      return r.stdout.split('\n').find((l) => l.includes('forward on'));
    }) ?? `(no forward line: ${last.trim()})`;
    say(`${when}: GET ${lease}:${PORT} from the internet side: ${ok ? 'the page' : 'nothing'}; status: ${line.trim()}`);
    if (!ok) {
      const e = await g(`ip -N rule; nft list table inet srcroute-${iface}; docker ps -a; journalctl -b --no-pager -t srcroute | tail -n 20`);
      problem(`${when}: no page from ${lease}:${PORT} from the internet side within 120 s:\n${e.stdout}${e.stderr}`);
    }
    if (!/forward on, mark \S+, nft ok/.test(line)) problem(`${when}: srcroute status ${iface} says: ${line}`);
  }

  /** The hooks.d script through a renumbering: one call, the old and the new address; the page from the new one. */
  async renumber(r: Routed): Promise<Routed | undefined> {
    const { g, gm, say, problem, net, iface } = this.c;
    await gm(`cat >${SCRIPT} <<'EOF'\n${SCRIPT_TEXT}EOF\nchown root:root ${SCRIPT} && chmod 0755 ${SCRIPT} && rm -f ${RECORD}`);
    this.scriptSum = (await gm(`sha256sum ${SCRIPT}`)).stdout.trim();
    const started = Date.now();
    await net.renumber();
    // dhcpcd rebinds (`-n`, as after a reboot or a link's return): INIT-REBOOT, a broadcast REQUEST for
    // its address, which the modem NAKs (not in its range); it goes on to DISCOVER and BOUND. Not
    // a renewal (`-N`): dnsmasq broadcasts its NAK, and a bound dhcpcd 9 renewing listens on a UDP
    // socket bound to its address, which a broadcast never reaches (measured: it renewed unanswered
    // until T2). The control socket is IFACE-4.sock where dhcpcd runs for IPv4 alone, else IFACE.sock.
    const cmd = `if [ -S /run/dhcpcd/${iface}-4.sock ]; then dhcpcd -4 -n ${iface}; else dhcpcd -n ${iface}; fi`;
    const rebind = await g(cmd, 60);
    say(`renumbering: the modem's dnsmasq hands out ${MODEM.net4}150-199; dhcpcd -n ${iface} exited ${rebind.code}: ${rebind.stdout}${rebind.stderr}`);
    const moved = await this.c.waitFor(240, async () => {
      const now = await this.c.routed(5);
      return now && now.lease !== r.lease ? now : undefined;
    });
    if (!moved) {
      const e = await g(`ip addr show ${iface}; ip -N rule; journalctl -b --no-pager | grep -E "dhcpcd|srcroute" | tail -n 30`);
      problem(`renumbering: ${iface} has no new routed address within 240 s (was ${r.lease}):\n${e.stdout}${e.stderr}`);
      return undefined;
    }
    say(`renumbered in ${Math.round((Date.now() - started) / 1000)} s: ${r.lease} -> ${moved.lease}`);
    // the script runs after the hook, in a unit of its own: wait for its line, then a while for a second one
    const calls4 = async () => parseCalls((await g(`cat ${RECORD} 2>/dev/null`)).stdout);
    await this.c.waitFor(60, async () => (await calls4()).some((c) => c['SRCROUTE_FAMILY'] === '4') || undefined);
    await new Promise((res) => setTimeout(res, 15_000));
    const calls = await calls4();
    say(`hooks.d: ${calls.length} call(s): ${calls.map((c) => JSON.stringify(c)).join(' ')}`);
    const v4 = calls.filter((c) => c['SRCROUTE_FAMILY'] === '4');
    const want = { SRCROUTE_IFACE: iface, SRCROUTE_OLD_ADDRESS: r.lease, SRCROUTE_NEW_ADDRESS: moved.lease, SRCROUTE_TABLE: moved.table };
    const right = (c: Call) => Object.entries(want).every(([k, v]) => c[k] === v);
    if (v4.length !== 1 || !right(v4[0]!)) {
      problem(`renumbering ${r.lease} -> ${moved.lease}: the hooks.d script should run once for IPv4 with ${JSON.stringify(want)}; it ran ${v4.length} time(s): ${JSON.stringify(v4)}`);
    }
    const others = calls.filter((c) => c['SRCROUTE_FAMILY'] !== '4');
    if (others.length) problem(`renumbering IPv4: the hooks.d script also ran for ${JSON.stringify(others)} (nothing else changed)`);
    await this.forwarded('after the renumbering', moved.lease);
    return moved;
  }

  /** After install and its checks: forwarding off and on, a renumbering, heal; each a phase of its own. */
  async afterInstall(): Promise<void> {
    const r = await this.c.routed(60);
    if (!r) return this.c.problem('services: no routed lease to start from');
    await this.forwarding(r);
    this.c.phase('services: forward off, on');
    const moved = await this.renumber(r);
    this.c.phase('services: renumbering, hooks.d');
    await this.heal(moved ?? r);
    this.c.phase('services: heal');
  }

  /** srcroute's source rule and its nft table deleted by hand: back with no command. */
  async heal(r: Routed): Promise<void> {
    const { g, gm, say, problem, iface } = this.c;
    const table = `inet srcroute-${iface}`;
    await gm(`ip rule del from ${r.lease} table ${r.table} pref ${r.pref}`);
    let t = Date.now();
    const rule = await this.c.waitFor(HEAL_DEADLINE_S, () => this.c.routed(1));
    say(`heal: the rule from ${r.lease} ${rule ? `back after ${Math.round((Date.now() - t) / 1000)} s` : `not back within ${HEAL_DEADLINE_S} s`}`);
    if (!rule) problem(`heal: srcroute's rule from ${r.lease} (deleted by hand) is not back within ${HEAL_DEADLINE_S} s with no command`);
    await gm(`nft delete table ${table}`);
    t = Date.now();
    const nft = await this.c.waitFor(HEAL_DEADLINE_S, async () => (await g(`nft list table ${table}`)).code === 0);
    say(`heal: the table ${table} ${nft ? `back after ${Math.round((Date.now() - t) / 1000)} s` : `not back within ${HEAL_DEADLINE_S} s`}`);
    if (!nft) problem(`heal: the nft table ${table} (deleted by hand) is not back within ${HEAL_DEADLINE_S} s with no command`);
    const log = await g('journalctl -b --no-pager -t srcroute | grep " heal: " | tail -n 6');
    say(`heal's log:\n${log.stdout}`);
    await this.forwarded('after heal', r.lease);
  }

  /** After the reboot: dockerd and the container back by themselves, the page from the internet side. */
  async afterReboot(r: Routed): Promise<void> {
    const running = await this.c.waitFor(240, async () => (await this.dockerState()).startsWith('Up') || undefined);
    if (!running) this.c.problem(`after reboot: the container ${CONTAINER} is not running within 240 s: ${await this.dockerState()}`);
    await this.forwarded('after reboot', r.lease);
  }

  /** After apt purge: no table, rule or file of srcroute's; the admin's script kept as it was, alone. */
  async afterPurge(): Promise<void> {
    const { g, problem } = this.c;
    const tables = (await g('nft list tables')).stdout.split('\n').filter((l) => l.includes('srcroute'));
    if (tables.length) problem(`after purge: nft still holds ${tables.join(', ')}`);
    const marks = (await g('ip -N rule; ip -6 -N rule')).stdout.split('\n').filter((l) => /fwmark|srcroute/.test(l));
    if (marks.length) problem(`after purge: rules of srcroute's left:\n  ${marks.join('\n  ')}`);
    const sum = (await g(`sha256sum ${SCRIPT}`)).stdout.trim();
    if (sum !== this.scriptSum) problem(`after purge: the admin's hooks.d script is gone or changed: ${sum || 'gone'} (was ${this.scriptSum})`);
    const left = (await g('find /etc/srcroute -printf "%y %m %u %p\\n" | sort')).stdout.trim().split('\n').filter(Boolean);
    const want = ['d 755 root /etc/srcroute', 'd 755 root /etc/srcroute/hooks.d', `f 755 root ${SCRIPT}`];
    if (JSON.stringify(left) !== JSON.stringify(want)) {
      problem(`after purge: /etc/srcroute should hold the admin's script alone:\n  have: ${left.join('\n        ')}\n  want: ${want.join('\n        ')}`);
    }
  }
}
