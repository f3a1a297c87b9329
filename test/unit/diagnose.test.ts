// `check`'s judgement, table-driven: a healthy box's facts, broken one thing at a time. The
// full report for a box with everything broken is a golden file.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import { hasNogateway } from '../../src/operator/dhcpcd-conf.js';
import type { DhcpClient } from '../../src/operator/dhcp-clients.js';
import { diagnose, renderFindings } from '../../src/operator/diagnose.js';
import type { Facts, InterfaceFacts } from '../../src/operator/facts.js';
import type { ServiceFacts } from '../../src/operator/dhcpcd-service.js';
import { interfaceState } from '../../src/operator/judge.js';
import { manageForeignRules } from '../../src/operator/networkd.js';
import type { Family, MetricRoute } from '../../src/kernel/kernel.js';
import type { Stack } from '../../src/operator/stacks/plan.js';
import { makeRule, parseRules, type Rule, type SeenRule } from '../../src/kernel/rule.js';
import { addressRules } from '../../src/hook/address-rules.js';
import { ruleJson } from '../support/model-kernel.js';
import type { FamilyRead } from '../../src/hook/kernel-state.js';
import { parsePolicy } from '../../src/operator/policy.js';
import { routeChecks, type RouteAnswer, type RouteCheck } from '../../src/operator/route-probe.js';
import { containsAddress } from '../../src/shared/prefix.js';
import { renderStatusJson, renderStatusTable } from '../../src/operator/status-view.js';
import { golden } from '../support/golden.js';


const config = (table: number, tableName: string): Config => ({ table, tableName, priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true, forward: false, mark: { value: 0x7b000000, mask: 0xff000000 } });
const LEASES = { eth0v0: '100.64.0.50', eth0v1: '100.64.0.51' } as const;
const TABLES = { eth0v0: [123, 'pub'], eth0v1: [124, 'pub1'] } as const;
const DHCPCD_CONF = 'noarp\ninterface eth0v0\n  nogateway\ninterface eth0v1\n  nogateway\n';

type Kernel = { rules: SeenRule[]; routes: MetricRoute[] };
const seen = (r: Rule, protocol = 213): SeenRule => ({ ...r, protocol });
const route4 = (dst: string, dev: string, gateway: string | null, table: number, protocol: number, metric = 0): MetricRoute => ({ dst, dev, gateway, onlink: false, table, protocol, metric, nhid: null });

/** The kernel of a healthy box: one owned rule and two owned routes per interface; the LAN's default in main. */
function healthyKernel(): Kernel {
  const k: Kernel = { rules: [seen(makeRule({ from: '0.0.0.0/0', table: 254, priority: 32766 }), 0)], routes: [route4('0.0.0.0/0', 'lan0', '192.168.1.1', 254, 16, 100)] };
  for (const iface of ['eth0v0', 'eth0v1'] as const) {
    const table = TABLES[iface][0];
    k.rules.push(...addressRules(`${LEASES[iface]}/32`, ['100.64.0.0/24'], table, 1000).map((r) => seen(r)));
    k.routes.push(route4('0.0.0.0/0', iface, '100.64.0.1', table, 213));
    k.routes.push(route4('100.64.0.0/24', iface, null, table, 213));
  }
  return k;
}

const ADDR6 = { eth0v0: '2001:db8:1::50', eth0v1: '2001:db8:1::51' } as const;
const route6 = (dst: string, dev: string, gateway: string | null, table: number, protocol: number, metric = 1024, nhid: number | null = null): MetricRoute => ({ dst, dev, gateway, onlink: false, table, protocol, metric, nhid });

/** A healthy dual-stack box's IPv6: a rule per address, each table's default and prefix, dhcpcd's prefix route in main, the LAN's default. */
function healthyKernel6(): Kernel {
  const k = { rules: [] as SeenRule[], routes: [route6('::/0', 'lan0', 'fe80::ab', 254, 4, 1024)] };
  for (const iface of ['eth0v0', 'eth0v1'] as const) {
    const table = TABLES[iface][0];
    k.rules.push(...addressRules(`${ADDR6[iface]}/128`, ['2001:db8:1::/64'], table, 1000).map((r) => seen(r)));
    k.routes.push(route6('::/0', iface, 'fe80::1', table, 213), route6('2001:db8:1::/64', iface, null, table, 213), route6('2001:db8:1::/64', iface, null, 254, 9, 1003));
  }
  return k;
}

