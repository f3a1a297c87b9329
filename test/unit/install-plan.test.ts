// The installer's plans, pure (src/install/): from a starting /etc written down here, per network
// stack, the install plan as its --dry-run prints it and every file it writes (golden); the plan
// carried out on the same in-memory tree (`carryOut`, what writer.ts does to a disk), then a
// second install plans no change, and the uninstall plan gives the starting tree back, byte for
// byte with modes and owners.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileFact, InstallFacts, ParentLink, Tree, UninstallFacts } from '../../src/install/facts.js';
import { planInstall } from '../../src/install/install-plan.js';
import { planUninstall, UNINSTALL_ORDER } from '../../src/install/uninstall-plan.js';
import { BACKUP_DIR, INSTALLED_LIST, MARK } from '../../src/install/layout.js';
import type { Plan, Step } from '../../src/install/steps.js';
import { Writer, type WriterDeps } from '../../src/install/writer.js';
import { serviceSettings } from '../../src/operator/dhcpcd-service.js';
import { networkdPlan } from '../../src/operator/stacks/networkd.js';
import { nmPlan } from '../../src/operator/stacks/nm.js';
import { dhcpcdPlan } from '../../src/operator/stacks/dhcpcd.js';
import { ifupdownPlan } from '../../src/operator/stacks/ifupdown.js';
import type { StackPlan } from '../../src/operator/stacks/plan.js';
import { golden } from '../support/golden.js';
import { tempDir } from '../support/tmp.js';
import { InputError, SystemError } from '../../src/shared/errors.js';

const REPO = join(__dirname, '..', '..');
const hook = (name: string): string => readFileSync(join(REPO, 'hooks', name), 'utf8');
const HOOKS = { dispatcher: hook('dhcpcd.exit-hook'), dhclientExit: hook('dhclient-exit-hook'), dhclientEnter: hook('dhclient-enter-hook') };
const SPEC = { iface: 'eth0v0', parent: 'eth0', mac: '02:0a:3e:7f:3f:cf' };
/** One port: the LAN untagged on eth0, the modem on VLAN 100 (--parent eth0 --vlan 100). */
const VLAN = { ...SPEC, parent: 'eth0.100', vlan: { port: 'eth0', id: 100 } };
const NETPLAN = '/run/systemd/network/10-netplan-eth0.network';
/** eth0 carries main's default: the LAN. */
const LAN = new Map([['eth0', "eth0 carries main's default route (IPv4, metric 100)"]]);
const DHCPCD = '/usr/sbin/dhcpcd';
const IFUP = { ifup: true, ifupClient: 'dhclient' as const, dhcpcdInstalled: true, parentMethod: null, dhcpcd: DHCPCD };
const MANAGER = { pid: 812, comm: 'dhcpcd', argv: ['dhcpcd: [manager] [ip4] [ip6]'], startedMs: 0 };

const dir = (): FileFact => ({ kind: 'dir', mode: 0o755, uid: 0, gid: 0, content: null });
const file = (text: string, mode = 0o644): FileFact => ({ kind: 'file', mode, uid: 0, gid: 0, content: Buffer.from(text) });

/** A tree from `path: text` (files 0644 unless given) with every parent directory. */
function treeOf(files: Record<string, string | FileFact>): Map<string, FileFact> {
  const tree = new Map<string, FileFact>();
  for (const [path, f] of Object.entries(files)) {
    for (let d = dirname(path); d !== '/'; d = dirname(d)) if (!tree.has(d)) tree.set(d, dir());
    tree.set(path, typeof f === 'string' ? file(f) : f);
  }
  return tree;
}

/** Debian 12 as installed: an admin's exit hook (mode 600, no final newline), dhcpcd.conf, rt_tables. */
const DEBIAN: Record<string, string | FileFact> = {
  '/etc/dhcpcd.exit-hook': file('# the admin\'s own exit hook\necho "admin: $reason" >> /run/admin.log', 0o600),
  '/etc/dhcpcd.conf': 'hostname\nclientid\npersistent\noption rapid_commit\n',
  '/etc/iproute2/rt_tables': '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n',
  '/usr/local/sbin/.keep': '',
};
const UNIT = readFileSync(join(REPO, 'test/units/debian-12/dhcpcd.service'), 'utf8');

function installFacts(tree: Tree, over: Partial<InstallFacts> = {}): InstallFacts {
  const list = tree.get(INSTALLED_LIST)?.content?.toString() ?? '';
  return {
    prog: 'srcroute install', staged: false, dry: false, uid: 0, gid: 0, list, tree,
    ifaces: ['eth0v0'], configureDhcpcd: false, forward: false, command: true, packaged: false, node: '/usr/bin/node', nodeReal: '/usr/bin/node', envSplitWorks: true, nodeVersion: '20.19.0',
    bundles: { command: '#!/usr/bin/env node\n// the srcroute bundle\n', hook: '#!/usr/bin/env node\n// the hook bundle\n' },
    hooks: HOOKS, service: null, systemd: true, rtTables: [{ num: 254, name: 'main', file: '/etc/iproute2/rt_tables' }], rtProtos: [],
    stacks: new Map(), links: new Set(['lo', 'eth0', 'eth0v0']), macs: new Map(), ...over,
  };
}

