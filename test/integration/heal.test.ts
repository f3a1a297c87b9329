// Rules that heal (src/operator/commands/heal.ts), on the built bundle and a real kernel: a lease
// bound on a macvlan, dhcpcd's lease file (recorded from dhcpcd 9.4.1, its lease time made a day
// long) where a manager-mode dhcpcd leaves it, in a sandbox (tmpfs /run, overlay /var/lib), and
// no dhcpcd at all: heal never asks one. Something deletes srcroute's source rule, its local rule,
// its table's routes: one `srcroute heal` run puts each back. Deleted over and over, heal stops,
// says so once, and check names it; the next lease event lets it heal again.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, STD_PATH, configDir, hookEnv, requireBundle, runBundle } from '../support/bundle.js';
import { run } from '../support/run.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { Sandbox } from '../support/sandbox.js';
import { tempDir } from '../support/tmp.js';

const ok = prerequisites('rules that heal', ['root', 'ip', 'nsenter', 'unshare']);
const ADDR = '100.64.0.56'; // the recorded lease's
const BOUND = {
  reason: 'BOUND', interface: 'eth0v0', new_ip_address: ADDR, new_subnet_cidr: '24', new_routers: '100.64.0.1',
};
const BLOCK = ['998 100.64.0.56 to 100.64.0.0/24 123', '999 100.64.0.56 254', '1000 100.64.0.56 123'];
const TABLE = ['100.64.0.0/24 dev eth0v0', 'default via 100.64.0.1 dev eth0v0'];

let ns: Netns;
let box: Sandbox;
let cfg: string;

/** The recorded lease file with its lease time (option 51) a day: heal judges a lease by its file's mtime plus that. */
function dayLongLease(): string {
  const bytes = readFileSync(join(__dirname, '..', 'golden', 'dhcpcd-9.4.1-eth0v0.lease'));
  for (let i = 240; i < bytes.length && bytes[i] !== 255; i += bytes[i] === 0 ? 1 : 2 + bytes[i + 1]!) {
    if (bytes[i] === 51) bytes.writeUInt32BE(86_400, i + 2);
  }
  const file = join(tempDir('srcroute-heal'), 'eth0v0.lease');
  writeFileSync(file, bytes);
  return file;
}

const heal = (...args: string[]): { code: number; stderr: string; stdout: string } =>
  box.run([...hookEnv({}, cfg), process.execPath, BUNDLE, 'heal', ...args], { timeoutMs: 60_000 });
const rules = (): string[] =>
  ns.json<{ priority: number; src: string; dst?: string; dstlen?: number; table: string; protocol?: string }>('-N', 'rule', 'show')
    .filter((r) => r.protocol === '213')
    .map((r) => `${r.priority} ${r.src}${r.dst ? ` to ${r.dst}/${r.dstlen}` : ''} ${r.table}`);
const routes = (): string[] =>
  ns.ip('route', 'show', 'table', '123').split('\n').filter(Boolean).map((l) => l.replace(/ proto \S+| scope link/g, '').trim()).sort();
const recordFile = (): string => join(cfg, 'state', 'heal-eth0v0');
const lines = (text: string): string[] => text.split('\n').filter(Boolean);