interface Box {
  kernel: Kernel;
  kernel6: Kernel;
  /** Rules of other programs, as `ip -N -j rule show` prints them. */
  foreign: Record<Family, Record<string, unknown>[]>;
  /** Configured interfaces the kernel does not have. */
  gone: string[];
  addr6: Record<string, string[]>;
  sysctl6: Record<string, { forwarding: number | null; forwardingAll: number | null; acceptRa: number | null }>;
  rp: Record<string, number>;
  configs: Record<string, Config | null>;
  leases: Record<string, string | null>;
  tableRegistered: Record<string, boolean>;
  hookMode: Record<string, Partial<InterfaceFacts['hook']>>;
  dhcpcdConf: string | null;
  dispatcherBlock: boolean;
  networkd: Facts['networkd'];
  service: ServiceFacts | null;
  nmLeases: Facts['nmLeases'];
  clients: Record<string, DhcpClient[]>;
  /** Addresses the kernel has on each interface (default: its lease's). */
  addresses: Record<string, string[]>;
  clientStart: string | null;
  /** The installed list's stack per interface (install --parent). */
  stacks: Record<string, Stack>;
}

/** Debian's dhcpcd.service, as running.ts and dhcp-clients.ts see it. */
const MANAGER: DhcpClient = { pid: 812, program: 'dhcpcd', ifaces: 'all', families: [4, 6], startedMs: 1_000 };
const DHCLIENT: DhcpClient = { pid: 990, program: 'dhclient', ifaces: ['eth0v0'], families: [4], startedMs: 2_000 };
/** ifupdown's `inet6 dhcp`: dhclient -6 beside the -4 one. */
const DHCLIENT6: DhcpClient = { ...DHCLIENT, pid: 991, families: [6] };

/** Debian 12's dhcpcd.service with srcroute's drop-in (test/units/debian-12). */
const DEBIAN_SERVICE: ServiceFacts = {
  unit: '/lib/systemd/system/dhcpcd.service',
  noJit: true,
  hidesHome: true,
  readOnlyRun: true,
  writable: ['/var/lib/dhcpcd', '/run/dhcpcd', '/etc/wpa_supplicant', '/etc/dhcpcd.conf', '/etc/resolv.conf', '/run/srcroute'],
  // written before the manager below started (1_000)
  newestDropIn: { path: '/etc/systemd/system/dhcpcd.service.d/srcroute.conf', writtenMs: 500 },
};
const NVM_NODE = '/root/.nvm/versions/node/v20.20.2/bin/node';

function healthyBox(): Box {
  return {
    kernel: healthyKernel(),
    kernel6: healthyKernel6(),
    foreign: { 4: [], 6: [] },
    gone: [],
    addr6: { eth0v0: [ADDR6.eth0v0], eth0v1: [ADDR6.eth0v1] },
    sysctl6: { eth0v0: { forwarding: 0, forwardingAll: 0, acceptRa: 0 }, eth0v1: { forwarding: 0, forwardingAll: 0, acceptRa: 0 } },
    rp: { all: 2, eth0v0: 2, eth0v1: 2 },
    configs: { eth0v0: config(123, 'pub'), eth0v1: config(124, 'pub1') },
    leases: { ...LEASES },
    tableRegistered: { eth0v0: true, eth0v1: true },
    hookMode: {},
    dhcpcdConf: DHCPCD_CONF,
    dispatcherBlock: true,
    networkd: { running: false, manageForeignRules: true, setIn: null, startedBeforeConfig: false },
    service: { ...DEBIAN_SERVICE, writable: [...DEBIAN_SERVICE.writable] },
    nmLeases: [],
    clients: { eth0v0: [MANAGER], eth0v1: [MANAGER] },
    addresses: { eth0v0: [LEASES.eth0v0], eth0v1: [LEASES.eth0v1] },
    clientStart: null,
    stacks: {},
  };
}


/**
 * The kernel's answer to `route get TO from ADDR`, from the box's model: the first rule that
 * matches decides; a lookup finds the table's most specific route holding TO, or goes on.
 */
function routeGet(box: Box, c: RouteCheck): RouteAnswer {
  const k = c.family === 4 ? box.kernel : box.kernel6;
  const rules = parsePolicy([...k.rules.map(ruleJson), ...box.foreign[c.family]], c.family).sort((a, b) => a.priority - b.priority);
  for (const r of rules.filter((x) => x.matches(c.address, c.to))) {
    if (r.action !== 'lookup') return { error: 'RTNETLINK answers: Network is unreachable' };
    const hit = k.routes.filter((x) => x.table === r.table && containsAddress(x.dst, c.to) && Number(x.dst.split('/')[1]) > (r.suppress ?? -1)).sort((a, b) => Number(b.dst.split('/')[1]) - Number(a.dst.split('/')[1]))[0];
    if (hit) return { table: hit.table, dev: hit.dev, gateway: hit.gateway };
  }
  return { error: 'RTNETLINK answers: Network is unreachable' };
}