const uninstallFacts = (tree: Tree, purge = true): UninstallFacts =>
  ({ prog: 'srcroute uninstall', staged: false, dry: false, uid: 0, gid: 0, list: tree.get(INSTALLED_LIST)?.content?.toString() ?? '', tree, systemd: true, purge });

/** What writer.ts does to a disk, done to the tree. */
function carryOut(start: Tree, plan: Plan): Map<string, FileFact> {
  const tree = new Map(start);
  const parents = (path: string): void => {
    for (let d = dirname(path); d !== '/'; d = dirname(d)) if (!tree.has(d)) tree.set(d, dir());
  };
  for (const s of plan.steps) {
    if (s.op === 'record') {
      parents(INSTALLED_LIST);
      tree.set(INSTALLED_LIST, file(s.list));
    } else if (s.op === 'mkdir') tree.set(s.path, dir());
    else if (s.op === 'write') {
      parents(s.path);
      tree.set(s.path, { kind: 'file', mode: s.mode, uid: s.owner.uid, gid: s.owner.gid, content: s.content });
    } else if (s.op === 'remove') tree.delete(s.path);
    else if (s.op === 'remove-tree') {
      for (const p of [...tree.keys()]) if (p === s.path || p.startsWith(`${s.path}/`)) tree.delete(p);
    } else if (s.op === 'close-list') {
      const gone = (p: string): boolean => p === INSTALLED_LIST || p === BACKUP_DIR || p.startsWith(`${BACKUP_DIR}/`);
      for (const p of [...tree.keys()]) if (gone(p)) tree.delete(p);
    } else if (s.op === 'rmdir' && ![...tree.keys()].some((p) => p.startsWith(`${s.path}/`))) tree.delete(s.path);
  }
  return tree;
}

/** A writer that runs nothing, its output into LINES. */
const writerTo = (lines: string[], dry: boolean, over: Partial<WriterDeps> = {}): Writer =>
  new Writer({
    root: '', dry, chown: false,
    out: (l) => lines.push(l), err: (l) => lines.push(`(stderr) ${l}`), raw: (l) => lines.push(l),
    run: async () => ({ code: 0, stdout: '', stderr: '' }), flush: async () => {},
    clientsOf: () => [], sleep: async () => {}, every: () => () => {}, dhcpcd: DHCPCD, dhcpcdsOf: () => ({ own: [], manager: false }), signal: () => {}, ...over,
  });

