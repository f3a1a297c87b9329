import { tempDir } from '../support/tmp.js';
// The operator commands through main(): per-command help, argument errors, and the exit
// statuses cli.ts maps (check: 0 healthy, 1 not). Paths point into a temp root; ip and dhcpcd
// are fakes, so nothing here touches the machine.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpOf, main, realDeps } from '../../src/cli.js';
import type { OperatorDeps } from '../../src/operator/deps.js';
import { systemPaths } from '../../src/shared/paths.js';
import { SystemError } from '../../src/shared/errors.js';
import { fakeSession } from '../support/fake-deps.js';

const ADDR = '100.64.0.50';
/** The kernel of a healthy box, as `ip -4 -N -j` prints it. */
const RULES = [
  { priority: 0, src: 'all', table: '255' },
  { priority: 998, src: ADDR, dst: '100.64.0.0', dstlen: 24, table: '123', protocol: '213' },
  { priority: 999, src: ADDR, table: '254', suppress_prefixlen: 0, protocol: '213' },
  { priority: 1000, src: ADDR, table: '123', protocol: '213' },
  { priority: 32766, src: 'all', table: '254' },
];
const ROUTES = [
  { dst: 'default', gateway: '100.64.0.1', dev: 'eth0v0', table: '123', protocol: '213', flags: [] },
  { dst: '100.64.0.0/24', dev: 'eth0v0', table: '123', protocol: '213', scope: '253', flags: [] },
];
const HEALTHY = [RULES, ROUTES];
const NO_RULE = [RULES.filter((r) => r.priority !== 1000), ROUTES];
const ADDRESSES = [{ ifname: 'eth0v0', link: 'eth0', addr_info: [{ family: 'inet', local: ADDR, prefixlen: 24 }] }];
/** `kernel`'s rules and routes, and the box's addresses and links, by what is asked. */
const answer = (kernel: unknown[], query: string[]): unknown => {
  const q = query.join(' ');
  const table = /^rule show(?: table (\S+))?$/.exec(q);
  if (table) return (kernel[0] as { table: string }[]).filter((r) => table[1] === undefined || r.table === (table[1] === 'main' ? '254' : table[1]));
  if (q === 'link show dev eth0v0') return [{ ifname: 'eth0v0', link: 'eth0' }];
  if (q.startsWith('route show')) return kernel[1];
  if (q.startsWith('addr')) return ADDRESSES;
  if (q === 'link show') return [{ ifname: 'eth0v0', link: 'eth0' }, { ifname: 'eth0' }];
  throw new Error(`the fake kernel does not know: ip ${q}`);
};
const DUMP = `reason=BOUND\ninterface=eth0v0\nprotocol=dhcp\nip_address=${ADDR}\nsubnet_cidr=24\nrouters=100.64.0.1\n`;

