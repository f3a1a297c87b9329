// hooks.d through the BUILT bundle, the way dhcpcd runs it, in a sandbox with a private /run (the
// state dir) and a private /dev whose /dev/log is a listener that keeps what logger sends: a
// script in a temp hooks.d records its environment and descriptors, and must see each change
// once (a renumbering through NAK as one call with old and new; a RENEW, a NAK and an end with
// nothing routed as none), with nothing of the DHCP client's. A hostile hooks.d (a world-writable
// directory or script, a symlink out, a bad name, a script that hangs) runs nothing it should
// not, and the event returns 0 without waiting for any script.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDir, hookEnv, requireBundle } from '../support/bundle.js';
import { loadSession } from '../support/fixtures.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { Sandbox } from '../support/sandbox.js';
import { tempDir } from '../support/tmp.js';

const EXAMPLE = join(__dirname, '..', '..', 'docs', 'examples', '50-nsupdate');

const ok = prerequisites('hooks.d', ['root', 'ip', 'unshare', 'nsenter', 'logger', 'bash']);
const SYSLOG = '/run/syslog.txt';

/** A private /dev (null, zero, urandom and a log socket) and a listener on it that appends to SYSLOG. */
const FAKE_DEV = [
  'set -e',
  'mkdir -p /run/fakedev',
  'for n in null zero urandom random; do : > /run/fakedev/$n; mount --bind /dev/$n /run/fakedev/$n; done',
  'mount --bind /run/fakedev /dev',
].join('\n');
const LISTENER = [
  "const keep = (d) => require('fs').appendFileSync('" + SYSLOG + "', d.toString().replace(/\\0/g, '\\n') + '\\n');",
  "require('net').createServer((c) => c.on('data', keep)).listen('/dev/log');",
].join('\n');

/** The recording script: one `call` line, then its environment and its descriptors, appended to OUT. */
const recorder = (out: string): string =>
  [
    '#!/bin/sh',
    '{ echo "call $SRCROUTE_REASON $SRCROUTE_FAMILY old=$SRCROUTE_OLD_ADDRESS new=$SRCROUTE_NEW_ADDRESS" \\',
    '    "gw=$SRCROUTE_OLD_GATEWAY>$SRCROUTE_GATEWAY table=$SRCROUTE_TABLE"',
    "  env | sort | sed 's/^/env /'",
    "  ls -l /proc/$$/fd | sed 's/^/fd /'; } >> " + out,
    '',
  ].join('\n');