describe.skipIf(!ok)('rules that heal', () => {
  beforeAll(() => {
    requireBundle();
    ns = boxWithMacvlans(['eth0v0']);
    ns.ip('addr', 'add', `${ADDR}/24`, 'dev', 'eth0v0');
    box = Sandbox.start({ netns: ns.name });
    const lease = dayLongLease();
    // a manager-mode dhcpcd's control socket (only its name counts) and its lease file
    const files = `mkdir -p /run/dhcpcd /var/lib/dhcpcd && : > /run/dhcpcd/sock && cp '${lease}' /var/lib/dhcpcd/eth0v0.lease`;
    const r = box.run(['sh', '-c', files]);
    expect(r.code, r.stderr).toBe(0);
    cfg = configDir({ 'srcroute.env': 'IPV6=no\n', 'eth0v0.env': 'TABLE=123\n' });
    const bound = runBundle(ns, BOUND, cfg);
    expect(bound.code, bound.stderr).toBe(0);
  });
  afterAll(async () => {
    await box?.stop();
    ns?.destroy();
  });

  it('at rest a run changes nothing, says nothing and writes no record', () => {
    expect(rules().sort()).toEqual([...BLOCK].sort());
    const r = heal();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(recordFile())).toBe(false); // the next test writes it: the check can fail
  });

  it.each([
    ['the source rule', () => ns.ip('rule', 'del', 'from', ADDR, 'lookup', '123', 'priority', '1000'), 'rule', /rule from 100\.64\.0\.56 lookup 123 pref 1000 added$/],
    ['the local rule (as wg-quick down deletes it)', () => ns.ip('rule', 'del', 'table', 'main', 'suppress_prefixlength', '0'), 'local', /lookup main suppress_prefixlength 0 pref 999 added$/],
    ['the table\'s routes', () => ns.ip('route', 'flush', 'table', '123'), 'connected, default', /route default via 100\.64\.0\.1 dev eth0v0 table 123 added$/],
  ])('%s deleted: one run puts it back', (_, del, parts, said) => {
    del();
    expect(rules().length + routes().length).toBeLessThan(BLOCK.length + TABLE.length);
    const r = heal();
    expect(r.code, r.stderr).toBe(0);
    expect(rules().sort()).toEqual([...BLOCK].sort());
    expect(routes()).toEqual(TABLE);
    expect(lines(r.stderr)[0]).toMatch(new RegExp(`^srcroute\\[eth0v0\\] heal: ${parts} missing since the last lease event: restoring \\(\\d of 3 within 10 minutes\\)$`));
    expect(lines(r.stderr).some((l) => said.test(l)), r.stderr).toBe(true);
    expect(existsSync(recordFile())).toBe(true);
  });

  it('deleted once more within 10 minutes: it stops, says so once, and check names it', () => {
    const del = (): string => ns.ip('rule', 'del', 'from', ADDR, 'lookup', '123', 'priority', '1000');
    del();
    const first = heal();
    expect(first.code, first.stderr).toBe(0);
    expect(lines(first.stderr)).toEqual([
      "srcroute[eth0v0] heal: 3 restorations within 10 minutes and deleted again: no more until eth0v0's next lease event or srcroute sync eth0v0 (srcroute check says what deletes them)",
    ]);
    expect(rules()).not.toContain(BLOCK[2]);
    const second = heal(); // the same deletion restored the run before the three (the tests above): this one would say
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    expect(rules()).not.toContain(BLOCK[2]);
    const check = box.run([...hookEnv({}, cfg), process.execPath, BUNDLE, 'check', 'eth0v0'], { timeoutMs: 60_000 });
    expect(check.stdout).toContain("eth0v0: something deleted srcroute's rule 3 times within 10 minutes: srcroute heal stopped restoring eth0v0");
    expect(check.code).toBe(1);
  });

  it('the next lease event lets it heal again', () => {
    const renew = runBundle(ns, { ...BOUND, reason: 'RENEW' }, cfg);
    expect(renew.code, renew.stderr).toBe(0);
    expect(existsSync(recordFile())).toBe(false);
    expect(rules().sort()).toEqual([...BLOCK].sort()); // the event itself put it back
    ns.ip('route', 'flush', 'table', '123');
    const r = heal();
    expect(r.code, r.stderr).toBe(0);
    expect(routes()).toEqual(TABLE);
    expect(lines(r.stderr)[0]).toContain('restoring (1 of 3 within 10 minutes)');
  });

  it('an address the interface no longer holds is not healed, whatever the lease file says', () => {
    ns.ip('route', 'flush', 'table', '123');
    ns.ip('addr', 'del', `${ADDR}/24`, 'dev', 'eth0v0');
    const r = heal();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(routes()).toEqual([]);
    ns.ip('addr', 'add', `${ADDR}/24`, 'dev', 'eth0v0'); // the control: held again, healed again
    expect(heal().code).toBe(0);
    expect(routes()).toEqual(TABLE);
  });
});