function box(kernel: unknown[] = HEALTHY) {
  const root = tempDir('srcroute-cli');
  const put = (path: string, text: string, mode = 0o644) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text, { mode });
  };
  put('/etc/srcroute/eth0v0.env', '');
  put('/etc/dhcpcd/eth0v0.exit-hook', `#!${process.execPath}\nrequire("${process.execPath}");\n`, 0o755);
  put('/etc/dhcpcd.exit-hook', '# >>> srcroute >>> (added)\n# <<< srcroute <<<\n');
  put('/etc/dhcpcd.conf', 'interface eth0v0\n  nogateway\n');
  put('/proc/sys/net/ipv4/conf/all/rp_filter', '2\n');
  put('/proc/sys/net/ipv4/conf/eth0v0/rp_filter', '2\n');
  put('/run/dhcpcd/eth0v0-4.sock', '');
  put('/etc/machine-id', '0123456789abcdef0123456789abcdef\n');
  put('/etc/network/interfaces', 'source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\nallow-hotplug lan0\niface lan0 inet dhcp\n');
  // /proc as running.ts reads it: ourselves and the dhcpcd that leases eth0v0, in one netns
  put('/proc/stat', 'btime 1700000000\n');
  const proc = (pid: string, comm: string, argv: string[]) => {
    mkdirSync(join(root, 'proc', pid, 'ns'), { recursive: true });
    symlinkSync('net:[4026531840]', join(root, 'proc', pid, 'ns/net'));
    put(`/proc/${pid}/comm`, `${comm}\n`);
    put(`/proc/${pid}/stat`, `${pid} (${comm}) S${' 0'.repeat(18)} 100`);
    put(`/proc/${pid}/cmdline`, `${argv.join('\0')}\0`);
  };
  proc('self', 'node', ['node']);
  proc('812', 'dhcpcd', ['dhcpcd: eth0v0 [ip4]']);
  const ran: string[][] = [];
  const deps: OperatorDeps = {
    ...realDeps({}, 0),
    configDir: join(root, 'etc/srcroute'),
    tables: () => new Map([['pub', 123]]),
    paths: systemPaths(root),
    dhcpcd: process.execPath, // exists; the fake runner answers in its place
    now: () => Date.now(),
    run: async (argv) => {
      ran.push([...argv]);
      return { code: 0, stdout: DUMP, stderr: '' };
    },
    // IPv4 answers from `kernel`; the IPv6 process sees an empty family.
    ip: (_config, family) =>
      fakeSession(
        async (queries) => queries.map((q) => (family === 6 ? [] : answer(kernel, q))),
        undefined,
        // where packets from ADDR go: table 123 while its rule is there, else main's LAN default
        (q) => ({ json: [{ dst: q[2], from: q[4], ...(kernel === HEALTHY ? { gateway: '100.64.0.1', dev: 'eth0v0', table: '123' } : { gateway: '192.168.1.1', dev: 'lan0' }) }] }),
      ),
    lock: async (_n, _o, fn) => fn(),
    raSignatures: { set: () => {}, clear: () => {} },
    notify: async () => {},
  };
  return { root, deps, ran, put };
}

