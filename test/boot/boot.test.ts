// A real boot, per cell of the matrix (cells.ts: release × stack × layout), a VM (vm.ts:
// qemu, TCG) boots a stock box of that stack built by mmdebstrap (image.ts), with a LAN and a
// modem link served from namespaces of its own (net.ts): on a port of its own (two-port) or on
// VLAN 100 of the LAN's port (vlan: switch.py between the guest's one NIC and both), and a new
// user's steps run in it through the test's agent: apt install the .deb, `srcroute install
// --parent PORT [--vlan 100] IFACE`, the lease routed (a ping from the internet side of the
// modem), a negative control (srcroute's rule deleted by hand: no reply; `srcroute sync`: replies
// again), `srcroute check`, the stack's own reload (routed again), a real reboot with no command
// afterwards, `apt purge srcroute`, and the box as stock again (rules, the table, files, /etc,
// main's defaults, the modem's port, no VLAN or macvlan, the journal, `systemctl --failed`). In
// the vlan layout no frame on VLAN 100 may come from the port's own MAC: only the macvlan's
// (switch.py records them). Every check that fails is collected, with its evidence, and the test
// fails at the end with all of them; the logs (console, journal, transcript of every guest
// command, dnsmasq) then stay in /tmp/srcroute-boot-CELL-*/ and the path is printed.
// `npm run test:boot` (not part of `npm test`: minutes per release); docs/development.md, "The boot test".
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prerequisites } from '../support/prereq.js';
import { cellName, cellNet, selectCells, STACK_RELOAD, VLAN_ID } from './cells.js';
import { bootImage, SPECS } from './image.js';
import { BootNet, INTERNET, MODEM } from './net.js';
import { KEPT, keptEtcLine, Services } from './services.js';
import { Switch } from './switch.js';
import { LAN_PORT_MAC, Vm, type GuestResult } from './vm.js';

