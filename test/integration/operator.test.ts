// The operator commands on the real thing: install.sh into the lab box's sandbox, a
// real dhcpcd (Debian's run-hooks) leasing from dnsmasq, then break the setup one thing at a
// time as an admin would; `srcroute check` must name each problem with its fix, `srcroute sync`
// must repair, and the fixes it prints must work when run. Commands run as installed
// (/usr/local/sbin/srcroute -> the built bundle) inside the sandbox, so the host is never touched.
// Scenarios run in order; each restores what it broke and ends healthy.
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDhcpMessage, parseDumpedLease } from '../../src/hook/lease.js';
import { GATEWAY, Lab, leftoverNamespaces, waitFor } from '../support/lab.js';
import { golden } from '../support/golden.js';
import { prerequisites } from '../support/prereq.js';
import type { RunResult } from '../support/run.js';

const REPO = resolve(__dirname, '../..');
const ok = prerequisites('operator', ['root', 'ip', 'dhcpcd', 'dnsmasq', 'nsenter', 'unshare', 'node']);
const MACHINE_ID = '0123456789abcdef0123456789abcdef';

describe.skipIf(!ok)('operator commands: status, check, sync, mac, macvlan on a real box', () => {
  let lab: Lab;
  let addr0 = '';
  let addr1 = '';

  const srcroute = (...args: string[]): RunResult => lab.sh(['/usr/local/sbin/srcroute', ...args]);
  const bundle = (...args: string[]): RunResult => lab.sh(['node', resolve(REPO, 'dist/srcroute.cjs'), ...args]);
  /** Leased addresses vary within the pool (.50-.59): golden files name them, same width, .xA and .xB. */
  const normal = (text: string): string => text.split(addr0).join('100.64.0.xA').split(addr1).join('100.64.0.xB');
  const sh = (script: string): RunResult => {
    const r = lab.sh(['sh', '-c', script]);
    if (r.code !== 0) throw new Error(`${script}: ${r.stderr}`);
    return r;
  };
  const healthy = () => {
    const r = srcroute('check');
    expect(r.stdout, r.stderr).toMatch(/^srcroute check: no problem found \(eth0v0, eth0v1\)/);
    expect(r.code).toBe(0);
  };
  /** `check` fails and names the finding: its text and fix lines. */
  const finds = (...patterns: RegExp[]): string => {
    const r = srcroute('check');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    for (const p of patterns) expect(r.stdout).toMatch(p);
    return r.stdout;
  };
  /** Run the fix lines check printed (shell commands, comments cut). */
  const runFixes = (text: string, filter: RegExp): void => {
    const lines = text.split('\n').map((l) => /^\s+(?:fix: )?(.*)$/.exec(l)?.[1]?.replace(/\s+#.*$/, '') ?? '').filter((l) => filter.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) sh(line);
  };

  beforeAll(async () => {
    lab = Lab.create();
    const inst = lab.install(REPO, ['--configure-dhcpcd', 'eth0v0', 'eth0v1']);
    if (inst.code !== 0) throw new Error(`install.sh failed (${inst.code}):\n${inst.stdout}\n${inst.stderr}`);
    lab.writeFile('/etc/machine-id', `${MACHINE_ID}\n`, '444');
    lab.recordEvents();
    await lab.startDnsmasq();
    const m = lab.events().length;
    await lab.startDhcpcd();
    await lab.waitEvent('BOUND', 'eth0v0', m);
    await lab.waitEvent('BOUND', 'eth0v1', m);
    addr0 = lab.checkLease('eth0v0', GATEWAY);
    addr1 = lab.checkLease('eth0v1', GATEWAY);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail' || !lab) return;
    console.error(`--- ${ctx.task.name}\nip rule:\n${lab.ipText('rule')}\ncheck:\n${srcroute('check').stdout}\ndhcpcd:\n${lab.dhcpcd?.output.slice(-3000)}`);
  });

  afterAll(async () => {
    await lab?.destroy();
    expect(leftoverNamespaces(), 'namespaces left behind').toEqual([]);
  });

  it('a fresh install is healthy; status shows both leases (golden), --json too', () => {
    healthy();
    const r = srcroute('status');
    expect(r.code, r.stderr).toBe(0);
    expect(normal(r.stdout)).toBe(golden('status-lab.txt', normal(r.stdout)));
    const json = JSON.parse(srcroute('status', '--json').stdout) as { interfaces: { iface: string; ipv4: { rule: string; plan: string[] }; lease: { address: string; source: string } }[] };
    expect(json.interfaces.map((i) => [i.iface, i.ipv4.rule, i.ipv4.plan, i.lease.address])).toEqual([['eth0v0', 'ok', [], addr0], ['eth0v1', 'ok', [], addr1]]);
    // Debian's dhcpcd runs as a manager: its lease file is read, dhcpcd is not asked (see lease-source.ts)
    expect(json.interfaces[0]!.lease.source).toBe('/var/lib/dhcpcd/eth0v0.lease');
    expect(srcroute('status', 'eth0v1').stdout).toMatch(/^eth0v1: table pub1 \(124\), rp_filter loose\n {2}ipv4 {2}100\.64\.0\.\d+\/24 via 100\.64\.0\.1\n/);
    expect(srcroute('status', 'eth0v1').stdout).not.toMatch(/^eth0v0/m);
  });

  it('flush the rule: check names it with "srcroute sync", sync repairs', () => {
    lab.box.ip('rule', 'del', 'from', addr0, 'lookup', lab.tableOf('eth0v0'), 'pref', '1000');
    const text = finds(/eth0v0: no source rule for \S+: replies from it leave/, /fix: srcroute sync eth0v0 {3}# runs: ip rule add from \S+ lookup 123 priority 1000 protocol 213\n/);
    expect(normal(text)).toBe(golden('check-rule-missing.txt', normal(text)));
    expect(srcroute('status', 'eth0v0').stdout).toMatch(/^ {8}rule missing, local ok, default ok, connected ok$/m);
    const s = srcroute('sync', 'eth0v0');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/rule from .* added/);
    lab.checkLease('eth0v0', GATEWAY);
    healthy();
  });

  it('srcroute flush of everything: sync without IFACE repairs every interface; a second sync changes nothing', () => {
    expect(srcroute('flush').code).toBe(0);
    finds(/eth0v0: no source rule/, /eth0v1: no source rule/, /no default route in table/);
    const s = bundle('sync');
    expect(s.code, s.stderr).toBe(0);
    lab.checkLease('eth0v0', GATEWAY);
    lab.checkLease('eth0v1', GATEWAY);
    const again = bundle('sync');
    expect(again.stderr).not.toMatch(/added|removed|replaced/);
    healthy();
  });

  it('delete the table name: check names it with the line to register it', () => {
    const file = '/etc/iproute2/rt_tables.d/srcroute.conf';
    const before = lab.sandbox.read(file);
    sh(`sed -i '/\\tpub$/d' ${file}`);
    const text = finds(/eth0v0: table name "pub" is not registered/, /echo '123 pub' >> \/etc\/iproute2\/rt_tables.d\/srcroute.conf/);
    runFixes(text, /rt_tables/);
    expect(lab.sandbox.read(file)).toMatch(/^123\s+pub$/m);
    healthy();
    lab.writeFile(file, before);
  });

  it('rp_filter=1 on the macvlan: check names it (the kernel uses the larger of all and the interface), its sysctl fix works', () => {
    const sysctl = (key: string, value: number) => lab.box.run(['sysctl', '-q', '-w', `net.ipv4.conf.${key}.rp_filter=${value}`]);
    sysctl('eth0v1', 1);
    healthy(); // all=2 wins: still loose
    sysctl('all', 0);
    const text = finds(/eth0v1: strict reverse-path filtering \(rp_filter: all=0, eth0v1=1/, /fix: sysctl -w net.ipv4.conf.eth0v1.rp_filter=2/);
    expect(text).not.toMatch(/eth0v0: strict/);
    expect(srcroute('status').stdout).toMatch(/^eth0v1: table pub1 \(124\), rp_filter strict$/m);
    runFixes(text, /^sysctl /);
    healthy();
    sysctl('all', 1);
    sysctl('eth0v0', 0);
    runFixes(finds(/eth0v0: strict reverse-path filtering \(rp_filter: all=1, eth0v0=0/, /fix: sysctl -w net.ipv4.conf.all.rp_filter=2/), /^sysctl /);
    healthy();
  });

  it('duplicate priority-less rules (the original hook): check lists each with an exact ip rule del', () => {
    const table = lab.tableOf('eth0v0');
    for (let i = 0; i < 3; i++) lab.box.ip('rule', 'add', 'from', addr0, 'table', table);
    const text = finds(/eth0v0: 3 rule\(s\) for .* that srcroute did not make/, /ip rule del from .* lookup 123 pref \d+\n/);
    // srcroute's own rule is as it should be: the hook's plan leaves them be, check names them
    expect(srcroute('status', 'eth0v0').stdout).toMatch(/^eth0v0: table pub \(123\), .*\n {2}ipv4 .*\n {8}rule ok, local ok, default ok, connected ok\n/);
    runFixes(text, /^ip rule del /);
    expect(lab.rulesFrom(addr0)).toHaveLength(1);
    lab.checkLease('eth0v0', GATEWAY);
    healthy();
  });

  it('dhcpcd.conf without nogateway: check names it, and its fix is the installer\'s own block', () => {
    const before = lab.sandbox.read('/etc/dhcpcd.conf');
    sh(`awk '/^interface eth0v0$/ { f = 1 } /^interface eth0v1$/ { f = 0 } !(f && /nogateway/)' /etc/dhcpcd.conf > /tmp/c && cat /tmp/c > /etc/dhcpcd.conf`);
    const text = finds(
      /eth0v0: \/etc\/dhcpcd.conf lacks "nogateway" for eth0v0/,
      /fix: sudo \.\/install\.sh --configure-dhcpcd eth0v0 {3}# in srcroute's directory \(the unpacked release, or the clone\)\n {8}dhcpcd -n eth0v0 {3}# the running dhcpcd rereads/,
    );
    expect(text).not.toMatch(/eth0v1: \/etc\/dhcpcd.conf lacks/);
    const r = lab.install(REPO, ['--configure-dhcpcd', 'eth0v0']);
    expect(r.code, r.stderr).toBe(0);
    expect(lab.sandbox.read('/etc/dhcpcd.conf')).toBe(before);
    healthy();
  });

  it('the hook with a node that no longer exists, and not executable: check names both', () => {
    const hook = '/etc/dhcpcd/eth0v1.exit-hook';
    const before = lab.sandbox.read(hook);
    sh(`sed -i '1s|.*|#!/opt/gone/bin/node|' ${hook}`);
    finds(/eth0v1: \/etc\/dhcpcd\/eth0v1.exit-hook: its #! names \/opt\/gone\/bin\/node, which does not exist/);
    lab.writeFile(hook, before, '644');
    finds(/eth0v1.exit-hook: not executable/, /fix: chmod 755 \/etc\/dhcpcd\/eth0v1.exit-hook/);
    lab.writeFile(hook, before, '755');
    healthy();
  });

  it('mac: the same MAC twice, another one per interface, 02: first; no machine-id is a clear error', () => {
    const a = srcroute('mac', 'eth0v0').stdout.trim();
    expect(a).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(srcroute('mac', 'eth0v0').stdout.trim()).toBe(a);
    expect(bundle('mac', 'eth0v0').stdout.trim()).toBe(a);
    expect(srcroute('mac', 'eth0v1').stdout.trim()).not.toBe(a);
    sh('mv /etc/machine-id /etc/machine-id.lab');
    const r = srcroute('mac', 'eth0v0');
    sh('mv /etc/machine-id.lab /etc/machine-id');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/etc\/machine-id is missing or empty/);
  });

  it('macvlan (networkd): the definition with the stable MAC, printed; nothing written (install writes it)', () => {
    const r = srcroute('macvlan', 'eth0v0', '--parent', 'eth0', '--stack', 'networkd');
    expect(r.code, r.stderr).toBe(0);
    const mac = srcroute('mac', 'eth0v0').stdout.trim();
    expect(r.stdout).toContain('==> /etc/systemd/network/eth0v0.netdev (mode 644) <==');
    expect(r.stdout).toMatch(new RegExp(`^MACAddress=${mac}$`, 'm'));
    expect(lab.sh(['test', '-e', '/etc/systemd/network/eth0v0.netdev']).code).not.toBe(0);
  });

  it('sync through `dhcpcd -4 -U` (a dhcpcd for one interface): the -U output and the lease file agree', async () => {
    await lab.stopDhcpcd();
    lab.box.ip('link', 'set', 'eth0v0', 'up');
    lab.writeDhcpcdConf({ interfaces: ['eth0v0'] });
    const m = lab.events().length;
    const child = lab.sandbox.spawn(['dhcpcd', '-f', lab.dhcpcdConf, '-B', '-4', 'eth0v0']);
    try {
      await lab.waitEvent(/^(BOUND|REBOOT) eth0v0/, 'eth0v0', m, 30_000);
      await waitFor('dhcpcd socket', () => lab.sh(['test', '-S', '/run/dhcpcd/eth0v0-4.sock']).code === 0);
      // under load the hook may still be at work when the recorder's line is there
      addr0 = await waitFor('the lease and its rule', () => lab.checkLease('eth0v0', GATEWAY), 20_000);
      const dumped = parseDumpedLease(lab.sh(['dhcpcd', '-4', '-U', 'eth0v0']).stdout)!;
      const file = parseDhcpMessage(new Uint8Array(Buffer.from(lab.sh(['base64', '-w0', '/var/lib/dhcpcd/eth0v0.lease']).stdout, 'base64')))!;
      expect(file.vars).toEqual({ ip_address: dumped.ip_address, subnet_mask: dumped.subnet_mask, subnet_cidr: dumped.subnet_cidr, routers: dumped.routers });
      expect(String(file.leaseSeconds)).toBe(dumped.dhcp_lease_time);

      lab.box.ip('rule', 'del', 'from', addr0, 'lookup', lab.tableOf('eth0v0'), 'pref', '1000');
      const s = srcroute('sync', 'eth0v0');
      expect(s.code, s.stderr).toBe(0);
      expect(s.stderr).toMatch(/lease .* from dhcpcd -4 -U eth0v0/);
      await waitFor('the lease and its rule', () => lab.checkLease('eth0v0', GATEWAY), 20_000);
    } finally {
      await lab.sandbox.kill(child);
    }
  });

  it('sync with no dhcpcd running: never starts one, removes what srcroute set up', async () => {
    await waitFor('dhcpcd gone', () => lab.pidsIn('dhcpcd').length === 0, 10_000);
    lab.box.ip('rule', 'add', 'from', '100.64.0.99', 'lookup', lab.tableOf('eth0v0'), 'pref', '1000', 'protocol', '213');
    const s = srcroute('sync', 'eth0v0');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/no current lease: removing what srcroute set up/);
    expect(lab.pidsIn('dhcpcd')).toEqual([]);
    await waitFor('nothing of srcroute left', () => (lab.checkNothing('eth0v0'), true), 10_000);
    const st = srcroute('status', 'eth0v0');
    expect(st.stdout).toMatch(/^ {2}ipv4 {2}no lease\n/m);
  });
});