function factsOf(box: Box): Facts {
  const read = (k: Kernel, addresses: Record<string, string[]>, family: Family): FamilyRead => ({
    rules: [...k.rules, ...parseRules(box.foreign[family], family)],
    routes: k.routes,
    addresses: new Map(Object.entries(addresses)),
  });
  const v4 = read(box.kernel, box.addresses, 4);
  const v6 = read(box.kernel6, box.addr6, 6);
  const interfaces = (['eth0v0', 'eth0v1'] as const).map((iface): InterfaceFacts => {
    const cfg = box.configs[iface] ?? null;
    const address = box.leases[iface];
    const state = interfaceState(
      {
        iface,
        config: cfg,
        lease: address ? { lease: { address, prefix: 24, gateway: '100.64.0.1', onlink: false }, source: `/var/lib/dhcpcd/${iface}.lease` } : null,
        problem: cfg === null ? `invalid TABLE "nope" in /etc/srcroute/${iface}.env: not a table number` : null,
        rpFilter: { all: box.rp.all ?? null, iface: box.rp[iface] ?? null },
      },
      v4,
      v6,
    );
    const routes = cfg === null ? [] : [...(state.ipv4 ? routeChecks(4, state.ipv4, iface, cfg) : []), ...(state.ipv6 ? routeChecks(6, state.ipv6, iface, cfg) : [])];
    for (const c of routes) c.answer = routeGet(box, c);
    const hook = { path: `/etc/dhcpcd/${iface}.exit-hook`, exists: true, executable: true, rootOwned: true, writableByOthers: false, interpreter: '/usr/bin/node', interpreterExists: true, interpreterReal: '/usr/bin/node', nodeFlags: ['--jitless', '--no-expose-wasm'], bundle: null, bundleExists: false, ...box.hookMode[iface] };
    const sysctl = box.sysctl6[iface]!;
    return {
      state, config: cfg, tableValue: TABLES[iface][1], tableRegistered: box.tableRegistered[iface] ?? true, hook,
      clients: box.clients[iface] ?? [], addresses: box.addresses[iface] ?? [], clientStart: box.clientStart, stack: box.stacks[iface] ?? null,
      parent: 'eth0',
      exists: !box.gone.includes(iface),
      routes,
      sysctl6: state.ipv6 === null ? null : { forwarding: (sysctl.forwarding ?? sysctl.forwardingAll ?? 0) === 1, acceptRa: sysctl.acceptRa },
      forward: null,
    };
  });
  return {
    interfaces,
    packaged: false,
    globalProblem: null,
    protocol: 213,
    kernel: { 4: v4, 6: v6 },
    policy: { 4: parsePolicy([...box.kernel.rules.map(ruleJson), ...box.foreign[4]], 4), 6: parsePolicy([...box.kernel6.rules.map(ruleJson), ...box.foreign[6]], 6) },
    tables: new Map([['pub', 123], ['pub1', 124]]),
    dispatcher: { path: '/etc/dhcpcd.exit-hook', hasBlock: box.dispatcherBlock, dhclient: false },
    dhcpcdConf: box.dhcpcdConf === null ? null : { path: '/etc/dhcpcd.conf', text: box.dhcpcdConf },
    networkd: box.networkd,
    dhcpcdService: box.service,
    processes: [],
    nmLeases: box.nmLeases,
  };
}

const leftover = (from: string, priority: number, table = 123): SeenRule => seen(makeRule({ from: `${from}/32`, table, priority }), 0);
/** eth0v0's source rule (the last of its block). */
const sourceRule = (rules: SeenRule[]): SeenRule => rules.find((r) => r.from === '100.64.0.50/32' && r.table === 123 && r.to === '0.0.0.0/0')!;

const DROP_IN = '/etc/systemd/networkd.conf.d/srcroute.conf';