const REPO = resolve(__dirname, '../..');
const CELLS = selectCells(process.env['SRCROUTE_BOOT']);
const ok = prerequisites('boot test', [
  'root', 'qemu-system-x86_64', 'qemu-img', 'mmdebstrap', 'mkfs.ext4', 'truncate', 'dnsmasq', 'ip', 'ping', 'dpkg-deb',
  '/dev/net/tun', 'python3',
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Route = Record<string, unknown>;
/** A route as main holds it, without what changes by itself (an RA route's remaining lifetime). */
const norm = (routes: Route[]): string[] =>
  routes.map(({ expires: _e, ...r }) => JSON.stringify(r, Object.keys(r).sort())).sort();
const parse = (r: GuestResult): Route[] => (r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as Route[]) : []);
/**
 * The address's source rule (`from ADDR lookup TABLE`), of the block srcroute keeps per address: its
 * subnet rule (`from ADDR to NET`, a lower pref) and the suppress rule (`lookup main
 * suppress_prefixlength 0`) come first in `ip rule`, and deleting either leaves the lease routed.
 */
const sourceRule = (rules: Route[], addr: string): Route | undefined =>
  rules.find((r) => r['src'] === addr && r['dst'] === undefined && r['suppress_prefixlen'] === undefined);

describe.skipIf(!ok)('a real boot: release × stack × layout', () => {
  for (const cell of CELLS) {
    const { release, stack, layout } = cell;
    const spec = SPECS[release];
    const { port: PARENT, modemLink, iface: IFACE, more: MORE, installArgs } = cellNet(cell);
    // the DHCP client of the macvlan: ifup's own under ifupdown, srcroute-dhcpcd@ (dhcpcd) otherwise
    const dhcpcdLeases = stack !== 'ifupdown' || spec.client === 'dhcpcd-base';
    const name = cellName(cell);
    const title = `${name} (${spec.suite}): apt install, srcroute install ${installArgs}, reload, reboot, purge`;
    it(title, async () => {
      const logs = mkdtempSync(`/tmp/srcroute-boot-${name.replace(/:/g, '-')}-`);
      const work = mkdtempSync(`/tmp/srbt-work-${name.replace(/:/g, '-')}-`);
      const problems: string[] = [];
      const timings: [string, number][] = [];
      let phaseStart = Date.now();
      const phase = (name: string) => {
        timings.push([name, Math.round((Date.now() - phaseStart) / 100) / 10]);
        phaseStart = Date.now();
      };
      const net = new BootNet(work);
      const sw = layout === 'vlan' ? new Switch(net.vm, work) : undefined;
      let vm: Vm | undefined;
      const problem = (msg: string) => {
        problems.push(msg);
        vm?.note(`PROBLEM: ${msg}`);
        console.error(`[${name}] PROBLEM: ${msg}`);
      };
      const say = (msg: string) => {
        vm?.note(`STEP: ${msg}`);
        console.log(`[${name}] ${msg}`);
      };
      let failed: unknown;
      try {
        const deb = join(REPO, 'dist/release', `srcroute_${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}_all.deb`);
        const debBytes = readFileSync(deb); // missing: `npm run test:boot` runs `npm run release` first

        const image = bootImage(release, stack, cell.services === true, (l) => console.log(`[${name}] ${l}`));
        phase('image (build or cache)');
        net.up();
        await sw?.start('tap-lan', 'tap-mdm', VLAN_ID);
        vm = new Vm(image, net.vm, layout, work, logs);
        const v = vm;
        await v.start();
        say(`qemu started; console: ${v.console}`);
        const g = (script: string, timeoutS = 120) => v.run(script, timeoutS);
        /** Run in the guest; anything but exit 0 ends the test (what follows depends on it). */
        const gm = async (script: string, timeoutS = 120) => {
          const r = await g(script, timeoutS);
          if (r.code !== 0) throw new Error(`guest: \`${script}\` exited ${r.code}:\n${r.stdout}${r.stderr}`);
          return r;
        };
        /** Poll fn every 2 s until it returns something truthy or timeoutS passes (then undefined). */
        const waitFor = async <T>(timeoutS: number, fn: () => Promise<T | undefined | false>): Promise<T | undefined> => {
          const deadline = Date.now() + timeoutS * 1000;
          for (;;) {
            const r = await fn();
            if (r) return r;
            if (Date.now() > deadline) return undefined;
            await sleep(2000);
          }
        };
        const booted = async (not?: string) => {
          // 600 s: a reboot of debian-12:nm:vlan took 4.5 min with three guests and an image build on 2 cores
          const id = await v.bootId(Date.now() + 600_000, not);
          const r = await g('systemctl is-system-running --wait', 300);
          const failedUnits = (await g('systemctl --failed --no-legend --plain')).stdout.trim();
          if (r.stdout.trim() !== 'running') say(`system state: ${r.stdout.trim()}; failed units: ${failedUnits || 'none'}`);
          if (failedUnits.includes('srcroute') || failedUnits.includes(IFACE) || failedUnits.includes(modemLink)) {
            problem(`a unit of srcroute's interface failed at boot: ${failedUnits}`);
          }
          return id;
        };
        const defaults = async () => ({
          v4: norm(parse(await g('ip -j route show default'))),
          v6: norm(parse(await g('ip -6 -j route show default'))),
        });
        const port = async () => {
          const link = parse(await g(`ip -j link show ${PARENT}`))[0] ?? {};
          const flags = (link['flags'] as string[] | undefined) ?? [];
          const acceptRa = (await g(`cat /proc/sys/net/ipv6/conf/${PARENT}/accept_ra`)).stdout.trim();
          return `${flags.includes('UP') ? 'up' : 'down'}, accept_ra ${acceptRa}`;
        };
        const etc = async () => (await gm('find /etc -xdev -printf "%y %m %u:%g %p %l\\n" | sort; find /etc -xdev -type f -exec sha256sum {} + | sort -k 2')).stdout.split('\n').filter(Boolean);

        // 1. the stock box
        const boot1 = await booted();
        phase('boot');
        const lanUp = await waitFor(120, async () => {
          const d = await defaults();
          return d.v4.some((r) => r.includes('"dev":"ens3"')) && d.v6.some((r) => r.includes('"dev":"ens3"')) && d;
        });
        if (!lanUp) throw new Error(`the stock box has no IPv4 and IPv6 default via the LAN (ens3) within 120 s: ${JSON.stringify(await defaults())}`);
        // the stock defaults are the ones that hold still for 30 s (three RA intervals): on Debian 13
        // the kernel's own RA default (metric 1024) joins dhcpcd's (1002) some seconds after boot,
        // once ifupdown's `inet6 auto` has set ens3's accept_ra to 2
        let stock = lanUp;
        for (let since = Date.now(), deadline = Date.now() + 240_000; Date.now() - since < 30_000;) {
          if (Date.now() > deadline) throw new Error(`main's defaults on the stock box did not hold still for 30 s within 240 s: ${JSON.stringify(stock)}`);
          await sleep(2000);
          const d = await defaults();
          if (JSON.stringify(d) !== JSON.stringify(stock)) [stock, since] = [d, Date.now()];
        }
        say(`stock defaults: ${JSON.stringify(stock)}`);
        const stockPort = await port();
        say(`stock ${PARENT}: ${stockPort}`);
        const packages = 'ifupdown isc-dhcp-client dhcpcd-base network-manager nodejs iproute2 systemd linux-image-amd64';
        const versions = `dpkg-query -W -f "\\\${Package} \\\${Version}\\n" ${packages} 2>/dev/null`;
        const clients = (await g(`for c in dhclient dhcpcd; do command -v $c; done; ${versions}`)).stdout;
        say(`programs: ${clients.replace(/\n/g, '; ')}`);
        // the services cells' stock box runs a published container (services.ts)
        const services = !cell.services ? undefined : new Services({
          g, gm, say, problem, waitFor, net, iface: IFACE, more: MORE, installArgs, phase, routed: (t) => routed(t),
        });
        if (services) {
          phase('stock state (before docker)');
          await services.stock();
          phase('services: docker container');
        }
        const stockEtc = await etc();
        // polled for 60 s: after the stack's reload the LAN's own kernel RA default (Debian 13's
        // `inet6 auto`, metric 1024) comes back with the LAN router's next RA, not at once
        const checkDefaults = async (when: string) => {
          let now = await defaults();
          const same = (d: typeof now) => JSON.stringify(d) === JSON.stringify(stock);
          if (!same(now)) await waitFor(60, async () => same((now = await defaults())));
          if (JSON.stringify(now.v4) !== JSON.stringify(stock.v4)) problem(`${when}: main's IPv4 default is not the stock one:\n  stock: ${stock.v4.join('\n         ')}\n  now:   ${now.v4.join('\n         ')}`);
          if (JSON.stringify(now.v6) !== JSON.stringify(stock.v6)) problem(`${when}: main's IPv6 default is not the stock one:\n  stock: ${stock.v6.join('\n         ')}\n  now:   ${now.v6.join('\n         ')}`);
        };
        phase('stock state');

        // 2. install the package and srcroute, as the README says
        await v.push(debBytes, `/tmp/${deb.split('/').pop()}`);
        const apt = await g(`DEBIAN_FRONTEND=noninteractive apt install -y /tmp/${deb.split('/').pop()}`, 300);
        if (apt.code !== 0) throw new Error(`apt install of the .deb exited ${apt.code}:\n${apt.stdout}${apt.stderr}`);
        const install = await g(`srcroute install ${installArgs}`, 300);
        say(`srcroute install exited ${install.code}:\n${install.stdout}${install.stderr}`);
        const installOut = `${install.stdout}${install.stderr}`;
        if (install.code !== 0) throw new Error(`srcroute install ${installArgs} exited ${install.code}:\n${installOut}`);
        // what it tells a new user must fit the box: no dhcpcd.conf advice where dhcpcd is not installed
        if (!dhcpcdLeases && /dhcpcd\.conf/.test(install.stdout + install.stderr)) {
          const lines = `${install.stdout}\n${install.stderr}`.split('\n').filter((l) => /dhcpcd\.conf/.test(l));
          problem(`srcroute install tells a box without dhcpcd (ifup runs dhclient) to edit /etc/dhcpcd.conf:\n  ${lines.join('\n  ')}`);
        }
        // the installer runs ifup itself under ifupdown; if the interface is not up, do as it says
        if (stack === 'ifupdown' && (await g(`ifquery --state ${IFACE}`)).code !== 0) {
          say(`${IFACE} not up after install: ifup ${IFACE}`);
          const up = await g(`ifup ${IFACE}`, 300);
          if (up.code !== 0) problem(`ifup ${IFACE} exited ${up.code}: ${up.stdout}${up.stderr}`);
        }
        phase('apt install + srcroute install');

        // 3. the lease, its rule and table; a ping from the internet side of the modem
        interface Routed { lease: string; table: string; pref: string }
        const routed = async (timeoutS: number, iface = IFACE): Promise<Routed | undefined> =>
          waitFor(timeoutS, async () => {
            const addrs = parse(await g(`ip -4 -j addr show dev ${iface}`)).flatMap((l) => (l['addr_info'] as Route[] | undefined) ?? []);
            const lease = addrs.map((a) => String(a['local'])).find((a) => a.startsWith(MODEM.net4));
            if (!lease) return undefined;
            const rule = sourceRule(parse(await g('ip -N -j rule')), lease);
            if (!rule) return undefined;
            const table = String(rule['table']);
            const routes = parse(await g(`ip -N -j route show table ${table}`));
            if (!routes.some((r) => r['dst'] === 'default' && r['gateway'] === MODEM.v4 && r['dev'] === iface)) return undefined;
            return { lease, table, pref: String(rule['priority']) };
          });
        const pingOk = async (addr: string, family: 4 | 6, timeoutS: number) => waitFor(timeoutS, async () => net.ping(addr, family).code === 0);
        const routeGet = async (lease: string) => parse(await g(`ip -j route get ${INTERNET.v4} from ${lease}`))[0]?.['dev'];
        const ipv6 = async (when: string, table: string) => {
          // IPv6: dhcpcd (Debian 13) takes the modem's RAs itself and srcroute routes every address;
          // dhclient (Debian 12) runs -4 only, so the stanza turns the kernel's RA handling off on
          // the macvlan: no public address there that nothing would route (the modem's dnsmasq
          // advertises every 10 s, --ra-param in net.ts: 20 s without one is an answer)
          const claim = dhcpcdLeases;
          const addr6 = await waitFor(claim ? 60 : 20, async () =>
            parse(await g(`ip -6 -j addr show dev ${IFACE} scope global`)).flatMap((l) => (l['addr_info'] as Route[] | undefined) ?? [])
              .map((a) => String(a['local'])).find((a) => a.startsWith(MODEM.prefix6.slice(0, -1))));
          if (!claim) {
            say(`${when}: IPv6 on ${IFACE}: ${addr6 ?? 'none'} (accept_ra ${(await g(`cat /proc/sys/net/ipv6/conf/${IFACE}/accept_ra`)).stdout.trim()})`);
            if (addr6) problem(`${when}: ${IFACE} took ${addr6} from the modem's RA although dhclient -4 leaves it unrouted`);
            return;
          }
          if (!addr6) {
            problem(`${when}: no global IPv6 address from the modem's RA on ${IFACE} within 60 s`);
            return;
          }
          const rule6 = await waitFor(60, async () => sourceRule(parse(await g('ip -6 -N -j rule')), addr6));
          const ping6 = await pingOk(addr6, 6, 30);
          say(`${when}: IPv6 ${addr6}: rule ${rule6 ? JSON.stringify(rule6) : 'none'}; ping from ${INTERNET.v6}: ${ping6 ? 'replies' : 'no reply'}`);
          if (!rule6) problem(`${when}: no ip -6 rule from ${IFACE}'s address ${addr6} (dhcpcd is the client: srcroute routes IPv6)`);
          if (rule6 && String(rule6['table']) !== table) problem(`${when}: the IPv6 rule looks up table ${String(rule6['table'])}, the IPv4 one ${table}`);
          if (!ping6) problem(`${when}: no IPv6 reply from ${addr6} to ${INTERNET.v6}`);
        };
        const check = async (when: string) => {
          let last: GuestResult | undefined;
          const good = await waitFor(30, async () => {
            // up to 300 s: under load a check waited 111 s for srcroute-heal's lock (a heal run took 35 s of CPU under TCG)
            last = await g('srcroute check', 300);
            return last.code === 0;
          });
          if (!good) problem(`${when}: srcroute check exits ${last?.code} (polled for 30 s):\n${last?.stdout}${last?.stderr}`);
        };

        const r1 = await routed(240);
        if (!r1) {
          const evidence = [await g('ip -N rule; ip -6 -N rule; ip addr show; ip route show table all | grep -v "^local\\|^broadcast\\|^multicast"'), await g('journalctl -b --no-pager | tail -n 60')];
          throw new Error(`no lease routed on ${IFACE} within 240 s (address from ${MODEM.net4}0/24, ip rule from it, default via ${MODEM.v4} in its table):\n${evidence.map((e) => e.stdout + e.stderr).join('\n')}`);
        }
        say(`routed: ${JSON.stringify(r1)}`);
        phase('lease routed');
        /** A routed lease answers from the internet side, routes by its table, its IPv6 too; check is happy. */
        const routedChecks = async (when: string, r: Routed) => {
          if (!(await pingOk(r.lease, 4, 60))) {
            problem(`${when}: no reply from the lease ${r.lease} to ${INTERNET.v4} (the internet side) within 60 s`);
          }
          const dev = await routeGet(r.lease);
          if (dev !== IFACE) problem(`${when}: ip route get ${INTERNET.v4} from ${r.lease}: dev ${String(dev)}`);
          await ipv6(when, r.table);
          await checkDefaults(when);
          await check(when);
        };
        /** After something took the interface down and up: routed again within 240 s, and its checks. */
        const routedAgain = async (when: string) => {
          const r = await routed(240);
          if (!r) {
            const journal = `journalctl -b --no-pager | grep -i -E "srcroute|${IFACE}|dhcp" | tail -n 40`;
            const e = await g(`ip -N rule; ip addr show ${IFACE}; ${journal}`);
            problem(`${when}: no lease routed on ${IFACE} within 240 s:\n${e.stdout}${e.stderr}`);
            await checkDefaults(when);
            return undefined;
          }
          say(`routed ${when}: ${JSON.stringify(r)}`);
          await routedChecks(when, r);
          return r;
        };
        /** The other macvlans on the modem's link (vlan: a second on VLAN 100): each leased, routed, answering. */
        const moreRouted = async (when: string) => {
          for (const iface of MORE) {
            const r = await routed(120, iface);
            if (!r) problem(`${when}: no lease routed on ${iface}, the second macvlan on ${modemLink}, within 120 s`);
            else if (!(await pingOk(r.lease, 4, 60))) problem(`${when}: no reply from ${iface}'s lease ${r.lease}`);
            else if ((await routeGet(r.lease)) !== iface) problem(`${when}: ${iface}'s lease ${r.lease} is not routed by ${iface}`);
            else say(`${when}: ${iface} routed too: ${JSON.stringify(r)}`);
          }
        };
        // the macvlans' stable MACs, read once routed (the same after a reboot: srcroute mac)
        await moreRouted('after install');
        const macOf = async (iface: string) => String(parse(await g(`ip -j link show ${iface}`))[0]?.['address'] ?? '');
        const macvlanMac = await macOf(IFACE);
        const macvlanMacs = [macvlanMac, ...(await Promise.all(MORE.map(macOf)))];
        /** vlan: on VLAN 100 the switch saw the macvlan's MAC (so it records), and no other than the macvlans': never the port's own. */
        const modemMacs = (when: string) => {
          if (!sw) return;
          const seen = sw.seen(VLAN_ID);
          if (!sw.running()) problem(`${when}: switch.py is no longer running`);
          const vlan = `on VLAN ${VLAN_ID}`;
          if (!seen.includes(macvlanMac)) {
            problem(`${when}: no frame from ${IFACE}'s MAC ${macvlanMac} ${vlan} in the switch's record: ${seen}`);
          }
          const others = seen.filter((m) => !macvlanMacs.includes(m));
          const port = others.includes(LAN_PORT_MAC) ? ` (${LAN_PORT_MAC} is ${PARENT}'s own)` : '';
          if (others.length) {
            const first = sw.records(VLAN_ID).filter((l) => others.some((m) => l.includes(m)));
            const stray = `${others.join(' ')}${port}; first frames: ${first.join('; ')}`;
            problem(`${when}: frames ${vlan} from MACs other than the macvlans' (${macvlanMacs.join(' ')}): ${stray}`);
          }
          say(`${when}: MACs on VLAN ${VLAN_ID}: ${seen.join(' ')}`);
        };
        await routedChecks('after install, lease routed', r1);
        modemMacs('after install, lease routed');
        phase('routed checks');

        // 4. negative control: without srcroute's rule no reply; `srcroute sync` puts it back
        await gm(`ip rule del from ${r1.lease} table ${r1.table} pref ${r1.pref}`);
        const without = net.ping(r1.lease, 4);
        if (without.code === 0) problem(`negative control: the lease ${r1.lease} still answers with srcroute's rule deleted:\n${without.stdout}`);
        const sync = await g('srcroute sync', 120);
        if (sync.code !== 0) problem(`srcroute sync exited ${sync.code}: ${sync.stdout}${sync.stderr}`);
        const back = await routed(10);
        if (!back) problem(`srcroute sync did not put back the rule from ${r1.lease}`);
        else if (!(await pingOk(r1.lease, 4, 30))) problem(`after srcroute sync: no reply from ${r1.lease}`);
        await check('after srcroute sync');
        phase('negative control + sync');
        await services?.afterInstall();

        // 5. the stack's own reload, as an admin runs it after an edit of its own
        const reloadCmd = STACK_RELOAD[stack](IFACE);
        const reload = await g(reloadCmd, 300);
        say(`${reloadCmd} exited ${reload.code}: ${reload.stdout}${reload.stderr}`);
        if (reload.code !== 0) problem(`${reloadCmd} exited ${reload.code}:\n${reload.stdout}${reload.stderr}`);
        await routedAgain(`after ${stack}'s reload`);
        phase('stack reload');

        // 6. a real reboot, no command afterwards
        await g('systemctl reboot', 30).catch(() => undefined);
        say('rebooting');
        await booted(boot1);
        phase('reboot');
        const r2 = await routedAgain('after reboot');
        await moreRouted('after reboot');
        modemMacs('after reboot');
        phase('routed after reboot');
        if (services && r2) {
          await services.afterReboot(r2);
          phase('services: after reboot');
        }

        // 7. apt purge: the box as stock
        const purge = await g('DEBIAN_FRONTEND=noninteractive apt purge -y srcroute', 300);
        say(`apt purge exited ${purge.code}:\n${purge.stdout}${purge.stderr}`);
        if (purge.code !== 0) problem(`apt purge srcroute exited ${purge.code}:\n${purge.stdout}${purge.stderr}`);
        const noisy = `${purge.stdout}\n${purge.stderr}`.split('\n').filter((l) => /error|fail|warn|gave up|cannot|can't/i.test(l) && !/does not have a stable CLI interface|running: systemctl reset-failed/.test(l));
        if (noisy.length) problem(`apt purge srcroute printed:\n  ${noisy.join('\n  ')}`);
        phase('apt purge');
        const table = (r2 ?? r1).table;
        for (const fam of ['', '-6 '] as const) {
          const left = parse(await g(`ip ${fam}-N -j rule`)).filter((r) => String(r['protocol']) === '213' || String(r['table']) === table);
          if (left.length) problem(`after purge: ip ${fam}rule still has srcroute's: ${left.map((r) => JSON.stringify(r)).join(' ')}`);
          const routes = await g(`ip ${fam}-N route show table ${table}`);
          if (routes.stdout.trim()) problem(`after purge: ip ${fam}route show table ${table}:\n${routes.stdout}`);
        }
        const files = await g([
          `for f in ${services ? '' : '/etc/srcroute '}/usr/local/lib/srcroute /usr/local/sbin/srcroute /usr/lib/srcroute /usr/sbin/srcroute /run/srcroute /etc/dhcpcd/*exit-hook /etc/dhcp/dhclient-enter-hooks.d/srcroute /etc/dhcp/dhclient-exit-hooks.d/srcroute ${[IFACE, ...MORE].map((i) => `/etc/network/interfaces.d/${i}`).join(' ')}; do`,
          '  [ -e "$f" ] || [ -L "$f" ] || continue; ls -ld "$f"; [ -d "$f" ] && ls -la "$f"',
          'done',
          'grep -l srcroute /etc/dhcpcd.exit-hook /etc/dhcpcd.conf 2>/dev/null | sed "s/^/mentions srcroute: /"',
          `grep -rl srcroute /etc /usr/local /run 2>/dev/null | grep -v -e "^/run/log/" -e "^/run/srbt-agent/" ${services ? KEPT.map((k) => `-e "^${k}$"`).join(' ') : ''} | sed "s/^/mentions srcroute: /"`,
          'true',
        ].join('\n'));
        if (files.stdout.trim()) problem(`after purge, srcroute's files are left:\n${files.stdout}`);
        // the services cells: the admin's hooks.d script stays (services.ts checks it)
        const afterEtc = (await etc()).filter((l) => !(services && keptEtcLine(l)));
        const gone = stockEtc.filter((l) => !afterEtc.includes(l));
        const added = afterEtc.filter((l) => !stockEtc.includes(l));
        if (gone.length || added.length) problem(`after purge, /etc differs from the stock box's:\n${gone.map((l) => `  - ${l}`).join('\n')}\n${added.map((l) => `  + ${l}`).join('\n')}`);
        await checkDefaults('after purge');
        const afterPort = await port();
        if (afterPort !== stockPort) problem(`after purge, the modem's port ${PARENT} is ${afterPort}; stock: ${stockPort}`);
        for (const link of [IFACE, ...MORE, modemLink].filter((l) => l !== PARENT)) {
          if ((await g(`ip link show ${link}`)).code === 0) problem(`after purge, ${link} still exists`);
        }
        const failedAfter = (await g('systemctl --failed --no-legend --plain')).stdout.trim();
        if (failedAfter) problem(`after purge, systemctl --failed lists: ${failedAfter}`);
        modemMacs('after purge');
        const clientsLeft = (await g(`ps -eo pid,args | grep -E "dhcpcd|dhclient" | grep -v grep | grep ${IFACE}`)).stdout.trim();
        if (clientsLeft) problem(`after purge, a DHCP client still runs for ${IFACE}: ${clientsLeft}`);
        const journal = await g('journalctl --no-pager -o short-precise', 120);
        writeFileSync(join(logs, 'journal.log'), journal.stdout);
        const ours = (l: string) => /srcroute|exit-hook/i.test(l) || [IFACE, ...MORE, modemLink].some((n) => l.includes(n));
        const bad = /error|fail|warn|cannot|can't|denied|timed out|gave up/i;
        const errors = journal.stdout.split('\n').filter((l) => ours(l) && bad.test(l));
        if (errors.length) problem(`the journal (both boots) has errors from srcroute or its hooks:\n  ${errors.join('\n  ')}`);
        const tagged = await g('journalctl --no-pager -o short-precise -t srcroute -p warning');
        if (tagged.stdout.split('\n').some((l) => l.trim() && !l.startsWith('--') && !errors.includes(l))) problem(`journalctl -t srcroute -p warning:\n${tagged.stdout}`);
        await services?.afterPurge();
        phase('after-purge checks');
      } catch (e) {
        failed = e;
        problem(`stopped: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        if (vm) {
          if (failed) {
            const j = await vm.run('journalctl --no-pager -o short-precise', 60, { quiet: true, answerMs: 30_000 }).catch(() => undefined);
            if (j) writeFileSync(join(logs, 'journal.log'), j.stdout);
          }
          await vm.stop();
        }
        await sw?.stop();
        net.destroy();
        rmSync(work, { recursive: true, force: true });
        const total = timings.reduce((s, [, t]) => s + t, 0);
        const each = timings.map(([n, t]) => `${n} ${t}`).join(', ');
        console.log(`[${name}] timings (s): ${each}; total ${Math.round(total)}`);
        if (problems.length) console.error(`[${name}] ${problems.length} problem(s); logs kept in ${logs}`);
        else rmSync(logs, { recursive: true, force: true });
      }
      const summary = `${name}: ${problems.length} problem(s), logs in ${logs}:\n${problems.join('\n\n')}`;
      expect(problems, summary).toEqual([]);
    }, 3_600_000);
  }
});