async function run(argv: string[], deps: OperatorDeps, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l), uid: 0 }, deps);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('per-command help', () => {
  it.each(['sync', 'status', 'check', 'mac', 'macvlan', 'flush', 'config'])('srcroute %s --help: its own text, with an example', async (cmd) => {
    const r = await run([cmd, '--help'], box().deps);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Usage: srcroute ${cmd}`));
    expect(r.out).toMatch(/Example/);
  });
  it('srcroute --help lists every command', async () => {
    const r = await run(['--help'], box().deps);
    for (const cmd of ['sync', 'status', 'check', 'mac', 'macvlan']) expect(r.out).toContain(`srcroute ${cmd}`);
  });
});

describe('arguments', () => {
  it.each([
    [['mac'], /mac needs an interface name \(see srcroute mac --help\)/],
    [['status', '--bogus'], /unknown argument "--bogus" \(see srcroute status --help\)/],
    [['status', 'a', 'b'], /unknown argument "b"/],
    [['macvlan', 'eth0v0'], /--parent is required/],
    [['macvlan', 'eth0v0', '--parent'], /--parent needs a value/],
    [['macvlan', 'eth0v0', '--parent=eth0', '--stack', 'systemd'], /unknown --stack "systemd"/],
    [['mac', 'bad/name'], /invalid interface name/],
    [['status', '-x'], /unknown argument "-x" \(see srcroute status --help\)/],
    [['flush', '--dry-run=yes'], /--dry-run takes no value \(see srcroute flush --help\)/],
    [['macvlan', 'eth0v0', '--parent', '-x'], /--parent needs a value/],
    [['--bogus'], /unknown argument "--bogus" \(see srcroute --help\)/],
    [['flush', 'eth0v0'], /unknown argument "eth0v0"/],
  ])('%j -> exit 2', async (argv, message) => {
    const r = await run(argv, box().deps);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('exit statuses', () => {
  it.each([
    ['status', 'nosuch0', /srcroute does not manage nosuch0: no .*nosuch0\.env and no .*nosuch0\.exit-hook/],
    ['check', 'lan0', /srcroute does not manage lan0/],
    ['sync', 'lan0', /srcroute does not manage lan0/],
    ['status', 'eth0;id', /invalid interface/],
  ])('%s %s: an interface srcroute does not manage, or no interface name: one line, exit 2, nothing asked', async (cmd, name, why) => {
    const b = box();
    const r = await run([cmd, name], b.deps);
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.err).toMatch(why);
    expect(b.ran).toEqual([]);
  });

  it('check: 0 when healthy (dhcpcd asked with -4 -U through its socket)', async () => {
    const b = box();
    const r = await run(['check'], b.deps);
    expect(r.out).toBe('srcroute check: no problem found (eth0v0)');
    expect(r.code).toBe(0);
    expect(b.ran).toEqual([[process.execPath, '-4', '-U', 'eth0v0']]);
  });
  it('check: 1 when a problem is found', async () => {
    const b = box(NO_RULE);
    const r = await run(['check', 'eth0v0'], b.deps);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no source rule/);
  });
  it('status: 0, and no dhcpcd run without its control socket', async () => {
    const b = box();
    const r = await run(['status', '--json'], b.deps);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).interfaces[0].ipv4.rule).toBe('ok');
    expect(JSON.parse(r.out).interfaces[0].ipv4.plan).toEqual([]);
    const c = box();
    c.deps.paths = { ...c.deps.paths, dhcpcdRun: join(c.root, 'nowhere') };
    expect(JSON.parse((await run(['status', '--json'], c.deps)).out).interfaces[0].lease).toBeNull();
    expect(c.ran).toEqual([]);
  });
  it('sync --dry-run prints the plan from the lease', async () => {
    const b = box(NO_RULE);
    const r = await run(['sync', '--dry-run'], b.deps);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`ip rule add from ${ADDR} lookup 123 priority 1000 protocol 213`);
  });
  it('macvlan prints the definition and writes nothing (install writes it, and records it)', async () => {
    const b = box();
    const first = await run(['macvlan', 'eth0v0', '--parent', 'eth0'], b.deps);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^# ifupdown .*detected/);
    expect(first.err).toBe('');
    expect(existsSync(join(b.root, 'etc/network/interfaces.d/eth0v0'))).toBe(false);
    const write = await run(['macvlan', 'eth0v0', '--parent', 'eth0', '--write'], b.deps);
    expect([write.code, write.err]).toEqual([2, 'srcroute macvlan: unknown argument "--write" (see srcroute macvlan --help)']);
    expect(await helpOf('macvlan')).toContain('sudo srcroute install --parent ETH IFACE');
  });
});

describe('a bug is never reported as a system failure', () => {
  const bug = () => fakeSession(async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'table')");
  });
  const failing = () => fakeSession(async () => {
    throw new SystemError('/usr/sbin/ip exited 1 while changing the kernel: RTNETLINK answers: Operation not permitted');
  });
  /** Two configured interfaces, so that sync goes on after one interface's failure. */
  const two = (ip: OperatorDeps['ip']) => {
    const b = box(NO_RULE);
    b.put('/etc/srcroute/eth0v1.env', '');
    b.deps.ip = ip;
    return b.deps;
  };
  const BUG_LINE = 'this is a bug in srcroute; please report it';

  it.each([
    ['the hook', []],
    ['flush', ['flush']],
    ['status', ['status']],
    ['check', ['check']],
    ['sync of one interface', ['sync', 'eth0v0']],
    ['sync of every interface', ['sync']],
  ])('%s: exit 1 and the "this is a bug" line', async (_name, argv) => {
    const lease = { reason: 'BOUND', interface: 'eth0v0', new_ip_address: ADDR, new_subnet_cidr: '24', new_routers: '100.64.0.1' };
    const deps = two(bug);
    if (argv.length === 0) deps.env = lease;
    const r = await run(argv, deps, argv.length === 0 ? lease : {});
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(BUG_LINE);
    expect(r.err).toContain('bug: TypeError: Cannot read properties of undefined');
    // the hook: one line for syslog, saying how to get the stack; a command: the stack
    if (argv.length === 0) {
      expect(r.err).not.toMatch(/^\s+at /m);
      expect(r.err).toContain('SRCROUTE_DEBUG=1');
    } else expect(r.err).toMatch(/^\s+at /m);
  });

  it('sync of every interface: a failing ip is the system failing, each interface said, no bug line', async () => {
    const r = await run(['sync'], two(failing));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/srcroute\[eth0v0\] sync: .*Operation not permitted/);
    expect(r.err).toMatch(/srcroute\[eth0v1\] sync: .*Operation not permitted/);
    expect(r.err).toMatch(/failed for eth0v0, eth0v1 \(see above\)$/);
    expect(r.err).not.toContain(BUG_LINE);
  });
});