async function until<T>(what: string, probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = probe();
    if (got !== undefined && got !== false) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!ok)('hooks.d through the bundle', () => {
  let ns: Netns;
  let sb: Sandbox;
  const readLog = (): string => sb.run(['sh', '-c', `cat ${SYSLOG} 2>/dev/null`]).stdout;

  beforeAll(async () => {
    requireBundle();
    ns = boxWithMacvlans(['eth0v0']);
    // /usr/local overlaid: the example's test puts a fake nsupdate on the scripts' fixed PATH
    sb = Sandbox.start({ netns: ns.name, overlays: ['/usr/local'], tmpfs: ['/run'] });
    const r = sb.run(['sh', '-c', FAKE_DEV]);
    expect(r.code, r.stderr).toBe(0);
    sb.spawn([process.execPath, '-e', LISTENER]);
    await until('the fake /dev/log', () => sb.run(['test', '-S', '/dev/log']).code === 0);
  });

  afterAll(async () => {
    await sb?.stop();
    ns?.destroy();
  });

  /** A config dir with a hooks.d (0755) holding the recorder; each its own state dir in the private /run. */
  function setup(): { cfg: string; hooks: string; out: string } {
    const cfg = configDir({ 'srcroute.env': 'TABLE=123\nPRIORITY=1000\n' });
    const hooks = join(cfg, 'hooks.d');
    mkdirSync(hooks, { mode: 0o755 });
    const out = join(cfg, 'calls');
    writeFileSync(join(hooks, '50-record'), recorder(out), { mode: 0o755 });
    return { cfg, hooks, out };
  }

  /**
   * What dhcpcd does to the address, then the event through the bundle with fds 7 and 200 left
   * open, not close-on-exec (Node marks its inherited fds up to the first gap after 15 close-on-exec
   * itself, uv_disable_stdio_inheritance; one further up reached the hook's children).
   */
  function event(cfg: string, env: Record<string, string>) {
    ns.ip('-4', 'addr', 'flush', 'dev', 'eth0v0');
    const up = env.new_ip_address !== undefined && !/^(NAK|EXPIRE|STOP|STOPPED|RELEASE)$/.test(env.reason ?? '');
    if (up) ns.ip('addr', 'add', `${env.new_ip_address}/24`, 'dev', 'eth0v0');
    const state = { SRCROUTE_STATE_DIR: `/run/${cfg.split('/').pop()}` };
    const argv = [...hookEnv(env, cfg, state), process.execPath, requireBundle()];
    const r = sb.run(['bash', '-c', 'exec 7</etc/hostname 200</etc/hostname; exec "$@"', 'bash', ...argv]);
    expect(r.code, `${env.reason}: ${r.stderr}`).toBe(0);
    return r;
  }

  const callsIn = (out: string): string[] =>
    existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('call ')) : [];
  const waitCalls = (out: string, n: number, ms?: number): Promise<string[]> =>
    until(`${n} calls`, () => (callsIn(out).length >= n ? callsIn(out) : undefined), ms);

  it('sees each change once: RENEW, NAK call nothing; the renumbering after the NAK is one call', async () => {
    const { cfg, out } = setup();
    const recorded = new Map(loadSession('dhcpcd-renumber-reboot-nak').map((e) => [e.name, e.env]));
    const at = (name: string, extra: Record<string, string> = {}) => ({ ...recorded.get(name)!, ...extra });
    const A = '100.64.0.76';
    const B = '100.64.0.128';
    const GW = '100.64.0.1';
    const steps: [Record<string, string>, string | null][] = [
      [at('02-BOUND'), `call BOUND 4 old= new=${A} gw=>${GW} table=123`],
      [at('02-BOUND', { reason: 'RENEW' }), null],
      [at('06-NAK'), null],
      [at('07-BOUND'), `call BOUND 4 old=${A} new=${B} gw=${GW}>${GW} table=123`],
      [at('07-BOUND', { reason: 'RENEW' }), null],
      [at('08-STOP'), `call STOP 4 old=${B} new= gw=${GW}> table=123`],
      [at('09-STOPPED'), null],
      // the positive signal that nothing above was called late: this comes next, and nothing between
      [at('02-BOUND'), `call BOUND 4 old= new=${A} gw=>${GW} table=123`],
    ];
    const expected: string[] = [];
    for (const [env, call] of steps) {
      event(cfg, env);
      if (call !== null) expected.push(call);
      if (call !== null) expect(await waitCalls(out, expected.length), env.reason).toEqual(expected);
    }
    expect(callsIn(out)).toEqual(expected);
    const text = readFileSync(out, 'utf8');
    const names = new Set(text.split('\n').filter((l) => l.startsWith('env ')).map((l) => l.slice(4).split('=')[0]));
    const told = ['FAMILY', 'GATEWAY', 'IFACE', 'NEW_ADDRESS', 'OLD_ADDRESS', 'OLD_GATEWAY', 'REASON', 'TABLE'];
    expect([...names].sort()).toEqual(['PATH', 'PWD', ...told.map((n) => `SRCROUTE_${n}`)]);
    expect(text).toContain('env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
    const fds = text.split('\n').filter((l) => l.startsWith('fd '));
    expect(fds.length).toBeGreaterThan(0);
    expect(fds.filter((l) => /hostname|mnt:|net:/.test(l)), 'descriptors of the DHCP client or the hook').toEqual([]);
    const exits = (text: string): number => text.match(/50-record exited with status 0/g)?.length ?? 0;
    const log = await until('four exits logged', () => (exits(readLog()) === 4 ? readLog() : undefined));
    expect(log).toContain('srcroute[eth0v0] BOUND hooks.d: 50-record exited with status 0');
    expect(log).toContain('srcroute[eth0v0] STOP hooks.d: 50-record exited with status 0');
  });

  it('a world-writable hooks.d runs nothing, and says so in the event\'s own log', async () => {
    const { cfg, hooks, out } = setup();
    chmodSync(hooks, 0o777);
    const env = loadSession('dhcpcd-renumber-reboot-nak').find((e) => e.name === '02-BOUND')!.env;
    const r = event(cfg, env);
    const refusal = `srcroute[eth0v0] BOUND: ${hooks} refused: writable by everyone; none of its scripts run`;
    expect(r.stderr).toContain(refusal);
    chmodSync(hooks, 0o755);
    event(cfg, loadSession('dhcpcd-renumber-reboot-nak').find((e) => e.name === '07-BOUND')!.env);
    const renumbered = 'call BOUND 4 old=100.64.0.76 new=100.64.0.128 gw=100.64.0.1>100.64.0.1 table=123';
    expect(await waitCalls(out, 1)).toEqual([renumbered]);
  });

  it('refuses a writable script, a symlink out, a bad name; kills a hanging one; the event does not wait', async () => {
    const { cfg, hooks, out } = setup();
    const outside = tempDir('srcroute-outside');
    const ran = (name: string): string => `#!/bin/sh\necho ran > ${join(outside, name)}\n`;
    writeFileSync(join(hooks, '10-open'), ran('10-open'), { mode: 0o755 });
    chmodSync(join(hooks, '10-open'), 0o777);
    writeFileSync(join(outside, 'elsewhere'), ran('20-link'), { mode: 0o755 });
    symlinkSync(join(outside, 'elsewhere'), join(hooks, '20-link'));
    writeFileSync(join(hooks, '30-bad.name'), ran('30-bad.name'), { mode: 0o755 });
    writeFileSync(join(hooks, 'README'), 'not a script\n', { mode: 0o644 });
    const hang = `#!/bin/sh\necho started > ${join(outside, 'hang')}\nexec sleep 600\n`;
    writeFileSync(join(hooks, '40-hang'), hang, { mode: 0o755 });
    const env = loadSession('dhcpcd-renumber-reboot-nak').find((e) => e.name === '02-BOUND')!.env;
    event(cfg, env);
    // the event is back while the hanging script is still running: the kill, 30 s on, is not logged yet
    await until('the hanging script', () => existsSync(join(outside, 'hang')));
    expect(readLog()).not.toContain('40-hang killed');
    const calls = await waitCalls(out, 1, 60_000);
    expect(calls).toEqual(['call BOUND 4 old= new=100.64.0.76 gw=>100.64.0.1 table=123']);
    const log = readLog();
    expect(log).toContain(`${hooks}/10-open refused: writable by everyone`);
    expect(log).toContain(`${hooks}/20-link refused: a symlink (copy the script in instead)`);
    expect(log).toContain(`${hooks}/30-bad.name refused: its name is not run-parts'`);
    expect(log).toContain('srcroute[eth0v0] BOUND hooks.d: 40-hang killed after 30 s');
    expect(log).not.toContain('README');
    for (const name of ['10-open', '20-link', '30-bad.name']) expect(existsSync(join(outside, name)), name).toBe(false);
  }, 90_000);

  it("docs/examples/50-nsupdate, as installed, sends one update per change with the new address", async () => {
    const { cfg, hooks } = setup();
    const sent = join(cfg, 'nsupdate.log');
    const fake = `#!/bin/sh\n{ echo "nsupdate $*"; cat; } >> ${sent}\n`;
    const bin = '/usr/local/bin';
    const r = sb.run(['sh', '-c', `mkdir -p ${bin} && printf '%s' '${fake}' > ${bin}/nsupdate && chmod 755 ${bin}/*`]);
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(join(hooks, '50-nsupdate'), readFileSync(EXAMPLE), { mode: 0o755 });
    const recorded = new Map(loadSession('dhcpcd-renumber-reboot-nak').map((e) => [e.name, e.env]));
    const update = (address: string): string =>
      'nsupdate -k /etc/srcroute/home-ddns.key -t 20\nserver ns1.example.org\nupdate delete home.example.org. A\n' +
      `update add home.example.org. 300 A ${address}\nsend\n`;
    const updates = (): string => (existsSync(sent) ? readFileSync(sent, 'utf8') : '');
    event(cfg, recorded.get('02-BOUND')!);
    await until('the first update', () => updates() === update('100.64.0.76'));
    event(cfg, recorded.get('06-NAK')!);
    event(cfg, recorded.get('07-BOUND')!);
    // the script logs its line after nsupdate has exited: by then the fake wrote all it was sent
    const line = 'home.example.org. A now 100.64.0.128 (was 100.64.0.76)';
    await until('its line in syslog', () => readLog().includes(line));
    expect(updates()).toBe(update('100.64.0.76') + update('100.64.0.128'));
  });

  it('IPv6: each change of the routed global addresses once, with the router; repeated RAs, RENEW6: none', async () => {
    const { cfg, out } = setup();
    ns.ip('-4', 'addr', 'flush', 'dev', 'eth0v0'); // no IPv4 address of the tests before: STOPPED ends IPv4 too
    const S = '2001:db8:1:0:ca2f:5044:cd1d:dbaa';
    const D = '2001:db8:1::101';
    const first = `call ROUTERADVERT 6 old= new=${S} ${D} gw=>fe80::1 table=123`;
    const steps: [string, string | null][] = [
      ['02-ROUTERADVERT', first],
      ['03-BOUND6', null],
      ['04-RENEW6', null],
      ['05-ROUTERADVERT', null],
      ['06-RELEASE6', `call RELEASE6 6 old=${S} ${D} new=${S} gw=fe80::1>fe80::1 table=123`],
      // no router left (an RA set without nd*): nothing routed, told at once
      ['07-ROUTERADVERT', `call ROUTERADVERT 6 old=${S} new= gw=fe80::1> table=123`],
      ['08-STOPPED', null],
      // the positive signal that nothing above was called late: this comes next, and nothing between
      ['02-ROUTERADVERT', first],
    ];
    const recorded = new Map(loadSession('dhcpcd6-bind-renew-release').map((e) => [e.name, e]));
    const calls: string[] = [];
    for (const [name, call] of steps) {
      const { env, state } = recorded.get(name)!;
      // the interface's global IPv6 addresses as recorded with the event (what dhcpcd and the kernel had done)
      ns.ip('-6', 'addr', 'flush', 'dev', 'eth0v0', 'scope', 'global');
      type Link = { ifname: string; addr_info: { local: string; scope: string }[] };
      const links = ((state ?? {}) as { addr6?: Link[] }).addr6 ?? [];
      const held = links.filter((l) => l.ifname === 'eth0v0').flatMap((l) => l.addr_info);
      const global = held.filter((a) => a.scope === 'global');
      for (const a of global) ns.ip('-6', 'addr', 'add', `${a.local}/64`, 'dev', 'eth0v0', 'nodad', 'noprefixroute');
      const state6 = { SRCROUTE_STATE_DIR: `/run/${cfg.split('/').pop()}` };
      const r = sb.run([...hookEnv(env, cfg, state6), process.execPath, requireBundle()]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      if (call === null) continue;
      calls.push(call);
      expect(await waitCalls(out, calls.length), name).toEqual(calls);
    }
    expect(callsIn(out)).toEqual(calls);
  });
});
