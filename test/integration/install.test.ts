// install.sh, the dhcpcd dispatcher and the dhclient shim, on a real /etc that the host never sees:
// every install.sh run here happens inside a Sandbox (overlays over /etc, /usr/local, /var/lib and
// a tmpfs /run, in a network namespace) or under a --root temp dir. The sandbox starts with an
// admin's own /etc/dhcpcd.exit-hook; install, reinstall, dhcpcd-run-hooks with recorded events,
// the dhclient shim sourced as dhclient-script does, and uninstall --purge must leave it, and the
// rest of /etc, exactly as they were.
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, HOOK_BUNDLE, requireBundle, STD_PATH } from '../support/bundle.js';
import { loadSession } from '../support/fixtures.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { run, type RunResult } from '../support/run.js';
import { Sandbox } from '../support/sandbox.js';
import { tempDir } from '../support/tmp.js';

const ok = prerequisites('install.sh', ['root', 'ip', 'unshare', 'nsenter', 'setpriv', 'run-parts', 'dhcpcd', 'systemd-analyze']);

const REPO = join(__dirname, '..', '..');
const INSTALL = join(REPO, 'install.sh');
const RUN_HOOKS = '/usr/lib/dhcpcd/dhcpcd-run-hooks';
const NODE_DIR = dirname(process.execPath);
/** install.sh finds node on PATH and writes that absolute path into what it installs. */
const PATH = `${NODE_DIR}:${STD_PATH}`;
const NODE = `${NODE_DIR}/node`;
const ADMIN_HOOK = '# the admin\'s own exit hook, without a final newline\necho "admin: $reason" >> /run/admin.log';
/** dhcpcd's system hooks that could talk to the init system or set the hostname: not under test. */
const SKIP_HOOKS = 'resolv.conf hostname ntp-common.conf chrony.conf timesyncd.conf openntpd.conf';

const lifecycle = ok ? Object.fromEntries(loadSession('dhcpcd-9.4.1-lifecycle').map((e) => [e.name, e.env])) : {};

/** A recorded dhcpcd event, with `changes` applied, as dhcpcd-run-hooks' environment. */
function event(name: string, changes: Record<string, string> = {}): Record<string, string> {
  const env = lifecycle[name];
  if (!env) throw new Error(`no recorded event ${name}`);
  return { ...env, skip_hooks: SKIP_HOOKS, ...changes };
}


interface KRule { priority: number; src?: string; dst?: string; table: string; protocol?: string }
interface KRoute { dst: string; gateway?: string; dev?: string; protocol?: string }