const CASES: [string, (b: Box) => void, string[]][] = [
  ['healthy', () => {}, []],
  ['rule flushed', (b) => (b.kernel.rules = b.kernel.rules.filter((r) => r.from !== '100.64.0.50/32')), ['eth0v0 local-missing', 'eth0v0 rule-missing']],
  ['table flushed', (b) => (b.kernel.routes = b.kernel.routes.filter((r) => r.table !== 123)), ['eth0v0 route-missing', 'eth0v0 route-missing']],
  ['gateway changed', (b) => (b.kernel.routes.find((r) => r.table !== 254 && r.dst === '0.0.0.0/0')!.gateway = '100.64.0.2'), ['eth0v0 route-wrong']],
  ['stale rule after renumbering', (b) => b.kernel.rules.push(seen(makeRule({ from: '100.64.0.77/32', table: 123, priority: 1000 }))), ['eth0v0 rule-stale']],
  ['no lease but rules left', (b) => ((b.leases.eth0v0 = null), (b.addresses.eth0v0 = [])), ['eth0v0 local-stale', 'eth0v0 rule-stale', 'eth0v0 route-stale', 'eth0v0 route-stale']],
  ['no DHCP client runs', (b) => (b.clients.eth0v0 = []), ['eth0v0 no-dhcp-client']],
  ['no DHCP client runs (ifupdown)', (b) => ((b.clients.eth0v1 = []), (b.clientStart = 'ifdown --force eth0v1; ifup eth0v1')), ['eth0v1 no-dhcp-client']],
  ['dhcpcd.service and ifup\'s dhclient both lease it', (b) => (b.clients.eth0v0 = [MANAGER, DHCLIENT]), ['eth0v0 two-dhcp-clients']],
  ['two per-interface clients', (b) => (b.clients.eth0v0 = [{ ...MANAGER, ifaces: ['eth0v0'] }, DHCLIENT]), ['eth0v0 two-dhcp-clients']],
  ["ifup's dhclient -4 and dhclient -6: one per family", (b) => (b.clients.eth0v0 = [DHCLIENT, DHCLIENT6]), []],
  ['two dhclient -6', (b) => (b.clients.eth0v0 = [DHCLIENT, DHCLIENT6, { ...DHCLIENT6, pid: 992 }]), ['eth0v0 two-dhcp-clients']],
  ['an address without its rule, no lease known', (b) => {
    b.leases.eth0v0 = null;
    b.kernel.rules = b.kernel.rules.filter((r) => r.from !== '100.64.0.50/32');
    b.kernel.routes = b.kernel.routes.filter((r) => r.table !== 123);
  }, ['eth0v0 address-without-rule']],
  ['dhclient alone: dhcpcd.conf does not matter', (b) => ((b.dhcpcdConf = 'noarp\n'), (b.clients.eth0v0 = [DHCLIENT])), ['eth0v1 nogateway']],
  ['table name deleted', (b) => (b.tableRegistered.eth0v1 = false), ['eth0v1 table-name']],
  ['rp_filter strict', (b) => (b.rp.eth0v1 = 1), []],
  ['rp_filter strict (all=0)', (b) => ((b.rp.all = 0), (b.rp.eth0v1 = 1)), ['eth0v1 rp-filter']],
  ['rp_filter strict via all', (b) => ((b.rp.all = 1), (b.rp.eth0v0 = 0)), ['eth0v0 rp-filter']],
  ['the original hook\'s duplicates', (b) => b.kernel.rules.push(leftover('100.64.0.50', 999), leftover('100.64.0.50', 998)), ['eth0v0 leftover-rules']],
  ['nogateway dropped', (b) => (b.dhcpcdConf = 'interface eth0v0\ninterface eth0v1\n  nogateway\n'), ['eth0v0 nogateway']],
  ['no interface block', (b) => (b.dhcpcdConf = 'noarp\n'), ['eth0v0 nogateway', 'eth0v1 nogateway']],
  ['global nogateway', (b) => (b.dhcpcdConf = 'nogateway\n'), []],
  ['no dhcpcd.conf (dhclient)', (b) => (b.dhcpcdConf = null), []],
  ['shared table', (b) => (b.configs.eth0v1 = config(123, 'pub')), ['- shared-table', 'eth0v1 route-wrong', 'eth0v1 route-wrong', 'eth0v1 rule-missing', 'eth0v1 rule-stale', 'eth0v1 local-missing', 'eth0v1 local-stale',
    'eth0v1 ipv6-route-wrong', 'eth0v1 ipv6-route-wrong', 'eth0v1 ipv6-rule-missing', 'eth0v1 ipv6-rule-stale', 'eth0v1 ipv6-local-missing', 'eth0v1 ipv6-local-stale']],
  ['hook missing', (b) => (b.hookMode.eth0v0 = { exists: false }), ['eth0v0 hook']],
  ['hook node gone', (b) => (b.hookMode.eth0v0 = { interpreterExists: false }), ['eth0v0 hook']],
  ['hook bundle gone (an earlier version\'s launcher)', (b) => (b.hookMode.eth0v0 = { bundle: '/usr/local/lib/srcroute/srcroute.cjs', bundleExists: false }), ['eth0v0 hook']],
  ['dhcpcd.service denies the JIT the hook needs', (b) => (b.hookMode.eth0v0 = { nodeFlags: [] }), ['eth0v0 service-jit']],
  ['no dhcpcd.service: the JIT is fine', (b) => ((b.service = null), (b.hookMode.eth0v0 = { nodeFlags: [] })), []],
  ['dhcpcd.service lets the JIT be', (b) => ((b.service!.noJit = false), (b.hookMode.eth0v0 = { nodeFlags: [] })), []],
  ['nvm\'s node under dhcpcd.service', (b) => (b.hookMode.eth0v1 = { interpreter: NVM_NODE, interpreterReal: NVM_NODE }), ['eth0v1 service-home']],
  ['a node linked from /home', (b) => (b.hookMode.eth0v1 = { interpreter: '/usr/local/bin/node', interpreterReal: '/home/u/node/bin/node' }), ['eth0v1 service-home']],
  ['nvm\'s node, ProtectHome=no in a drop-in', (b) => ((b.service!.hidesHome = false), (b.hookMode.eth0v1 = { interpreter: NVM_NODE, interpreterReal: NVM_NODE })), []],
  ['dhcpcd.service without srcroute\'s drop-in', (b) => (b.service!.writable = b.service!.writable.filter((p) => p !== '/run/srcroute')), ['- service-lock']],
  ['dispatcher block missing', (b) => (b.dispatcherBlock = false), ['- dispatcher']],
  ['dhcpcd.service started before srcroute\'s drop-in was written (a restart is pending)', (b) => (b.service!.newestDropIn = { path: '/etc/systemd/system/dhcpcd.service.d/srcroute.conf', writtenMs: 5_000 }), ['- service-restart']],
  ['the drop-in written within 10 ms of the start (the start time\'s grain): nothing pending', (b) => (b.service!.newestDropIn = { path: '/etc/systemd/system/dhcpcd.service.d/srcroute.conf', writtenMs: 1_005 }), []],
  ['networkd would delete the rules', (b) => (b.networkd = { running: true, manageForeignRules: true, setIn: null, startedBeforeConfig: false }), ['- networkd-foreign-rules']],
  ['networkd told not to', (b) => (b.networkd = { running: true, manageForeignRules: false, setIn: DROP_IN, startedBeforeConfig: false }), []],
  ['networkd told not to, but it started before', (b) => (b.networkd = { running: true, manageForeignRules: false, setIn: DROP_IN, startedBeforeConfig: true }), ['- networkd-restart']],
  ['networkd not running (its files say yes)', (b) => (b.networkd = { running: false, manageForeignRules: true, setIn: null, startedBeforeConfig: false }), []],
  ['NetworkManager leases eth0v0 itself', (b) => (b.nmLeases = [{ iface: 'eth0v0', connection: 'srcroute-eth0v0' }]), ['eth0v0 nm-dhcp']],
  ['bad config', (b) => (b.configs.eth0v1 = null), ['eth0v1 config']],
  ['IPv6 rule flushed', (b) => (b.kernel6.rules = b.kernel6.rules.filter((r) => r.table !== 123)), ['eth0v0 ipv6-local-missing', 'eth0v0 ipv6-rule-missing']],
  ['a new IPv6 address without its rule', (b) => b.addr6.eth0v1!.push('2001:db8:2::51'), ['eth0v1 ipv6-local-missing', 'eth0v1 ipv6-rule-missing']],
  ['IPv6 address gone, its rule left', (b) => (b.addr6.eth0v0 = []), ['eth0v0 ipv6-local-stale', 'eth0v0 ipv6-rule-stale']],
  ['IPv6 table flushed: no router known, the rule is stale', (b) => (b.kernel6.routes = b.kernel6.routes.filter((r) => r.table !== 123)), ['eth0v0 ipv6-local-stale', 'eth0v0 ipv6-rule-stale']],
  ['dhcpcd without nogateway: the RA default in main beats the LAN', (b) => b.kernel6.routes.push(route6('::/0', 'eth0v0', 'fe80::1', 254, 9, 1003)), ['eth0v0 ipv6-main-default']],
  ['the kernel\'s RA default in main, above the LAN\'s metric', (b) => b.kernel6.routes.push(route6('::/0', 'eth0v0', 'fe80::1', 254, 9, 2048)), []],
  ['IPv6 forwarding without accept_ra=2', (b) => (b.sysctl6.eth0v1 = { forwarding: 1, forwardingAll: 1, acceptRa: 1 }), ['eth0v1 ipv6-accept-ra']],
  ['IPv6 forwarding with accept_ra=2', (b) => (b.sysctl6.eth0v1 = { forwarding: 1, forwardingAll: 1, acceptRa: 2 }), []],
  ['IPV6=no: its table is not judged, but an address it holds, and a default in main through it, still are', (b) => ((b.configs.eth0v0 = { ...config(123, 'pub'), ipv6: false }), (b.kernel6.rules = b.kernel6.rules.filter((r) => r.table !== 123)), b.kernel6.routes.push(route6('::/0', 'eth0v0', 'fe80::1', 254, 9, 1003))), ['eth0v0 ipv6-address-without-rule', 'eth0v0 ipv6-main-default']],
  ['IPV6=no, no IPv6 address: nothing', (b) => ((b.configs.eth0v0 = { ...config(123, 'pub'), ipv6: false }), (b.kernel6.rules = b.kernel6.rules.filter((r) => r.table !== 123)), (b.addr6.eth0v0 = [])), []],
  ['a rule with the wrong preference', (b) => (sourceRule(b.kernel.rules).priority = 900), ['eth0v0 rule-wrong']],
  ['a second copy of the rule', (b) => b.kernel.rules.push(seen(makeRule({ from: '100.64.0.50/32', table: 123, priority: 1000 }))), ['eth0v0 rule-stale']],
  ['a stale connected route (an old subnet)', (b) => b.kernel.routes.push(route4('100.64.9.0/24', 'eth0v0', null, 123, 213)), ['eth0v0 route-stale']],
  ['an IPv6 address with no router known and no rule', (b) => ((b.kernel6.rules = b.kernel6.rules.filter((r) => r.table !== 123)), (b.kernel6.routes = b.kernel6.routes.filter((r) => r.table !== 123))), ['eth0v0 ipv6-address-without-rule']],
  ['a foreign catch-all before srcroute\'s rules', (b) => {
    b.foreign[4].push({ priority: 500, src: 'all', table: '200' });
    b.kernel.routes.push(route4('0.0.0.0/0', 'lan0', '192.168.1.254', 200, 3));
  }, ['eth0v0 route-shadowed', 'eth0v1 route-shadowed']],
  ['a foreign catch-all before srcroute\'s, its table empty: the lookup goes on to srcroute\'s', (b) => b.foreign[4].push({ priority: 500, src: 'all', table: '200' }), []],
  ['wg-quick: not fwmark 51820 table 51820 and main suppress_prefixlength 0, just before srcroute\'s', (b) => {
    b.foreign[4].push({ priority: 998, src: 'all', table: '254', suppress_prefixlen: 0 }, { priority: 999, not: null, src: 'all', fwmark: '0xca6c', table: '51820' });
    b.kernel.routes.push(route4('0.0.0.0/0', 'wg0', null, 51820, 3));
  }, ['eth0v0 route-shadowed', 'eth0v1 route-shadowed']],
  ['a mesh VPN\'s fwmark rules at 5210-5270, after srcroute\'s', (b) => {
    b.foreign[4].push({ priority: 5210, src: 'all', fwmark: '0x80000', fwmask: '0xff0000', table: '254' }, { priority: 5230, src: 'all', fwmark: '0x80000', fwmask: '0xff0000', table: '253' }, { priority: 5250, src: 'all', table: '253', action: '7' }, { priority: 5270, src: 'all', table: '52' });
    b.kernel.routes.push(route4('0.0.0.0/0', 'tailscale0', null, 52, 3));
  }, []],
  ['an unreachable rule before srcroute\'s for one address', (b) => b.foreign[4].push({ priority: 700, src: '100.64.0.51', action: '7' }), ['eth0v1 route-shadowed']],
  ['an IPv6 catch-all before srcroute\'s', (b) => {
    b.foreign[6].push({ priority: 500, src: 'all', table: '200' });
    b.kernel6.routes.push(route6('::/0', 'lan0', 'fe80::ab', 200, 3));
  }, ['eth0v0 route-shadowed', 'eth0v1 route-shadowed']],
  ['a configured macvlan that does not exist', (b) => b.gone.push('eth0v1'), ['eth0v1 link-missing']],
  ['the macvlans sit on the LAN\'s port: named, and its default left alone', (b) => {
    b.kernel.routes = b.kernel.routes.filter((r) => !(r.table === 254 && r.dst === '0.0.0.0/0'));
    b.kernel.routes.push(route4('0.0.0.0/0', 'eth0', '192.168.1.1', 254, 16, 100));
  }, ['eth0v0 parent-is-lan']],
  ['a second IPv4 default in main, through the macvlan', (b) => b.kernel.routes.push(route4('0.0.0.0/0', 'eth0v0', '100.64.0.1', 254, 16, 1003)), ['eth0v0 main-default']],
  // behind the LAN's default (1024): one ahead of it makes eth0 a LAN link (src/operator/lan.ts), whose default no fix touches
  ['an IPv6 default in main through the modem\'s own port (NetworkManager\'s): one finding, whichever macvlans share the port', (b) => b.kernel6.routes.push(route6('::/0', 'eth0', 'fe80::1', 254, 9, 1025)), ['eth0v0 ipv6-main-default']],
];