/** The plan as --dry-run prints it, then the afterword, then each file it writes (bundles in short). */
async function render(facts: InstallFacts): Promise<string> {
  const lines: string[] = [];
  const writer = writerTo(lines, true);
  const plan = planInstall({ ...facts, dry: true });
  await writer.apply(plan);
  lines.push(...plan.afterword);
  for (const s of planInstall(facts).steps) {
    if (s.op === 'write') lines.push(`==> ${s.path} (${s.mode.toString(8)} ${s.owner.uid}:${s.owner.gid}, ${s.verb}) <==`, s.content.toString().split('\n').slice(0, 40).join('\n'));
    if (s.op === 'run') lines.push(`==> run: ${s.argv.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The modem's port as a stock box has it before srcroute: down, the kernel's accept_ra. */
const STOCK_PORT = { up: false, acceptRa: '1' };
const withStack = (plan: StackPlan, parentLink: ParentLink | null = STOCK_PORT): Partial<InstallFacts> => ({ stacks: new Map([['eth0v0', { parent: 'eth0', plan, parentLink }]]) });
/** --parent eth0 --vlan 100 given now, on a box whose LAN is eth0 (the VLAN not there yet). */
const withVlan = (plan: StackPlan): Partial<InstallFacts> =>
  ({ stacks: new Map([['eth0v0', { parent: VLAN.parent, vlan: VLAN.vlan, plan, parentLink: null, asked: true }]]), lan: LAN });

/** Each stack's plan for SPEC (or VLAN), as the installer gets it. */
const PLANS = (spec: typeof SPEC): [string, StackPlan][] => [
  ['nm', nmPlan(spec, { dhcpcd: DHCPCD }, 'detected: NetworkManager runs')],
  ['networkd', networkdPlan(spec, { parentNetwork: null, portNetwork: NETPLAN, networkdStale: false, dhcpcd: DHCPCD }, 'detected: systemd-networkd runs')],
  ['ifupdown', ifupdownPlan(spec, IFUP, 'detected: /etc/network/interfaces configures an interface')],
  ['dhcpcd', dhcpcdPlan(spec, { ...IFUP, processes: [MANAGER], dhcpcd: DHCPCD }, 'detected: a manager-mode dhcpcd runs')],
];

type Case = [string, Record<string, string | FileFact>, Partial<InstallFacts>];
const CASES: Case[] = [
  ['empty-etc', {}, { links: null }],
  ['debian12-two-ifaces', DEBIAN, { ifaces: ['eth0v0', 'eth0v1'] }],
  ['debian12-configure-dhcpcd', DEBIAN, { configureDhcpcd: true }],
  ['debian12-forward', DEBIAN, { forward: true, ifaces: ['eth0v0', 'eth0v1'] }],
  ['debian12-dhcpcd-service', { ...DEBIAN, '/lib/systemd/system/dhcpcd.service': UNIT }, { service: { unit: '/lib/systemd/system/dhcpcd.service', ...serviceSettings([UNIT]), newestDropIn: null } }],
  ['dhcpcd-service-not-persistent', { ...DEBIAN, '/etc/dhcpcd.conf': 'hostname\n', '/lib/systemd/system/dhcpcd.service': UNIT }, { service: { unit: '/lib/systemd/system/dhcpcd.service', ...serviceSettings([UNIT]), newestDropIn: null } }],
  ['debian12-missing-macvlan', DEBIAN, { links: new Set(['lo', 'eth0']), macs: new Map([['eth0v0', SPEC.mac]]) }],
  ['stack-nm', DEBIAN, withStack(nmPlan(SPEC, { dhcpcd: DHCPCD }, 'detected: NetworkManager runs'))],
  ['stack-networkd', DEBIAN, withStack(networkdPlan(SPEC, { parentNetwork: null, networkdStale: false, dhcpcd: DHCPCD }, 'detected: systemd-networkd runs'))],
  ['stack-ifupdown', DEBIAN, withStack(ifupdownPlan(SPEC, IFUP, 'detected: /etc/network/interfaces configures an interface'))],
  ['stack-dhcpcd', DEBIAN, withStack(dhcpcdPlan(SPEC, { ...IFUP, processes: [MANAGER], dhcpcd: DHCPCD }, 'detected: a manager-mode dhcpcd runs'))],
  ['no-command', DEBIAN, { command: false, packaged: true }],
  ...PLANS(VLAN).map(([stack, plan]): Case => [`vlan-${stack}`, DEBIAN, withVlan(plan)]),
  ['replaces-a-hook', { ...DEBIAN, '/etc/dhcpcd/eth0v0.exit-hook': file('#!/bin/sh\nip rule add from $new_ip_address table pub\n', 0o755) }, {}],
];

describe('the install plan, per stack and starting /etc (golden), carried out, again, and undone', () => {
  it.each(CASES)('%s', async (name, files, over) => {
    const start = treeOf(files);
    const facts = installFacts(start, over);
    const text = await render(facts);
    expect(text).toBe(golden(`install/${name}.txt`, text));

    const installed = carryOut(start, planInstall(facts));
    const again = planInstall(installFacts(installed, over));
    expect(again.changes, 'a second run changes nothing').toBe(0);
    // (the lock directory is made for this boot on every run: mkdir of what is there changes nothing)
    expect(again.steps.filter((s) => s.op !== 'say' && s.op !== 'warn' && s.op !== 'state-dir')).toEqual([]);

    const removed = carryOut(installed, planUninstall(uninstallFacts(installed)));
    expect(removed).toEqual(start);
    if (!name.startsWith('stack-')) return;
    // the uninstall plan as --dry-run prints it, per stack
    const lines: string[] = [];
    await writerTo(lines, true).apply(planUninstall({ ...uninstallFacts(installed), dry: true }));
    const undo = `${lines.join('\n')}\n`;
    expect(undo).toBe(golden(`install/uninstall-${name}.txt`, undo));
  });

  /** Two macvlans on one VLAN (--parent eth0 --vlan 100 eth0v0 eth0v1), each stack's plan for each. */
  const twoOnVlan = (stack: string): Partial<InstallFacts> => {
    const second = { ...VLAN, iface: 'eth0v1', mac: '02:0a:3e:7f:3f:d0' };
    const plan = (spec: typeof VLAN) => PLANS(spec).find(([name]) => name === stack)![1];
    const entry = (spec: typeof VLAN) => ({ parent: spec.parent, vlan: spec.vlan, plan: plan(spec), parentLink: null, asked: true });
    return { ifaces: ['eth0v0', 'eth0v1'], stacks: new Map([['eth0v0', entry(VLAN)], ['eth0v1', entry(second)]]), lan: LAN };
  };
  it.each([
    ['nm', ['nmcli --wait 30 connection down id srcroute-eth0v0', 'nmcli --wait 30 connection down id srcroute-eth0v1', 'nmcli --wait 30 connection down id srcroute-eth0.100']],
    ['networkd', ['networkctl delete eth0v0', 'networkctl delete eth0v1', 'networkctl delete eth0.100']],
    ['ifupdown', ['ifdown eth0v0', 'ifdown eth0v1', 'ifdown eth0.100']],
  ] as const)('two macvlans on one VLAN (%s): one VLAN file, given back byte for byte; the VLAN goes after both macvlans', (stack, links) => {
    const start = treeOf(DEBIAN);
    const installed = carryOut(start, planInstall(installFacts(start, twoOnVlan(stack))));
    const removal = planUninstall(uninstallFacts(installed));
    const ran = removal.steps.flatMap((s) => (s.op === 'run' ? [s.argv.join(' ')] : []));
    expect(ran.filter((c) => links.includes(c as never))).toEqual(links);
    expect(carryOut(installed, removal)).toEqual(start);
  });

  it("uninstalls what 0.1.0's installer wrote: its programs' marker line stays recognised", () => {
    const start = treeOf(DEBIAN);
    const installed = carryOut(start, planInstall(installFacts(start)));
    const hook = '/etc/dhcpcd/eth0v0.exit-hook';
    const text = installed.get(hook)!.content!.toString();
    expect(text).toContain(`\n${MARK} from srcroute's dist/hook.cjs;\n`);
    // the launcher's second comment line as 0.1.0 wrote it (git show b8a5284:src/install/texts.ts)
    const old = text.replace(/\n\/\/ Written by srcroute install from [^\n]*\n\/\/ [^\n]*\n/, "\n// Written by srcroute's install.sh (--uninstall removes it) from dist/hook.cjs.\n");
    expect(old).not.toContain(MARK);
    installed.set(hook, { ...installed.get(hook)!, content: Buffer.from(old) });
    expect(carryOut(installed, planUninstall(uninstallFacts(installed))).has(hook)).toBe(false);
    // a program without either marker is the admin's: it stays
    installed.set(hook, { ...installed.get(hook)!, content: Buffer.from('#!/bin/sh\n# mine\n') });
    expect(carryOut(installed, planUninstall(uninstallFacts(installed))).has(hook)).toBe(true);
  });

  /** --parent PARENT (with --vlan ID) given now for eth0v0, over the box's links and LAN. */
  const asked = (plan: StackPlan, parent: string, vlan?: { port: string; id: number }): Partial<InstallFacts> =>
    ({ stacks: new Map([['eth0v0', { parent, ...(vlan ? { vlan } : {}), plan, parentLink: null, asked: true }]]), lan: LAN });
  const ENX = { port: 'enx00e04c680001', id: 100 };
  it.each([
    ['lan-port', (p: StackPlan) => asked(p, 'eth0')],
    ['missing-parent', (p: StackPlan) => asked(p, 'eth9')],
    ['missing-vlan-port', (p: StackPlan) => asked(p, 'eth9.100', { port: 'eth9', id: 100 })],
    ['vlan-name-too-long', (p: StackPlan) => ({ ...asked(p, `${ENX.port}.${ENX.id}`, ENX), links: new Set(['lo', 'eth0', ENX.port]) })],
  ])('refuses, before any step, under every stack: %s (golden)', (name, over) => {
    const start = treeOf(DEBIAN);
    const lines = PLANS(SPEC).map(([stack, plan]) => {
      try {
        planInstall(installFacts(start, over(plan)));
        return `${stack}: planned`;
      } catch (e) {
        return `${stack}: ${(e as Error).name}: ${(e as Error).message}`;
      }
    });
    const text = `${lines.join('\n')}\n`;
    expect(text).toBe(golden(`install/refuse-${name}.txt`, text));
    // one decision, before the stack: the same line under every stack
    expect(new Set(lines.map((l) => l.replace(/^\w+: /, ''))).size).toBe(1);
    expect(lines[0]).toMatch(/^nm: InputError: /);
  });

  it('takes a port of its own that is not the LAN, and an existing VLAN the admin made, as parent', () => {
    const start = treeOf(DEBIAN);
    const links = new Set(['lo', 'eth0', 'eth1', 'eth0.100', 'eth0v0']);
    for (const parent of ['eth1', 'eth0.100']) {
      expect(planInstall(installFacts(start, { ...asked(ifupdownPlan({ ...SPEC, parent }, IFUP, ''), parent), links })).changes).toBeGreaterThan(0);
    }
    // --root: no links looked at, nothing refused for want of them
    expect(planInstall(installFacts(start, { ...asked(ifupdownPlan(SPEC, IFUP, ''), 'eth9'), links: null, lan: null })).changes).toBeGreaterThan(0);
  });

  it.each([
    ['--purge', true, ['/etc/srcroute', '/etc/srcroute/hooks.d', '/etc/srcroute/hooks.d/50-ddns']],
    ['without --purge', false, [
      '', '/eth0v0.env', '/hooks.d', '/hooks.d/50-ddns', '/srcroute.env'
    ].map((p) => `/etc/srcroute${p}`)],
  ] as const)('uninstall %s keeps the admin\'s scripts in hooks.d; its own README goes', (_name, purge, kept) => {
    const installed = carryOut(treeOf(DEBIAN), planInstall(installFacts(treeOf(DEBIAN))));
    expect(installed.get('/etc/srcroute/hooks.d')).toEqual(dir());
    expect(installed.get('/etc/srcroute/hooks.d/README')?.mode).toBe(0o644);
    installed.set('/etc/srcroute/hooks.d/50-ddns', file('#!/bin/sh\nnsupdate ...\n', 0o755));
    const plan = planUninstall(uninstallFacts(installed, purge));
    const removed = carryOut(installed, plan);
    expect([...removed.keys()].filter((p) => p.startsWith('/etc/srcroute')).sort()).toEqual(kept);
    const said = purge
      ? 'kept your scripts in /etc/srcroute/hooks.d'
      : 'kept your settings in /etc/srcroute (--purge removes them)';
    expect(plan.steps).toContainEqual({ op: 'say', line: said });
  });

  it.each([
    ['18.18.2', false],
    ['17.9.1', false],
    ['18.19.0', true],
    ['18.20.4', true],
    ['20.19.5', true],
    ['22.0.0', true],
  ])('--node: Node %s is taken: %s (the minimum is package.json\'s engines.node)', (version, taken) => {
    const facts = installFacts(treeOf(DEBIAN), { node: '/opt/node/bin/node', nodeVersion: version });
    if (taken) expect(planInstall(facts).changes).toBeGreaterThan(0);
    else
      expect(() => planInstall(facts)).toThrow(
        `/opt/node/bin/node is Node ${version}; srcroute needs Node >= 18.19 (Debian 12 ships 18.19: apt install nodejs)`,
      );
  });

  it.each([
    ['fails: an env without -S (coreutils < 8.30), input', { envSplitWorks: false }, InputError,
      "/usr/bin/env -S /usr/bin/node --jitless --no-expose-wasm does not run (the hooks' #! line needs coreutils >= 8.30)"],
    ['timed out: a loaded machine, no verdict on coreutils', { envSplitWorks: false, envSplitTimedOut: true }, SystemError,
      '/usr/bin/env -S /usr/bin/node --jitless --no-expose-wasm -e 0 did not finish within a minute; try again'],
  ] as const)('--node: the hooks\' #! line that %s', (_name, facts, kind, message) => {
    const plan = () => planInstall(installFacts(treeOf(DEBIAN), facts));
    expect(plan).toThrow(kind);
    expect(plan).toThrow(message);
  });

  it('refuses, before any step, a table or protocol taken by something else', () => {
    const start = treeOf(DEBIAN);
    expect(() => planInstall(installFacts(start, { rtTables: [{ num: 123, name: 'vpn', file: '/etc/iproute2/rt_tables.d/vpn.conf' }] }))).toThrow(
      `cannot register rt_tables '123 pub': /etc/iproute2/rt_tables.d/vpn.conf already has "123 vpn"; nothing changed`,
    );
    expect(() => planInstall(installFacts(start, { rtProtos: [{ num: 213, name: 'other', file: '/etc/iproute2/rt_protos' }] }))).toThrow(/cannot register rt_protos '213 srcroute'/);
    // the same pair is the same thing (an original setup's own `123 pub`)
    expect(planInstall(installFacts(start, { rtTables: [{ num: 123, name: 'pub', file: '/etc/iproute2/rt_tables' }] })).changes).toBeGreaterThan(0);
  });

  /** A plan's steps as words: `run ARGV`, `remove PATH`, `await IFACES`, `release IFACE`, the op. */
  const words = (steps: readonly Step[]): string[] =>
    steps.map((s) =>
      s.op === 'run' ? `run ${s.argv.join(' ')}`
        : s.op === 'remove' || s.op === 'write' || s.op === 'remove-tree' ? `${s.op} ${s.path}`
        : s.op === 'await-clients' ? `await ${s.ifaces.join(' ')}`
        : s.op === 'release' ? `release ${s.iface}` : s.op);
  const UNIT_FILE = 'remove /etc/systemd/system/srcroute-dhcpcd@.service';
  const ORDER_TEST = "uninstall under %s: client stop < await (under ifdown: the release's) < link removal < " +
    'entry points < flush < hook removal < reset-failed < unit file';
  const HOOK = 'remove /etc/dhcpcd/eth0v0.exit-hook';

  // the lists record the link's removal first for NetworkManager (nmcli down, then systemctl stop), as
  // today's release does: the order comes from UNINSTALL_ORDER, not from the list
  it.each([
    ['nm', nmPlan(SPEC, { dhcpcd: DHCPCD }, ''),
      'run systemctl stop srcroute-dhcpcd@eth0v0.service',
      'run nmcli --wait 30 connection down id srcroute-eth0v0', true],
    ['networkd', networkdPlan(SPEC, { parentNetwork: null, networkdStale: false, dhcpcd: DHCPCD }, ''),
      'run systemctl disable --now srcroute-dhcpcd@eth0v0.service', 'run networkctl delete eth0v0', true],
    ['ifupdown', ifupdownPlan(SPEC, IFUP, ''), 'release eth0v0', 'run ifdown eth0v0', false],
    ['dhcpcd.service', dhcpcdPlan(SPEC, { ...IFUP, processes: [MANAGER], dhcpcd: DHCPCD }, ''),
      'release eth0v0', 'run ifdown eth0v0', false],
  ] as const)(ORDER_TEST, (_, plan, stop, unlink, unit) => {
    const start = treeOf(DEBIAN);
    const installed = carryOut(start, planInstall(installFacts(start, withStack(plan))));
    // the state directory as the hooks leave it: locks, code caches
    installed.set('/run', dir()).set('/run/srcroute', { ...dir(), mode: 0o700 }).set('/run/srcroute/eth0v0.lock', file(''));
    const ops = words(planUninstall(uninstallFacts(installed)).steps);
    const at = (prefix: string): number => {
      const i = ops.findIndex((o) => o.startsWith(prefix));
      expect(i, `${prefix} in ${ops.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    // under ifupdown the release waits itself; ifdown's dhclient -r runs before its post-down
    const reset = `run systemctl reset-failed ${unit ? 'srcroute-dhcpcd@*.service ' : ''}srcroute-heal*.service`;
    const order = [stop, ...(unit ? ['await eth0v0'] : []), unlink,
      'write /etc/dhcpcd.exit-hook', 'remove /etc/dhcp/dhclient-exit-hooks.d/srcroute', 'flush', 'await-units', HOOK,
      'remove-tree /run/srcroute',
      reset, ...(unit ? [UNIT_FILE] : [])];
    expect(order.map(at)).toEqual(order.map(at).slice().sort((x, y) => x - y));
    // heal first (it would put rules back), then the client before anything else
    const heal = ops.filter((o) => o.startsWith('run ') && o.includes('srcroute-heal') && o !== reset);
    expect(ops.slice(0, heal.length), 'heal stops first').toEqual(heal);
    expect(ops[heal.length], 'then the client, before anything else').toBe(stop);
    expect(ops.filter((o) => o === unlink), 'the link goes once').toHaveLength(1);
    expect(ops.filter((o) => o.includes('reset-failed'))).toEqual([reset]);
    expect(ops.some((o) => o.startsWith('await '))).toBe(unit);
  });

  it('the phases of uninstall, in order', () => {
    expect(UNINSTALL_ORDER).toEqual([
      'stop-heal', 'stop-clients', 'await-clients', 'remove-links', 'entry-points', 'flush',
      'hooks', 'reset-failed', 'files', 'reload', 'list',
    ]);
  });

  it.each([
    ['dhclient alone: dhcpcd.conf is none of its business', { ...IFUP, dhcpcdInstalled: false }, false],
    ['dhcpcd installed: the block is merged, no advice', IFUP, false],
  ] as const)('the dhcpcd.conf advice, under ifupdown: %s', (_, facts, advised) => {
    const start = treeOf(DEBIAN);
    const first = planInstall(installFacts(start, withStack(ifupdownPlan(SPEC, facts, ''))));
    expect(first.afterword.some((l) => l.startsWith('Add this to /etc/dhcpcd.conf'))).toBe(advised);
    // nor on an upgrade's `srcroute install` without IFACE, which knows the stack from the list alone
    const again = planInstall(installFacts(carryOut(start, first), { ifaces: [] }));
    expect(again.afterword.some((l) => l.startsWith('Add this to /etc/dhcpcd.conf'))).toBe(advised);
    // without a stack the admin runs the client: the advice stays
    expect(planInstall(installFacts(start, {})).afterword.some((l) => l.startsWith('Add this to /etc/dhcpcd.conf'))).toBe(true);
  });

  it('uninstall waits for nothing it did not stop: no stack of its own, or --root', () => {
    const start = treeOf(DEBIAN);
    const installed = carryOut(start, planInstall(installFacts(start, {})));
    expect(planUninstall(uninstallFacts(installed)).steps.some((s) => s.op === 'await-clients')).toBe(false);
    const staged = carryOut(start, planInstall(installFacts(start, withStack(nmPlan(SPEC, { dhcpcd: DHCPCD }, '')))));
    expect(planUninstall({ ...uninstallFacts(staged), staged: true }).steps.some((s) => s.op === 'await-clients' || s.op === 'remove-tree' && s.path === '/run/srcroute')).toBe(false);
  });

  it.each([
    ['down, accept_ra 1 (a stock box)', STOCK_PORT, ['run ip link set dev eth0 down', 'sysctl net/ipv6/conf/eth0/accept_ra=1']],
    ['up, accept_ra 2', { up: true, acceptRa: '2' }, ['sysctl net/ipv6/conf/eth0/accept_ra=2']],
    ['up, no IPv6', { up: true, acceptRa: null }, []],
    ['not looked at (--root)', null, []],
  ] as const)('uninstall puts the modem\'s port back as the first install found it: %s', (_, before, restore) => {
    const plan = ifupdownPlan(SPEC, IFUP, '');
    const start = treeOf(DEBIAN);
    const once = carryOut(start, planInstall(installFacts(start, withStack(plan, before))));
    // a second install finds the port as the first one left it (up, accept_ra 0): the record stays the first one's
    const installed = carryOut(once, planInstall(installFacts(once, withStack(plan, { up: true, acceptRa: '0' }))));
    const ops = planUninstall(uninstallFacts(installed)).steps.flatMap((s) =>
      s.op === 'run' ? [`run ${s.argv.join(' ')}`] : s.op === 'sysctl' ? [`sysctl ${s.key}=${s.value}`] : []);
    // after heal's stop, the stack's own (ifdown, which deletes the macvlan on it), systemd forgets the heal
    // service's failure (stopped mid-run: 'signal'), and reloads for the units' removal
    const heal = ['run systemctl disable --now srcroute-heal.timer', 'run systemctl stop srcroute-heal.service'];
    const forget = 'run systemctl reset-failed srcroute-heal*.service';
    expect(ops).toEqual([...heal, 'run ifdown eth0v0', forget, 'run systemctl daemon-reload', ...restore]);
  });
});

describe('the writer waits for the DHCP clients a stop left running', () => {
  /** The writer's output when the clients still run for `polls` looks (Infinity: never gone). */
  async function waitOut(polls: number): Promise<{ lines: string[]; slept: number }> {
    const lines: string[] = [];
    let looked = 0;
    let slept = 0;
    const writer = writerTo(lines, false, {
      clientsOf: (ifaces) => (looked++ < polls ? [`dhcpcd (${ifaces.join(' ')}; pid 495)`] : []),
      sleep: async (ms) => {
        slept += ms;
      },
      every: () => () => {},
    });
    await writer.apply({ steps: [{ op: 'await-clients', ifaces: ['ens4v0'] }], changes: 0, afterword: [] });
    return { lines, slept };
  }

  it.each([
    ['gone already: says nothing, waits not', 0, [], 0],
    ['gone after 3 looks', 3, ['waiting for dhcpcd (ens4v0; pid 495) to exit'], 600],
    [
      'never gone: a line every 5 s, a warning after 60 s, and uninstall goes on',
      Infinity,
      [
        'waiting for dhcpcd (ens4v0; pid 495) to exit',
        ...[5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55].map((t) => `still waiting for dhcpcd (ens4v0; pid 495) (${t} s of 60)`),
        '(stderr) warning: dhcpcd (ens4v0; pid 495) still runs after 60 s: going on (its hooks may find srcroute gone)',
      ],
      60_000,
    ],
  ] as const)('%s', async (_, polls, lines, slept) => {
    expect(await waitOut(polls)).toEqual({ lines, slept });
  });
});

describe('the writer says what it does while it waits, and names paths where they are', () => {
  it('a command that runs long (ifup, nmcli: up to 5 min): a line every 5 s until it ends', async () => {
    const lines: string[] = [];
    let tick: (() => void) | undefined;
    let stopped = false;
    let finish: (() => void) | undefined;
    const writer = new Writer({
      root: '', dry: false, chown: false, out: (l) => lines.push(l), err: (l) => lines.push(`(stderr) ${l}`), raw: (l) => lines.push(l),
      run: () => new Promise((done) => (finish = () => done({ code: 0, stdout: '', stderr: '' }))),
      flush: async () => {}, clientsOf: () => [], sleep: async () => {}, dhcpcd: DHCPCD, dhcpcdsOf: () => ({ own: [], manager: false }), signal: () => {},
      every: (ms, t) => {
        expect(ms).toBe(5_000);
        tick = t;
        return () => (stopped = true);
      },
    });
    const applied = writer.apply({ steps: [{ op: 'run', argv: ['ifup', 'eth0v0'] }], changes: 1, afterword: [] });
    await new Promise((r) => setImmediate(r));
    tick!();
    tick!();
    expect(stopped).toBe(false);
    finish!();
    await applied;
    expect(stopped).toBe(true);
    expect(lines).toEqual(['running: ifup eth0v0', 'still running: ifup eth0v0 (5 s)', 'still running: ifup eth0v0 (10 s)']);
  });

  it('--root DIR: the messages name the files under DIR', async () => {
    const root = tempDir('srcroute-writer-root');
    const lines: string[] = [];
    const writer = new Writer({
      root, dry: false, chown: false, out: (l) => lines.push(l), err: (l) => lines.push(`(stderr) ${l}`), raw: (l) => lines.push(l),
      run: async () => ({ code: 0, stdout: '', stderr: '' }), flush: async () => {}, clientsOf: () => [], sleep: async () => {}, every: () => () => {}, dhcpcd: DHCPCD, dhcpcdsOf: () => ({ own: [], manager: false }), signal: () => {},
    });
    const file = { op: 'write', path: '/etc-x.conf', content: Buffer.from('x\n'), mode: 0o644, owner: { uid: 0, gid: 0 }, verb: 'write' } as const;
    await writer.apply({ steps: [file, { op: 'remove', path: '/etc-x.conf' }], changes: 2, afterword: [] });
    expect(lines).toEqual([`wrote ${root}/etc-x.conf`, `removed ${root}/etc-x.conf`]);
  });
});

describe("the writer checks the macvlan after its stack's start", () => {
  const link = (flags: string[], inet: boolean) =>
    JSON.stringify([{ ifname: 'eth0v0', flags, addr_info: [{ family: 'inet6', scope: 'link' }, ...(inet ? [{ family: 'inet', scope: 'global' }] : [])] }]);
  /** The writer's output for `ip -j addr show dev eth0v0` answering each of `answers` in turn (the last one from then on). */
  async function checkOut(answers: { code: number; stdout: string }[]): Promise<{ lines: string[]; slept: number; error?: string }> {
    const lines: string[] = [];
    let slept = 0;
    let asked = 0;
    const writer = new Writer({
      root: '', dry: false, chown: false, out: (l) => lines.push(l), err: (l) => lines.push(`(stderr) ${l}`), raw: (l) => lines.push(l),
      run: async () => ({ stderr: '', ...answers[Math.min(asked++, answers.length - 1)]! }), flush: async () => {}, clientsOf: () => [],
      dhcpcd: DHCPCD, dhcpcdsOf: () => ({ own: [], manager: false }), signal: () => {},
      sleep: async (ms) => {
        slept += ms;
      },
      every: () => () => {},
    });
    try {
      await writer.apply({ steps: [{ op: 'check-link', iface: 'eth0v0' }], changes: 0, afterword: [] });
      return { lines, slept };
    } catch (e) {
      return { lines, slept, error: `${(e as Error).name}: ${(e as Error).message}` };
    }
  }
  const gone = { code: 1, stdout: '' };
  const up = (inet: boolean) => ({ code: 0, stdout: link(['BROADCAST', 'UP', 'LOWER_UP'], inet) });

  it.each([
    ['not there (the stack could not make it): exit 1', [gone], { lines: [], slept: 0, error: "SystemError: eth0v0 does not exist after its network stack's start (see above): the files stay recorded; fix the cause and run install again, or uninstall" }],
    ['there but down: exit 1', [{ code: 0, stdout: link(['BROADCAST'], false) }], { lines: [], slept: 0, error: "SystemError: eth0v0 is not up after its network stack's start (see above): the files stay recorded; fix the cause and run install again, or uninstall" }],
    ['up and leased', [up(true)], { lines: ['eth0v0 is up and leased'], slept: 0 }],
    ['up, leased after 3 looks', [up(false), up(false), up(false), up(true)], { lines: ['eth0v0 is up and leased'], slept: 600 }],
    ['up, no lease (the modem off): a warning after 15 s', [up(false)], { lines: ['(stderr) warning: eth0v0 is up, no IPv4 lease after 15 s (modem off?): srcroute routes it once leased'], slept: 15_000 }],
  ] as const)('%s', async (_, answers, want) => {
    expect(await checkOut([...answers])).toEqual(want);
  });
});

describe('the writer releases a dhcpcd before ifdown: SIGALRM (as -k), SIGTERM (as -x) when it still runs 15 s later', () => {
  it.each([
    ['no dhcpcd leases it: nothing happens', { own: [], manager: false }, Infinity, [], []],
    ['a manager leases it: dhcpcd -k IFACE over its socket, no signal', { own: [], manager: true }, 0, ['-k'], []],
    ['its own dhcpcd, gone after SIGALRM', { own: [495], manager: false }, 1, [], ['495 SIGALRM']],
    ['still there 15 s after SIGALRM: SIGTERM', { own: [495], manager: false }, 2, [], ['495 SIGALRM', '495 SIGTERM']],
  ] as const)('%s', async (_, dhcpcds, exitsAfter, ran, sent) => {
    const commands: string[] = [];
    const signals: string[] = [];
    const writer = writerTo([], false, {
      dhcpcdsOf: () => ({ own: [...dhcpcds.own], manager: dhcpcds.manager }),
      run: async (argv) => {
        commands.push(argv[1]!);
        return { code: 0, stdout: '', stderr: '' };
      },
      signal: (pid, sig) => void signals.push(`${pid} ${sig}`),
      // its own dhcpcd exits once it got as many signals as it needs
      clientsOf: () => (dhcpcds.own.length > 0 && signals.length < exitsAfter ? ['dhcpcd (ens4v0; pid 495)'] : []),
    });
    await writer.apply({ steps: [{ op: 'release', iface: 'ens4v0' }], changes: 0, afterword: [], keepGoing: true });
    expect({ commands, signals }).toEqual({ commands: ran, signals: sent });
  });
});

describe('uninstall waits for the runs of hooks.d its clients\' last events started', () => {
  it('polls systemctl until no srcroute-hooks-* unit is active or activating', async () => {
    const lines: string[] = [];
    const answers = ['srcroute-hooks-eth0v0-ipv6-1.service loaded activating start srcroute hooks.d\n', 'srcroute-hooks-eth0v0-ipv6-1.service loaded active running x\n', ''];
    const asked: string[] = [];
    let slept = 0;
    const writer = writerTo(lines, false, {
      run: async (argv) => {
        asked.push(argv.join(' '));
        return { code: 0, stdout: answers.shift() ?? '', stderr: '' };
      },
      sleep: async (ms) => void (slept += ms),
    });
    await writer.apply({ steps: [{ op: 'await-units', pattern: 'srcroute-hooks-*' }], changes: 0, afterword: [], keepGoing: true });
    expect(asked).toEqual(Array(3).fill('systemctl list-units --all --plain --no-legend srcroute-hooks-*'));
    expect(lines).toEqual(['waiting for srcroute-hooks-eth0v0-ipv6-1.service to end']);
    expect(slept).toBe(2_000);
  });
});

describe('the writer: a failed system call is the system\'s failure, anything else a bug', () => {
  const MISSING = '/nonexistent-srcroute-test/dir';
  const steps: Step[] = [{ op: 'mkdir', path: MISSING }, { op: 'say', line: 'after' }];

  it('install stops at a failed system call, a SystemError naming the step and its path', async () => {
    const lines: string[] = [];
    const failure = await writerTo(lines, false).apply({ steps, changes: 1, afterword: [] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SystemError);
    expect((failure as Error).message).toMatch(/^cannot mkdir \/nonexistent-srcroute-test\/dir: ENOENT/);
    expect(lines).toEqual([]);
  });

  it('uninstall (keepGoing) reports it on one line, goes on, and fails at its end', async () => {
    const lines: string[] = [];
    const plan = { steps, changes: 1, afterword: [], keepGoing: true };
    const failure = await writerTo(lines, false).apply(plan).catch((e: unknown) => e);
    expect(lines[0]).toMatch(/^\(stderr\) cannot mkdir \/nonexistent-srcroute-test\/dir: ENOENT/);
    expect(lines.slice(1)).toEqual(['after']);
    expect(failure).toBeInstanceOf(SystemError);
    expect((failure as Error).message).toMatch(/^1 step\(s\) failed \(above\)/);
  });

  it.each([false, true])('a bug (no system call failed) is thrown as it is, keepGoing %s', async (keepGoing) => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'code')");
    const writer = writerTo([], false, { run: async () => Promise.reject(bug) });
    const plan = { steps: [{ op: 'run', argv: ['true'] } as const], changes: 0, afterword: [], keepGoing };
    await expect(writer.apply(plan)).rejects.toBe(bug);
  });
});