describe.skipIf(!ok)('install.sh in a sandbox over /etc and /usr/local', () => {
  let ns: Netns | undefined;
  let box: Sandbox | undefined;
  let pristine = '';

  const sb = (): Sandbox => {
    if (!box) throw new Error('sandbox not started');
    return box;
  };
  const sh = (script: string, env: Record<string, string> = {}): RunResult =>
    sb().run(['sh', '-c', script], { env: { PATH, ...env } });
  const must = (script: string): string => {
    const r = sh(script);
    if (r.code !== 0) throw new Error(`${script} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const install = (...args: string[]): RunResult => sb().run(['sh', INSTALL, ...args], { env: { PATH } });
  /**
   * Every path, mode, owner and link target of /etc and of /usr/local's top level, lib and sbin
   * (where install writes: the rest of /usr/local can be large), and every such file's hash.
   */
  const snapshot = (): string => sb().snapshot();
  const stat = (path: string): string => must(`stat -c '%a %U %G %F' '${path}'`).trim();
  const rules = (): KRule[] => JSON.parse(must('ip -j rule show')) as KRule[];
  /** srcroute's rules: each leased address's block (subnet, main's own networks, source). */
  const ownRules = (): KRule[] => rules().filter((r) => r.protocol === 'srcroute');
  /** Of those, each address's source rule (into its table, for every destination). */
  const srcRules = (): KRule[] => ownRules().filter((r) => r.dst === undefined && r.table !== 'main');
  const routes = (table: string): KRoute[] => {
    const r = sh(`ip -j route show table ${table}`);
    return r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as KRoute[]) : [];
  };
  const runHooks = (env: Record<string, string>): RunResult => sb().run([RUN_HOOKS], { env });
  /** A hook that records its calls, for checking what the dispatcher runs and when. */
  const probe = (iface: string): void => {
    must(
      `mkdir -p /etc/dhcpcd && printf '%s\\n' '#!/bin/sh' 'echo "$reason" >> /run/probe-${iface}.log' ` +
        `'echo "probe on ${iface} says hello" >&2' 'exit 3' > /etc/dhcpcd/${iface}.exit-hook && ` +
        `chmod 755 /etc/dhcpcd/${iface}.exit-hook && chown 0:0 /etc/dhcpcd/${iface}.exit-hook && rm -f /run/probe-${iface}.log`,
    );
  };
  const probed = (iface: string): string => sh(`cat /run/probe-${iface}.log 2>/dev/null`).stdout;

  beforeAll(() => {
    requireBundle();
    ns = boxWithMacvlans(['eth0v0', 'eth0v1']);
    box = Sandbox.start({ netns: ns.name });
    // The admin was here first: their own exit hook (mode 600, no final newline) must survive.
    must(`printf '%s' '${ADMIN_HOOK.replace(/'/g, "'\\''")}' > /etc/dhcpcd.exit-hook && chmod 600 /etc/dhcpcd.exit-hook`);
    pristine = snapshot();
  });

  afterAll(async () => {
    await box?.stop();
    ns?.destroy();
  });

  it('refuses to run as a non-root user, in one clear line, except for --dry-run', () => {
    // A copy of what install.sh runs from that the user can read: the clone may sit in a directory
    // only root may enter (Debian 12 makes homes 0700), where `sh install.sh` cannot even open the
    // file (exit 2). A copy, not the script on stdin: --dry-run reads hooks/ and dist/ beside it.
    const copy = tempDir('srcroute-as-user');
    chmodSync(copy, 0o755);
    mkdirSync(join(copy, 'dist'));
    for (const f of ['install.sh', 'hooks', 'dist/srcroute.cjs', 'dist/hook.cjs']) cpSync(join(REPO, f), join(copy, f), { recursive: true });
    const asUser = (...args: string[]): RunResult =>
      sb().run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', join(copy, 'install.sh'), ...args], { env: { PATH } });
    const r = asUser('eth0v0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^install\.sh: must run as root[^\n]*\n$/);
    const dry = asUser('--dry-run', 'eth0v0');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would write /etc/dhcpcd/eth0v0.exit-hook');
    expect(snapshot()).toBe(pristine);
  });

  it('--dry-run lists what it would write and changes nothing', () => {
    const r = install('--dry-run', 'eth0v0', 'eth0v1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('install.sh: would write /etc/dhcpcd/eth0v0.exit-hook');
    expect(r.stdout).toContain('install.sh: would update /etc/dhcpcd.exit-hook');
    expect(r.stdout).toContain('install.sh: would create directory /etc/srcroute');
    expect(snapshot()).toBe(pristine);
  });

  it('installs every file with the right content, mode and owner', () => {
    const r = install('eth0v0', 'eth0v1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('installed srcroute for: eth0v0 eth0v1');
    expect(r.stdout).toMatch(/interface eth0v0\n\s+nogateway\n\s+noipv4ll\n\s+nohook resolv.conf, hostname/);
    expect(r.stdout, "IPv6 stays on for the macvlan (srcroute routes its IPv6 too)").not.toMatch(/noipv6/);

    // each program is a whole bundle behind its #! line and two comment lines: the command all of
    // srcroute, a hook the bundle without the operator commands; hooks run jitless
    const body = readFileSync(BUNDLE, 'utf8').replace(/^#![^\n]*\n/, '');
    const hookBody = readFileSync(HOOK_BUNDLE, 'utf8').replace(/^#![^\n]*\n/, '');
    const program = (first: string) => new RegExp(`^${first.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\n//[^\n]*\n// Written by srcroute install [^\n]*\n`);
    const cmd = sb().read('/usr/local/sbin/srcroute');
    expect(cmd).toMatch(program(`#!${NODE}`));
    expect(cmd.endsWith(body)).toBe(true);
    expect(stat('/usr/local/sbin/srcroute')).toBe('755 root root regular file');
    for (const i of ['eth0v0', 'eth0v1']) {
      const hook = sb().read(`/etc/dhcpcd/${i}.exit-hook`);
      expect(hook).toMatch(program(`#!/usr/bin/env -S ${NODE} --jitless --no-expose-wasm`));
      expect(hook.endsWith(hookBody)).toBe(true);
      expect(stat(`/etc/dhcpcd/${i}.exit-hook`)).toBe('755 root root regular file');
    }
    expect(must('test -e /usr/local/lib/srcroute/srcroute.cjs || echo none')).toBe('none\n');
    expect(must('/usr/local/sbin/srcroute --version')).toMatch(/^srcroute /);

    // The admin's bytes, the newline their file lacked, then the marked block; mode kept.
    const dispatcher = readFileSync(join(REPO, 'hooks', 'dhcpcd.exit-hook'), 'utf8').replace(/^# shellcheck shell=sh\n/, '');
    const merged = sb().read('/etc/dhcpcd.exit-hook');
    expect(merged.startsWith(`${ADMIN_HOOK}\n# >>> srcroute >>>`)).toBe(true);
    expect(merged).toContain(dispatcher);
    expect(merged.endsWith(`${dispatcher}# <<< srcroute <<<\n`)).toBe(true);
    expect(stat('/etc/dhcpcd.exit-hook')).toBe('600 root root regular file');

    const shim = readFileSync(join(REPO, 'hooks', 'dhclient-exit-hook'), 'utf8') + dispatcher;
    expect(sb().read('/etc/dhcp/dhclient-exit-hooks.d/srcroute')).toBe(shim);
    expect(stat('/etc/dhcp/dhclient-exit-hooks.d/srcroute')).toBe('644 root root regular file');

    const tables = sb().read('/etc/iproute2/rt_tables.d/srcroute.conf');
    expect(tables.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['123\tpub', '124\tpub1']);
    const protos = sb().read('/etc/iproute2/rt_protos.d/srcroute.conf');
    expect(protos.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['213\tsrcroute']);
    expect(stat('/etc/iproute2/rt_tables.d/srcroute.conf')).toBe('644 root root regular file');
    expect(stat('/etc/iproute2/rt_protos.d/srcroute.conf')).toBe('644 root root regular file');

    expect(sb().read('/etc/srcroute/srcroute.env')).toBe(run([process.execPath, BUNDLE, 'config', '--defaults']).stdout);
    expect(sb().read('/etc/srcroute/eth0v0.env')).not.toMatch(/^TABLE=/m);
    expect(sb().read('/etc/srcroute/eth0v1.env')).toMatch(/^TABLE=pub1$/m);
    for (const f of ['srcroute.env', 'eth0v0.env', 'eth0v1.env']) expect(stat(`/etc/srcroute/${f}`)).toBe('644 root root regular file');
    expect(stat('/etc/srcroute')).toBe('755 root root directory');

    // dhcpcd.conf is only edited on request; no temp file is left anywhere.
    expect(must('cat /etc/dhcpcd.conf')).not.toContain('srcroute');
    expect(must('find /etc /usr/local -xdev -name ".srcroute.*"')).toBe('');
  });

  it('a second run changes no byte', () => {
    const before = snapshot();
    const r = install('eth0v0', 'eth0v1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('install.sh: already installed: nothing changed');
    expect(snapshot()).toBe(before);
    // Without IFACE it updates the interfaces already installed: still nothing to do.
    expect(install().stdout).toContain('nothing changed');
    expect(snapshot()).toBe(before);
  });

  it('--configure-dhcpcd adds a marked stanza after the admin\'s dhcpcd.conf, once', () => {
    const conf = sb().read('/etc/dhcpcd.conf');
    const r = install('--configure-dhcpcd');
    expect(r.code, r.stderr).toBe(0);
    const after = sb().read('/etc/dhcpcd.conf');
    expect(after.startsWith(conf)).toBe(true);
    expect(after.slice(conf.length)).toMatch(/^# >>> srcroute >>>[^\n]*\n(.*\n)*interface eth0v1\n(.*\n)*# <<< srcroute <<<\n$/);
    const before = snapshot();
    expect(install('--configure-dhcpcd').code).toBe(0);
    expect(install().code).toBe(0);
    expect(snapshot()).toBe(before);
  });

  it('refuses a table number or name taken by something else, and changes nothing', () => {
    for (const taken of ['125 vpn', '200 pub2']) {
      must(`echo '${taken}' > /etc/iproute2/rt_tables.d/vpn.conf`);
      const before = snapshot();
      const r = install('eth0v2');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `install.sh: cannot register rt_tables '125 pub2': /etc/iproute2/rt_tables.d/vpn.conf already has "${taken}"; nothing changed\n`,
      );
      expect(snapshot()).toBe(before);
    }
    must('rm /etc/iproute2/rt_tables.d/vpn.conf');
  });

  it('dhcpcd-run-hooks with a recorded BOUND adds the rule and routes; EXPIRE removes them', () => {
    // What dhcpcd does before each hook: the address is on the interface for BOUND, gone for EXPIRE.
    must('ip addr add 100.64.0.50/24 dev eth0v0');
    const up = runHooks(event('02-BOUND'));
    expect(up.code, up.stderr).toBe(0);
    expect(srcRules()).toEqual([expect.objectContaining({ src: '100.64.0.50', table: 'pub', priority: 1000 })]);
    expect(ownRules().map((r) => `${r.priority} ${r.table}`), 'the whole block').toEqual(['998 pub', '999 main', '1000 pub']);
    expect(routes('pub')).toEqual(
      expect.arrayContaining([expect.objectContaining({ dst: 'default', gateway: '100.64.0.1', dev: 'eth0v0', protocol: 'srcroute' })]),
    );
    expect(must('cat /run/admin.log')).toBe('admin: BOUND\n'); // the admin's hook still runs first

    must('ip addr flush dev eth0v0');
    const down = runHooks(event('04-EXPIRE'));
    expect(down.code, down.stderr).toBe(0);
    expect(ownRules()).toEqual([]);
    expect(routes('pub')).toEqual([]);
  });

  it('run-hooks ends with status 0 for an interface without a hook, or with an unsafe name', () => {
    for (const iface of ['eth0v9', '../../tmp/x', '-x', '.hidden', 'a234567890123456']) {
      const r = runHooks(event('02-BOUND', { interface: iface }));
      expect(r.code, `${iface}: ${r.stderr}`).toBe(0);
    }
    expect(ownRules()).toEqual([]);
  });

  it('the dispatcher skips ignored reasons, runs a safe hook, survives its failure', () => {
    probe('eth0v7');
    for (const reason of ['PREINIT', 'CARRIER', 'PREINIT6', 'INFORM6', 'DELEGATED6', 'TEST', 'IPV4LL']) {
      expect(runHooks(event('00-PREINIT', { interface: 'eth0v7', reason })).code).toBe(0);
    }
    expect(runHooks(event('09-RENEW', { interface: 'eth0v7', reason: 'TIMEOUT', new_ip_address: '' })).code).toBe(0);
    expect(probed('eth0v7')).toBe(''); // Node (here the probe) never started
    const r = runHooks(event('02-BOUND', { interface: 'eth0v7' }));
    expect(r.code).toBe(0); // although the hook exited 3
    expect(probed('eth0v7')).toBe('BOUND\n');
    // No syslog socket in the sandbox: the messages stay on stderr, with the failure noted.
    expect(r.stderr).toContain('probe on eth0v7 says hello');
    expect(r.stderr).toContain('srcroute[eth0v7] BOUND: /etc/dhcpcd/eth0v7.exit-hook failed (status 3)');
    expect(runHooks(event('03-NOCARRIER', { interface: 'eth0v7' })).code).toBe(0);
    expect(probed('eth0v7')).toBe('BOUND\nNOCARRIER\n');
    // IPv6: DHCPv6 events and router advertisements reach the hook too.
    expect(runHooks(event('02-BOUND', { interface: 'eth0v7', reason: 'BOUND6' })).code).toBe(0);
    expect(runHooks(event('02-BOUND', { interface: 'eth0v7', reason: 'ROUTERADVERT' })).code).toBe(0);
    expect(probed('eth0v7')).toBe('BOUND\nNOCARRIER\nBOUND6\nROUTERADVERT\n');
  });

  it('the dispatcher refuses a hook that is writable by others, not root\'s, a link or not executable', () => {
    const unsafe = [
      'chmod 775 /etc/dhcpcd/eth0v7.exit-hook',
      'chmod 757 /etc/dhcpcd/eth0v7.exit-hook',
      'chown 65534 /etc/dhcpcd/eth0v7.exit-hook',
      'chmod 644 /etc/dhcpcd/eth0v7.exit-hook',
      'mv /etc/dhcpcd/eth0v7.exit-hook /etc/dhcpcd/real && ln -s real /etc/dhcpcd/eth0v7.exit-hook',
    ];
    for (const change of unsafe) {
      probe('eth0v7');
      must(`rm -f /etc/dhcpcd/real; ${change}`);
      expect(runHooks(event('02-BOUND', { interface: 'eth0v7' })).code).toBe(0);
      expect(probed('eth0v7'), change).toBe('');
      must('rm -f /etc/dhcpcd/eth0v7.exit-hook /etc/dhcpcd/real');
    }
  });

  it('sends the hook\'s messages to syslog through logger when there is a syslog socket', () => {
    probe('eth0v7');
    // A private /dev holding null and a socket named log, and a logger that writes down what it got.
    const script = [
      'set -e',
      'mkdir -p /run/fakedev /run/fakebin',
      'for n in null zero urandom; do : > /run/fakedev/$n; mount --bind /dev/$n /run/fakedev/$n; done',
      `${process.execPath} -e "require('net').createServer().listen('/run/fakedev/log', () => process.exit(0))"`,
      'printf \'%s\\n\' \'#!/bin/sh\' \'echo "logger $*" >> /run/logger.out; cat >> /run/logger.out\' > /run/fakebin/logger',
      'chmod 755 /run/fakebin/logger',
      'mount --bind /run/fakedev /dev',
      'PATH=/run/fakebin:$PATH',
      `exec ${RUN_HOOKS}`,
    ].join('\n');
    const env = event('02-BOUND', { interface: 'eth0v7' });
    const r = sb().run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('hello');
    expect(must('cat /run/logger.out')).toBe(
      'logger -t srcroute -p daemon.notice\nprobe on eth0v7 says hello\n' +
        'srcroute[eth0v7] BOUND: /etc/dhcpcd/eth0v7.exit-hook failed (status 3)\n',
    );
    must('rm -f /etc/dhcpcd/eth0v7.exit-hook /run/logger.out');
  });

  it('the dhclient shim, sourced as dhclient-script does, ends with status 0 and runs srcroute', () => {
    // dhclient-script's own run_hook/run_hookdir (Debian 12), restricted to srcroute's shim.
    const dhclientScript = [
      'run_hook() { script="$1"; exit_status=0; if [ -f $script ]; then . $script; exit_status=$?; fi; return $exit_status; }',
      'for script in $(run-parts --list /etc/dhcp/dhclient-exit-hooks.d); do',
      '  case $script in */srcroute) run_hook $script; echo "status $?";; esac',
      'done',
      'echo "leaked: $(set | grep -c "^srcroute_")$(command -v srcroute_dispatch srcroute_run)"',
    ].join('\n');
    const dhclient = (vars: Record<string, string>): RunResult =>
      sb().run(['sh', '-c', dhclientScript], { env: { PATH: '/usr/sbin:/sbin:/bin:/usr/sbin:/usr/bin', ...vars } });

    probe('eth0v7');
    const failing = dhclient({ reason: 'BOUND', interface: 'eth0v7', new_ip_address: '100.64.0.77' });
    expect(failing.stdout).toBe('status 0\nleaked: 0\n');
    expect(probed('eth0v7')).toBe('BOUND\n');
    expect(dhclient({ reason: 'PREINIT', interface: 'eth0v7' }).stdout).toBe('status 0\nleaked: 0\n');
    expect(dhclient({ reason: 'BOUND', interface: 'eth0v9' }).stdout).toBe('status 0\nleaked: 0\n');
    expect(probed('eth0v7')).toBe('BOUND\n');
    must('rm -f /etc/dhcpcd/eth0v7.exit-hook');

    // The real hook on the second interface: its own table (pub1 = 124), dhclient's variable names.
    const lease = { interface: 'eth0v1', ip_address: '100.64.0.60', subnet_mask: '255.255.255.0', routers: '100.64.0.1' };
    const vars = (prefix: string): Record<string, string> =>
      Object.fromEntries(Object.entries(lease).map(([k, v]) => [k === 'interface' ? k : `${prefix}_${k}`, v]));
    must('ip addr add 100.64.0.60/24 dev eth0v1');
    const bound = dhclient({ reason: 'BOUND', ...vars('new') });
    expect(bound.stdout, bound.stderr).toBe('status 0\nleaked: 0\n');
    expect(srcRules()).toEqual([expect.objectContaining({ src: '100.64.0.60', table: 'pub1', priority: 1000 })]);
    expect(routes('pub1')).toEqual(expect.arrayContaining([expect.objectContaining({ dst: 'default', gateway: '100.64.0.1' })]));
    must('ip addr flush dev eth0v1');
    expect(dhclient({ reason: 'EXPIRE', ...vars('old') }).stdout).toBe('status 0\nleaked: 0\n');
    expect(ownRules()).toEqual([]);
  });

  it('under Debian\'s real dhclient-script, the enter hook keeps the lease out of main, resolv.conf and the hostname', () => {
    // dhclient-script itself (its address, route, resolv.conf and hostname code, every enter and
    // exit hook installed here, rfc3442-classless-routes included) for a BOUND on eth0v1, which
    // has srcroute's hook, and on eth0v0, which has not (its hook is removed for the test).
    const resolv = sb().read('/etc/resolv.conf');
    const lease = { new_subnet_mask: '255.255.255.0', new_routers: '100.64.0.1', new_rfc3442_classless_static_routes: '0 100 64 0 1',
      new_domain_name_servers: '100.64.0.53', new_host_name: 'isp-assigned', reason: 'BOUND' };
    // in a UTS namespace of its own, named `localhost`: a name dhclient-script replaces
    const script = (vars: Record<string, string>): RunResult =>
      sb().run(['unshare', '--uts', 'sh', '-c', 'hostname localhost && /sbin/dhclient-script && hostname'], {
        env: { PATH: '/usr/sbin:/sbin:/bin:/usr/sbin:/usr/bin', ...lease, ...vars },
      });
    const bound = script({ interface: 'eth0v1', new_ip_address: '100.64.0.61' });
    expect(bound.code, bound.stderr).toBe(0);
    expect(routes('main').filter((r) => r.dst === 'default'), 'no default route in main').toEqual([]);
    expect(routes('pub1')).toEqual(expect.arrayContaining([expect.objectContaining({ dst: 'default', gateway: '100.64.0.1', dev: 'eth0v1' })]));
    expect(srcRules()).toEqual([expect.objectContaining({ src: '100.64.0.61', table: 'pub1' })]);
    expect(sb().read('/etc/resolv.conf')).toBe(resolv);
    expect(bound.stdout).toBe('localhost\n');
    // Not srcroute's interface: dhclient-script does what it always does (the control).
    must('mv /etc/dhcpcd/eth0v0.exit-hook /run/held-hook');
    const other = script({ interface: 'eth0v0', new_ip_address: '100.64.0.62' });
    expect(other.code, other.stderr).toBe(0);
    expect(routes('main').filter((r) => r.dst === 'default')).toEqual([expect.objectContaining({ gateway: '100.64.0.1', dev: 'eth0v0' })]);
    expect(sb().read('/etc/resolv.conf')).toContain('100.64.0.53');
    expect(other.stdout).toBe('isp-assigned\n');
    must('ip addr flush dev eth0v0 && ip addr flush dev eth0v1 && mv /run/held-hook /etc/dhcpcd/eth0v0.exit-hook');
    must(`printf '%s' '${resolv.replace(/'/g, "'\\''")}' > /etc/resolv.conf`);
    expect(script({ interface: 'eth0v1', reason: 'EXPIRE', old_ip_address: '100.64.0.61', new_host_name: '' }).code).toBe(0);
    expect(ownRules()).toEqual([]);
  });

  it('uninstall --purge removes srcroute\'s rules and routes and gives back the same /etc and /usr/local', () => {
    must('ip addr add 100.64.0.50/24 dev eth0v0');
    expect(runHooks(event('02-BOUND')).code).toBe(0);
    expect(srcRules()).toHaveLength(1);
    must('ip rule add from 192.0.2.1 lookup 123 priority 500'); // somebody else's rule stays

    const dry = snapshot();
    const preview = install('--uninstall', '--purge', '--dry-run');
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain('install.sh: would remove /etc/dhcpcd/eth0v0.exit-hook');
    expect(snapshot()).toBe(dry);
    expect(srcRules()).toHaveLength(1);

    const r = install('--uninstall', '--purge');
    expect(r.code, r.stderr).toBe(0);
    expect(ownRules()).toEqual([]);
    expect(routes('123')).toEqual([]);
    expect(rules()).toEqual(expect.arrayContaining([expect.objectContaining({ src: '192.0.2.1', priority: 500 })]));
    expect(snapshot()).toBe(pristine);
    // Nothing to remove a second time.
    expect(install('--uninstall', '--purge').code).toBe(0);
    expect(snapshot()).toBe(pristine);
  });
});

describe.skipIf(!ok)('install.sh --root DIR (staging)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const stage = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'srcroute-root-'));
    dirs.push(d);
    return d;
  };
  const tree = (root: string): string =>
    run(['sh', '-c', `cd '${root}' && find . -printf '%p %m %u %y\\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort`]).stdout;
  const install = (root: string, ...args: string[]): RunResult => run(['sh', INSTALL, '--root', root, ...args], { env: { PATH } });

  it('updates an install of the shared-bundle layout (hooks that require /usr/local/lib/srcroute/srcroute.cjs): the bundle goes, uninstall empties DIR', () => {
    const root = stage();
    // the install.sh before the hooks carried the bundle, run from a copy of the repo's layout
    const old = stage();
    writeFileSync(join(old, 'install.sh'), run(['git', '-C', REPO, 'show', '140e96a:install.sh']).stdout);
    for (const d of ['node_modules', 'hooks']) run(['ln', '-s', join(REPO, d), join(old, d)]);
    run(['cp', '-rp', join(REPO, 'src'), join(old, 'src')]);
    mkdirSync(join(old, 'dist'));
    writeFileSync(join(old, 'dist/srcroute.cjs'), readFileSync(BUNDLE)); // newer than src/: no build
    const first = run(['sh', join(old, 'install.sh'), '--root', root, 'eth0v0'], { env: { PATH } });
    expect(first.code, first.stderr).toBe(0);
    expect(readFileSync(join(root, 'etc/dhcpcd/eth0v0.exit-hook'), 'utf8')).toContain('require("/usr/local/lib/srcroute/srcroute.cjs")');
    const r = install(root, 'eth0v0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`removed ${root}/usr/local/lib/srcroute/srcroute.cjs`); // --root: named where it is
    expect(readFileSync(join(root, 'etc/dhcpcd/eth0v0.exit-hook'), 'utf8')).not.toContain('require("/usr/local/lib/srcroute/srcroute.cjs")');
    expect(install(root, '--uninstall', '--purge').code).toBe(0);
    expect(tree(root)).toBe('. 700 root d\n');
  });

  it('with Debian\'s dhcpcd.service: a marked drop-in lets its hooks write /run/srcroute (and only that), tmpfiles.d makes it at boot; uninstall takes both back', () => {
    const root = stage();
    mkdirSync(join(root, 'lib/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'lib/systemd/system/dhcpcd.service'), readFileSync(join(REPO, 'test/units/debian-12/dhcpcd.service')));
    const before = tree(root);
    const r = install(root, 'eth0v0');
    expect(r.code, r.stderr).toBe(0);
    const dropIn = readFileSync(join(root, 'etc/systemd/system/dhcpcd.service.d/srcroute.conf'), 'utf8');
    expect(dropIn.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['[Service]', 'ReadWritePaths=-/run/srcroute']);
    const tmpfiles = readFileSync(join(root, 'etc/tmpfiles.d/srcroute.conf'), 'utf8');
    expect(tmpfiles.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['d /run/srcroute 0700 root root -']);
    // systemd 252 reads the unit with the drop-in beside it (it warns about any key it does not know)
    const check = stage();
    mkdirSync(join(check, 'dhcpcd.service.d'));
    writeFileSync(join(check, 'dhcpcd.service'), readFileSync(join(root, 'lib/systemd/system/dhcpcd.service')));
    writeFileSync(join(check, 'dhcpcd.service.d/srcroute.conf'), dropIn);
    const verify = run(['systemd-analyze', 'verify', join(check, 'dhcpcd.service')]);
    expect(verify.stderr + verify.stdout).toBe('');
    expect(install(root, '--uninstall', '--purge').code).toBe(0);
    expect(tree(root)).toBe(before);
  });

  it('refuses a node under /home when dhcpcd.service hides /home from its hooks (ProtectHome=yes), unless a drop-in lets it see', () => {
    const root = stage();
    mkdirSync(join(root, 'lib/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'lib/systemd/system/dhcpcd.service'), readFileSync(join(REPO, 'test/units/debian-12/dhcpcd.service')));
    // an nvm-like node under /home, in a private mount namespace (the host's /home is not touched)
    const inHome = (...args: string[]) => run(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
      `mount -t tmpfs tmpfs /home && mkdir -p /home/u/bin && ln -s '${NODE}' /home/u/bin/node && exec sh '${INSTALL}' --root '${root}' --node /home/u/bin/node "$@"`,
      'sh', ...args], { env: { PATH } });
    const r = inHome('eth0v0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^install\.sh: \/home\/u\/bin\/node \(.*\) is under \/home, which dhcpcd\.service hides from its hooks \(ProtectHome=yes\): give a node outside it, e\.g\. --node \/usr\/bin\/node/);
    expect(tree(root)).not.toContain('./etc');
    mkdirSync(join(root, 'etc/systemd/system/dhcpcd.service.d'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system/dhcpcd.service.d/home.conf'), '[Service]\nProtectHome=no\n');
    const allowed = inHome('eth0v0');
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it('stages every file under DIR, idempotently, and uninstall empties DIR again', () => {
    const root = stage();
    const r = install(root, 'eth0v0');
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['usr/local/sbin/srcroute', 'etc/dhcpcd/eth0v0.exit-hook', 'etc/dhcpcd.exit-hook',
      'etc/dhcp/dhclient-exit-hooks.d/srcroute', 'etc/dhcp/dhclient-enter-hooks.d/srcroute', 'etc/iproute2/rt_tables.d/srcroute.conf', 'etc/iproute2/rt_protos.d/srcroute.conf',
      'etc/srcroute/srcroute.env', 'etc/srcroute/eth0v0.env']) {
      expect(() => readFileSync(join(root, f)), f).not.toThrow();
    }
    // Paths inside the files are the final ones, not DIR's.
    expect(readFileSync(join(root, 'etc/dhcpcd/eth0v0.exit-hook'), 'utf8').split('\n', 1)[0]).toBe(`#!/usr/bin/env -S ${NODE} --jitless --no-expose-wasm`);
    const once = tree(root);
    expect(install(root, 'eth0v0').code).toBe(0);
    expect(tree(root)).toBe(once);
    const u = install(root, '--uninstall', '--purge');
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toContain('srcroute flush skipped');
    expect(tree(root)).toBe('. 700 root d\n');
  });

  it('puts back a hook of the original setup that it replaced', () => {
    const root = stage();
    mkdirSync(join(root, 'etc/dhcpcd'), { recursive: true });
    const old = '#!/bin/sh\nip rule add from $new_ip_address table pub\nip route add default via $new_router table pub\n';
    writeFileSync(join(root, 'etc/dhcpcd/eth0v0.exit-hook'), old, { mode: 0o755 });
    const before = tree(root);
    expect(install(root, 'eth0v0').code).toBe(0);
    expect(readFileSync(join(root, 'etc/dhcpcd/eth0v0.exit-hook'), 'utf8')).toContain('srcroute');
    expect(install(root, '--uninstall', '--purge').code).toBe(0);
    expect(tree(root)).toBe(before);
  });

  it('refuses table pub when rt_tables gives it another number, before writing anything', () => {
    const root = stage();
    mkdirSync(join(root, 'etc/iproute2'), { recursive: true });
    writeFileSync(join(root, 'etc/iproute2/rt_tables'), '255\tlocal\n254\tmain\n100 pub\n');
    const before = tree(root);
    const r = install(root, 'eth0v0');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`install.sh: cannot register rt_tables '123 pub': /etc/iproute2/rt_tables already has "100 pub"; nothing changed\n`);
    expect(tree(root)).toBe(before);
    // The original setup's own `123 pub` line is the same table, not a conflict.
    writeFileSync(join(root, 'etc/iproute2/rt_tables'), '255\tlocal\n254\tmain\n123 pub\n');
    expect(install(root, 'eth0v0').code).toBe(0);
  });

  it("answers --help with srcroute install's options and refuses bad arguments in one line, writing nothing", () => {
    const help = run(['sh', INSTALL, '--help']).stdout;
    expect(help).toMatch(/^Usage: sudo \.\/install\.sh/);
    expect(help).toContain('\nUsage: srcroute install');
    expect(help.split('\n').filter((l) => l.length > 80), 'an 80-column console').toEqual([]);
    expect(run(['sh', INSTALL, '--uninstall', '--help']).stdout).toContain('\nUsage: srcroute uninstall');
    for (const [args, message] of [
      [['eth0/v0'], /^install\.sh: 'eth0\/v0' is not a plain interface name/],
      [['--bogus'], /^install\.sh: unknown argument "--bogus" \(see srcroute install --help\)$/m],
      [['--uninstall', 'eth0v0'], /^install\.sh: unknown argument "eth0v0" \(see srcroute uninstall --help\)$/m],
      // --purge alone once uninstalled everything
      [['--purge'], /^install\.sh: --purge goes only with uninstall: sudo \.\/install\.sh --uninstall --purge$/m],
      [['--node', '/nonexistent/node', 'eth0v0'], /^install\.sh: \/nonexistent\/node is not executable/],
    ] as const) {
      const root = stage();
      const r = install(root, ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(tree(root)).toBe('. 700 root d\n');
    }
  });

  it("passes srcroute install's options through (--no-command once was refused by install.sh's own list)", () => {
    const root = stage();
    const r = install(root, '--no-command', 'eth0v0');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(root, 'etc/dhcpcd/eth0v0.exit-hook'))).toBe(true);
    expect(existsSync(join(root, 'usr/local/sbin/srcroute'))).toBe(false);
  });

  it('from a release layout (install.sh and a prebuilt dist/, no npm anywhere on PATH): installs without building; without dist/ it says what it needs', () => {
    const release = stage();
    mkdirSync(join(release, 'dist'));
    writeFileSync(join(release, 'install.sh'), readFileSync(INSTALL));
    for (const f of ['srcroute.cjs', 'hook.cjs']) writeFileSync(join(release, 'dist', f), readFileSync(join(REPO, 'dist', f)), { mode: 0o755 });
    const bin = stage(); // node and what install.sh calls, no npm
    run(['ln', '-s', process.execPath, join(bin, 'node')]);
    for (const tool of ['id', 'dirname']) run(['ln', '-s', `/usr/bin/${tool}`, join(bin, tool)]);
    const env = { PATH: bin };
    expect(run(['/bin/sh', '-c', 'command -v npm || echo none'], { env }).stdout).toBe('none\n');
    const root = stage();
    const r = run(['/bin/sh', join(release, 'install.sh'), '--root', root, 'eth0v0'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('install.sh: installed srcroute for: eth0v0');
    expect(tree(release)).not.toContain('node_modules');
    expect(run(['/bin/sh', join(release, 'install.sh'), '--root', root, '--uninstall', '--purge'], { env }).code).toBe(0);
    expect(tree(root)).toBe('. 700 root d\n');
    rmSync(join(release, 'dist'), { recursive: true });
    const dry = run(['/bin/sh', join(release, 'install.sh'), '--root', root, '--dry-run', 'eth0v0'], { env });
    expect([dry.code, dry.stdout]).toEqual([0, `install.sh: would build dist/ in ${release} (npm ci, npm run build), then run srcroute install\n`]);
    const missing = run(['/bin/sh', join(release, 'install.sh'), '--root', root, 'eth0v0'], { env });
    expect([missing.code, missing.stderr]).toEqual([1, 'install.sh: dist/ is missing and npm is not installed: use a release tarball (dist/ prebuilt), or install npm to build it\n']);
    expect(tree(root)).toBe('. 700 root d\n');
  });

  it('says clearly when the node it would use is too old, and writes nothing', () => {
    const root = stage();
    const oldNode = join(stage(), 'node');
    writeFileSync(oldNode, '#!/bin/sh\necho 18.18.2\n', { mode: 0o755 });
    const r = install(root, '--node', oldNode, 'eth0v0');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`install.sh: ${oldNode} is Node 18.18.2; srcroute needs Node >= 18.19 (Debian 12 ships 18.19: apt install nodejs)\n`);
    expect(tree(root)).toBe('. 700 root d\n');
  });

  it('srcroute install --node: the same refusal of a node too old, in one line, without install.sh', () => {
    const root = stage();
    const oldNode = join(stage(), 'node');
    writeFileSync(oldNode, '#!/bin/sh\necho 18.18.2\n', { mode: 0o755 });
    const r = run([process.execPath, requireBundle(), 'install', '--root', root, '--node', oldNode, 'eth0v0'], {
      env: { PATH },
    });
    expect([r.code, r.stderr]).toEqual([
      2,
      `srcroute install: ${oldNode} is Node 18.18.2; srcroute needs Node >= 18.19 ` +
        '(Debian 12 ships 18.19: apt install nodejs)\n',
    ]);
    expect(tree(root)).toBe('. 700 root d\n');
  });
});