describe('diagnose', () => {
  it.each(CASES)('%s', (_, breakIt, want) => {
    const box = healthyBox();
    breakIt(box);
    const got = diagnose(factsOf(box)).map((f) => `${f.iface ?? '-'} ${f.id}`);
    expect(got.sort()).toEqual([...want].sort());
  });

  it('no fix runs a dhcpcd control command unless a dhcpcd runs for the interface (it would start one)', () => {
    for (const [name, breakIt] of CASES) {
      const box = healthyBox();
      breakIt(box);
      box.clients = { eth0v0: [], eth0v1: [DHCLIENT] };
      for (const f of diagnose(factsOf(box))) {
        for (const line of f.fix) expect(line, `${name}: ${f.id}`).not.toMatch(/\bdhcpcd\s+-/);
      }
    }
  });

  it('an IPv6 default in main through the macvlan: deleted by device, gateway, protocol and metric; never by a delete that could take the LAN\'s nexthop-object default', () => {
    const fixOf = (lanNhid: number | null) => {
      const box = healthyBox();
      box.kernel6.routes = box.kernel6.routes.map((r) => (r.dev === 'lan0' ? { ...r, protocol: 9, nhid: lanNhid } : r));
      box.kernel6.routes.push(route6('::/0', 'eth0v0', 'fe80::1', 254, 9, 1024));
      return diagnose(factsOf(box)).find((f) => f.id === 'ipv6-main-default')!.fix;
    };
    expect(fixOf(null)[0]).toBe('ip -6 route del default via fe80::1 dev eth0v0 proto ra metric 1024 table main');
    expect(fixOf(7)[0]).toMatch(/^sysctl -w net.ipv6.conf.eth0v0.disable_ipv6=1 && sysctl -w net.ipv6.conf.eth0v0.disable_ipv6=0 /);
    expect(fixOf(7).join('\n')).not.toMatch(/ip -6 route del/);
  });

  it('a shadowing rule: its preference, selector and table named, and srcroute\'s rules moved before every other', () => {
    const box = healthyBox();
    box.foreign[4].push({ priority: 998, src: 'all', table: '254', suppress_prefixlen: 0 }, { priority: 999, not: null, src: 'all', fwmark: '0xca6c', table: '51820' });
    box.kernel.routes.push(route4('0.0.0.0/0', 'wg0', null, 51820, 3));
    const f = diagnose(factsOf(box)).find((x) => x.id === 'route-shadowed' && x.iface === 'eth0v0')!;
    expect(f.problem).toBe('packets from 100.64.0.50 go via the link dev wg0 (table 51820), not via 100.64.0.1 dev eth0v0 (table pub): rule "999: not from all fwmark 0xca6c lookup 51820" decides them before srcroute\'s (pref 998)');
    expect(f.fix).toEqual(['echo PRIORITY=997 >> /etc/srcroute/eth0v0.env && srcroute sync eth0v0   # srcroute\'s rules before every other one']);
  });

  it('with the Debian package installed, the fixes run its `srcroute install`, not install.sh', () => {
    const box = healthyBox();
    box.hookMode.eth0v0 = { exists: false };
    box.dhcpcdConf = 'noarp\n';
    const facts = { ...factsOf(box), packaged: true };
    const fixes = diagnose(facts).flatMap((f) => f.fix);
    expect(fixes).toContain('sudo srcroute install eth0v0');
    expect(fixes).toContain('sudo srcroute install --configure-dhcpcd eth0v1');
    expect(fixes.join('\n')).not.toMatch(/install\.sh/);
  });

  it('two clients: named in the order they started, whatever their pids; the one started last is the one to stop', () => {
    const box = healthyBox();
    const first = { ...DHCLIENT, pid: 865, startedMs: 1_000 };
    box.clients.eth0v0 = [{ ...DHCLIENT6, pid: 1141, families: [4], startedMs: 3_000 }, first];
    const f = diagnose(factsOf(box)).find((x) => x.id === 'two-dhcp-clients')!;
    expect(f.problem).toMatch(/^2 DHCP clients lease it \(dhclient \(eth0v0; pid 865\), dhclient \(eth0v0; pid 1141\)\)/);
    expect(f.fix).toEqual(['kill 1141   # the dhclient started last']);
  });

  // [case, the link gone?, its stack in the installed list, the ifupdown stanza's start, the fix]
  const RESTARTS: [string, boolean, Stack | null, string | null, string][] = [
    ['NetworkManager, `nmcli connection down`: install again (the recorded parent, VLAN or not)', true, 'nm', null, 'sudo srcroute install eth0v0   # makes eth0v0 again the way install set it up'],
    ['networkd, the link deleted', true, 'networkd', null, 'sudo srcroute install eth0v0   # makes eth0v0 again the way install set it up'],
    ['ifupdown, the link deleted: install runs its ifup', true, 'ifupdown', "systemctl restart 'srcroute-dhcpcd@eth0v0.service'", 'sudo srcroute install eth0v0   # makes eth0v0 again the way install set it up'],
    ['NetworkManager, the link there, dhcpcd dead: its unit', false, 'nm', null, "systemctl restart 'srcroute-dhcpcd@eth0v0.service'"],
    ['networkd, the link there, dhcpcd dead: its unit', false, 'networkd', null, "systemctl restart 'srcroute-dhcpcd@eth0v0.service'"],
    ['ifupdown, the link there: the stanza\'s own start', false, 'ifupdown', 'ifdown --force eth0v0; ifup eth0v0', 'ifdown --force eth0v0; ifup eth0v0'],
    ['a link of the admin\'s, gone: the parent is not known', true, null, null, "sudo srcroute install --parent PARENT eth0v0   # PARENT: the modem's interface"],
  ];
  it.each(RESTARTS)('no DHCP client: %s', (_, gone, stack, start, fix) => {
    const box = healthyBox();
    box.clients.eth0v0 = [];
    if (gone) box.gone.push('eth0v0');
    if (stack !== null) box.stacks.eth0v0 = stack;
    box.clientStart = start;
    const findings = diagnose({ ...factsOf(box), packaged: true }).filter((f) => f.iface === 'eth0v0');
    const ids = gone ? ['link-missing', 'no-dhcp-client'] : ['no-dhcp-client'];
    for (const id of ids) expect(findings.find((f) => f.id === id)?.fix, id).toEqual([fix]);
  });

  it('every finding carries a fix', () => {
    for (const [, breakIt] of CASES) {
      const box = healthyBox();
      breakIt(box);
      for (const f of diagnose(factsOf(box))) expect(f.fix.length, f.id).toBeGreaterThan(0);
    }
  });

  it('the whole report, everything broken at once (golden)', () => {
    const box = healthyBox();
    for (const [name, breakIt] of CASES) if (!/healthy|global|dhclient|told not|not running|shared|bad config|via all|no interface block|no lease|JIT is fine|lets the JIT|ProtectHome=no|linked from|IPV6=no|with accept_ra|DHCP client runs|per-interface/.test(name)) breakIt(box);
    const text = `${renderFindings(diagnose(factsOf(box)), ['eth0v0', 'eth0v1']).join('\n')}\n`;
    expect(text).toBe(golden('check-everything-broken.txt', text));
    expect(renderFindings([], ['eth0v0'])).toEqual(['srcroute check: no problem found (eth0v0)']);
  });

  it('what only the kernel knows (golden): a shadowing rule, defaults in main through the macvlan and the modem\'s port, an IPv6 address nothing routes', () => {
    const box = healthyBox();
    box.foreign[4].push({ priority: 998, src: 'all', table: '254', suppress_prefixlen: 0 }, { priority: 999, not: null, src: 'all', fwmark: '0xca6c', table: '51820' });
    box.kernel.routes.push(route4('0.0.0.0/0', 'wg0', null, 51820, 3), route4('0.0.0.0/0', 'eth0v1', '100.64.0.1', 254, 16, 1004));
    box.kernel6.routes = box.kernel6.routes.map((r) => (r.dev === 'lan0' ? { ...r, protocol: 9, nhid: 7 } : r));
    box.kernel6.routes.push(route6('::/0', 'eth0', 'fe80::1', 254, 9, 1025), route6('::/0', 'eth0v0', 'fe80::1', 254, 9, 1024));
    box.configs.eth0v1 = { ...config(124, 'pub1'), ipv6: false };
    box.kernel6.rules = box.kernel6.rules.filter((r) => r.table !== 124);
    const text = `${renderFindings(diagnose(factsOf(box)), ['eth0v0', 'eth0v1']).join('\n')}\n`;
    expect(text).toBe(golden('check-kernel-answers.txt', text));
  });
});