describe.skipIf(!ok)('rules that heal, IPv6: what the kernel holds, as sync follows it', () => {
  let ns6: Netns;
  let box6: Sandbox; // no lease file of the host's can count
  let cfg6: string;
  const rules6 = (): string[] =>
    ns6.json<{ priority: number; src: string; protocol?: string }>('-6', '-N', 'rule', 'show')
      .filter((r) => r.protocol === '213')
      .map((r) => `${r.priority} ${r.src}`);
  const heal6 = (): { code: number; stderr: string } =>
    box6.run([...hookEnv({}, cfg6), process.execPath, BUNDLE, 'heal'], { timeoutMs: 60_000 });
  beforeAll(() => {
    ns6 = boxWithMacvlans(['eth0v0']);
    ns6.ip('-6', 'addr', 'add', '2001:db8:1::5/64', 'dev', 'eth0v0', 'nodad');
    ns6.ip('-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0v0', 'proto', 'ra'); // an RA's default in main
    box6 = Sandbox.start({ netns: ns6.name });
    cfg6 = configDir({ 'eth0v0.env': 'TABLE=123\n' });
    const r = runBundle(ns6, { reason: 'REBIND6', interface: 'eth0v0' }, cfg6);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await box6?.stop();
    ns6?.destroy();
  });

  it('a deleted IPv6 source rule is back after one run; at rest the next says nothing', () => {
    expect(rules6()).toEqual(['998 2001:db8:1::5', '999 2001:db8:1::5', '1000 2001:db8:1::5']);
    ns6.ip('-6', 'rule', 'del', 'from', '2001:db8:1::5', 'lookup', '123', 'priority', '1000');
    const r = heal6();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('srcroute[eth0v0] heal: rule from 2001:db8:1::5 lookup 123 pref 1000 added');
    expect(rules6()).toEqual(['998 2001:db8:1::5', '999 2001:db8:1::5', '1000 2001:db8:1::5']);
    expect(heal6()).toMatchObject({ code: 0, stderr: '' });
  });
});

const verifiable = prerequisites('the heal units', ['systemd-analyze']);

describe.skipIf(!verifiable)('srcroute-heal.timer and its service, as install writes them', () => {
  /** systemd-analyze verify of both units (the command pointed at install's staged copy), after `edit`. */
  function verify(edit: (service: string, timer: string) => [string, string]): { code: number; stderr: string } {
    const dir = tempDir('srcroute-units');
    const root = join(dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    copyFileSync('/etc/machine-id', join(root, 'etc', 'machine-id'));
    const r = run([process.execPath, requireBundle(), 'install', '--root', root, 'eth0v0'], { env: { PATH: STD_PATH } });
    expect(r.code, r.stderr).toBe(0);
    const units = join(root, 'etc', 'systemd', 'system');
    const staged = readFileSync(join(units, 'srcroute-heal.service'), 'utf8').replace('ExecStart=/usr/local/sbin/', `ExecStart=${root}/usr/local/sbin/`);
    const [service, timer] = edit(staged, readFileSync(join(units, 'srcroute-heal.timer'), 'utf8'));
    writeFileSync(join(dir, 'srcroute-heal.service'), service);
    writeFileSync(join(dir, 'srcroute-heal.timer'), timer);
    return run(['systemd-analyze', 'verify', '--man=no', join(dir, 'srcroute-heal.timer'), join(dir, 'srcroute-heal.service')]);
  }

  it('pass systemd-analyze verify without a word', () => {
    const r = verify((s, t) => [s, t]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.each([
    ['a service whose command is not there fails', (s: string, t: string): [string, string] => [s.replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/srcroute'), t]],
    ['a timer value systemd cannot read is said', (s: string, t: string): [string, string] => [s, t.replace('OnUnitInactiveSec=30s', 'OnUnitInactiveSec=soon')]],
  ])('the controls: %s', (_, edit) => {
    const r = verify(edit);
    expect(r.code !== 0 || r.stderr !== '').toBe(true);
  });
});