describe('status view (golden)', () => {
  it('table and JSON', () => {
    const box = healthyBox();
    box.kernel.rules.push(leftover('100.64.0.51', 999, 124));
    box.rp.eth0v1 = 1;
    box.rp.all = 0;
    box.leases.eth0v0 = null;
    box.addr6.eth0v1!.push('2001:db8:2::51');
    const states = factsOf(box).interfaces.map((f) => f.state);
    const table = `${renderStatusTable(states).join('\n')}\n`;
    expect(table).toBe(golden('status-table.txt', table));
    const json = `${renderStatusJson(states)}\n`;
    expect(json).toBe(golden('status.json', json));
  });
});

describe('dhcpcd.conf and networkd.conf', () => {
  it.each([
    ['interface eth0v0\n  nogateway\n', true],
    ['nogateway\ninterface eth0v0\n', true],
    ['interface eth0v1\n  nogateway\ninterface eth0v0\n', false],
    ['interface eth0v0\n  # nogateway\n', false],
    ['interface eth0v0\nssid home\n  nogateway\n', false],
  ])('%j -> nogateway %s', (text, want) => {
    expect(hasNogateway(text, 'eth0v0')).toBe(want);
  });

  it.each([
    [[], true, null],
    [[['/etc/systemd/networkd.conf', '[Network]\nManageForeignRoutingPolicyRules=no\n']], false, '/etc/systemd/networkd.conf'],
    [[['/etc/systemd/networkd.conf', '[DHCPv4]\nManageForeignRoutingPolicyRules=no\n']], true, null],
    [[['a', '[Network]\nManageForeignRoutingPolicyRules=no\n'], ['b', '[Network]\nManageForeignRoutingPolicyRules=yes\n']], true, 'b'],
  ] as [string[][], boolean, string | null][])('%j', (files, value, setIn) => {
    expect(manageForeignRules(files.map(([path, text]) => ({ path: path!, text: text! })))).toEqual({ value, setIn });
  });
});
