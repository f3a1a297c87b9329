// The edge that gathers what `status` and `check` judge: config, leases, one `ip` session per
// family (every rule, every route, every address, then `route get` for each routed address),
// rp_filter, hook files, dhcpcd.conf, networkd's settings. Everything it finds goes into plain
// data; the judging (judge.ts, with the hook's own plan, and diagnose.ts) is pure.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS, readLayers, resolveConfig, type Config, type Layer } from '../hook/config.js';
import { InputError } from '../shared/errors.js';
import { readEvent } from '../hook/event.js';
import { readText, statOf } from '../shared/files.js';
import { readForward, type ForwardFacts } from './forward-check.js';
import { configuredInterfaces, managedInterface } from './interfaces.js';
import { interfaceState, type InterfaceInput, type InterfaceState } from './judge.js';
import type { FamilyRead } from '../hook/kernel-state.js';
import { parseRules } from '../kernel/rule.js';
import { leaseEnv } from '../hook/lease.js';
import { readLease } from './lease-source.js';
import { readNetworkd, type NetworkdFacts } from './networkd.js';
import { parseAddresses, parseLinks, parseMetricRoutes, type Family } from '../kernel/kernel.js';
import { isNoIPv6 } from '../kernel/ip-batch.js';
import type { IpSession } from '../kernel/ip.js';
import { readProcesses, type Proc } from './running.js';
import { nmLeases, type NmLease } from './nm-dhcp.js';
import { clientsOf, dhcpClients, type DhcpClient } from './dhcp-clients.js';
import { clientStart } from './stacks/ifupdown.js';
import type { OperatorDeps } from './deps.js';
import { INSTALLED_LIST, PACKAGE_DIST } from '../shared/paths.js';
import { InstalledList } from '../shared/installed-list.js';
import { STACKS, type Stack } from './stacks/plan.js';
import { readService, type ServiceFacts } from './dhcpcd-service.js';
import { parsePolicy, type PolicyRule } from './policy.js';
import { routeAnswer, routeChecks, routeQuery, type RouteCheck } from './route-probe.js';

export interface HookFile {
  path: string;
  exists: boolean;
  executable: boolean;
  rootOwned: boolean;
  writableByOthers: boolean;
  /**
   * The node of the `#!` line (`#!NODE FLAG` or the installer's `#!/usr/bin/env -S NODE FLAGS...`),
   * whether it exists, where it really is (symlinks resolved), and its flags; null: no `#!`.
   */
  interpreter: string | null;
  interpreterExists: boolean;
  interpreterReal: string | null;
  nodeFlags: string[];
  /** The bundle an earlier installer's launcher loads (`require("…")`), and whether it exists. */
  bundle: string | null;
  bundleExists: boolean;
}

export interface InterfaceFacts {
  state: InterfaceState;
  config: Config | null;
  /** TABLE as configured (a name or a number), and whether a name is registered. */
  tableValue: string;
  tableRegistered: boolean;
  hook: HookFile;
  /** The DHCP clients that run for it (running.ts, dhcp-clients.ts). */
  clients: DhcpClient[];
  /** Its IPv4 addresses, as the kernel has them. */
  addresses: string[];
  /** The command that (re)starts its DHCP client the way this box does at boot, when known. */
  clientStart: string | null;
  /** The stack `install --parent` set its link up with, null for a link of the admin's. */
  stack: Stack | null;
  /** The link it sits on (a macvlan's parent: the modem's port), when known. */
  parent: string | null;
  /** The kernel has the link (a configured macvlan that was never made, or was deleted, has not). */
  exists: boolean;
  /** Where the kernel really sends packets from each address srcroute routes (`ip route get`). */
  routes: RouteCheck[];
  /** IPv6 forwarding (its own or `all`) and accept_ra, read only where IPv6 is handled. */
  sysctl6: { forwarding: boolean; acceptRa: number | null } | null;
  /** FORWARD=yes: its nft table (forward-check.ts); null with FORWARD=no. */
  forward: ForwardFacts | null;
}

export interface Facts {
  interfaces: InterfaceFacts[];
  /**
   * The Debian package is installed: `srcroute install` is the installer (else install.sh from the release or clone).
   */
  packaged: boolean;
  /** srcroute.env could not be used. */
  globalProblem: string | null;
  protocol: number;
  /** Each family's whole kernel: every rule, every route of every table, every global address. */
  kernel: Record<Family, FamilyRead>;
  /** Each family's policy rules, for the rule that decided a `route get`. */
  policy: Record<Family, PolicyRule[]>;
  /** Table numbers by name, as registered. */
  tables: ReadonlyMap<string, number>;
  dispatcher: { path: string; hasBlock: boolean; dhclient: boolean };
  dhcpcdConf: { path: string; text: string } | null;
  networkd: NetworkdFacts;
  /** Debian's dhcpcd.service, where its hooks run; null when it is not installed. */
  dhcpcdService: ServiceFacts | null;
  /** What runs in our network namespace (the stacks, the DHCP clients). */
  processes: Proc[];
  /** Configured interfaces NetworkManager leases itself. */
  nmLeases: NmLease[];
}

/** The marker lines of srcroute's block in /etc/dhcpcd.exit-hook (srcroute install writes them). */
export const DISPATCHER_MARKER = '# >>> srcroute >>>';

/**
 * The node of a launcher's `#!` line and its flags (`#!NODE` for the srcroute command,
 * `#!/usr/bin/env -S NODE FLAGS...` for the hooks: install/texts.ts launcher()), and the shared
 * bundle an earlier version's launcher loaded (`require("...")`; null for the whole bundle).
 */
export function parseLauncher(text: string): {
  interpreter: string | null;
  nodeFlags: string[];
  bundle: string | null;
} {
  const first = text.split('\n', 1)[0] ?? '';
  const words = first.startsWith('#!') ? first.slice(2).trim().split(/\s+/) : null;
  const viaEnv = words !== null && words[0]?.endsWith('/env') === true && words[1] === '-S';
  return {
    interpreter: words === null ? null : (words[viaEnv ? 2 : 0] ?? ''),
    nodeFlags: words === null ? [] : words.slice(viaEnv ? 3 : 1),
    bundle: /^require\("([^"]+)"\);$/m.exec(text)?.[1] ?? null,
  };
}

function hookFile(path: string): HookFile {
  const stat = statOf(path);
  const { interpreter, nodeFlags, bundle } = parseLauncher(readText(path) ?? '');
  let real: string | null = null;
  try {
    real = interpreter === null ? null : realpathSync(interpreter);
  } catch {
    // missing: interpreterExists says so
  }
  return {
    path,
    exists: stat !== null && stat.isFile(),
    executable: stat !== null && (stat.mode & 0o100) !== 0,
    rootOwned: stat !== null && stat.uid === 0,
    writableByOthers: stat !== null && (stat.mode & 0o022) !== 0,
    interpreter,
    interpreterExists: interpreter !== null && statOf(interpreter) !== null,
    interpreterReal: real,
    nodeFlags,
    bundle,
    bundleExists: bundle !== null && statOf(bundle) !== null,
  };
}

function readInt(path: string): number | null {
  const text = readText(path)?.trim();
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

const message = (e: unknown): string => {
  if (e instanceof InputError) return e.message;
  throw e;
};

/** Read a config (global, or for one interface), or say why it cannot be used. */
function configOf(
  deps: OperatorDeps,
  iface: string | null,
): { config: Config | null; layers: Layer[]; problem: string | null } {
  let layers: Layer[] = [];
  try {
    layers = readLayers(deps.configDir, iface, deps.uid);
    return { config: resolveConfig(layers, deps.tables, deps.isExecutable), layers, problem: null };
  } catch (e) {
    return { config: null, layers, problem: message(e) };
  }
}

/** The lease of `iface` as its DHCP client reports it, validated the way the hook validates it. */
async function leaseOf(
  deps: OperatorDeps,
  iface: string,
): Promise<{ lease: InterfaceInput['lease']; problem: string | null }> {
  const found = await readLease(iface, deps);
  if (found === null) return { lease: null, problem: null };
  try {
    const event = readEvent(leaseEnv(iface, found.vars));
    const want = event.action === 'follow' ? event.wants[4] : undefined;
    return { lease: want?.kind === 'lease' ? { lease: want.lease, source: found.source } : null, problem: null };
  } catch (e) {
    return { lease: null, problem: `the lease from ${found.source} is unusable: ${message(e)}` };
  }
}

/** One family's read: every rule, route and global address, and (IPv4) every link; nothing on a kernel without IPv6. */
async function readFamily(
  session: IpSession,
  family: Family,
): Promise<{ read: FamilyRead; policy: PolicyRule[]; links: Map<string, string | null> } | null> {
  try {
    const queries = [
      ['rule', 'show'],
      ['route', 'show', 'table', 'all'],
      ['addr', 'show', 'scope', 'global'],
      ...(family === 4 ? [['link', 'show']] : []),
    ];
    const answers = await session.read(queries);
    const addresses = parseAddresses(answers[2]);
    return {
      read: {
        rules: parseRules(answers[0], family),
        routes: parseMetricRoutes(answers[1], family),
        addresses,
      },
      policy: parsePolicy(answers[0], family),
      links: family === 4 ? parseLinks(answers[3]) : new Map(),
    };
  } catch (e) {
    session.kill();
    if (family === 6 && isNoIPv6(e)) return null; // a kernel without IPv6 has none to show
    throw e;
  }
}

/** Ask the kernel where each check's packets go, and end the session. */
async function ask(session: IpSession, checks: RouteCheck[]): Promise<void> {
  if (checks.length === 0) return session.close();
  const answers = await session.probe(checks.map(routeQuery));
  checks.forEach((c, i) => (c.answer = routeAnswer(answers[i]!)));
}

type Input = InterfaceInput & { layers: Layer[]; forward: ForwardFacts | null };

const EMPTY: FamilyRead = { rules: [], routes: [], addresses: new Map() };

/** Every configured interface, or just `only`. */
export async function gatherFacts(deps: OperatorDeps, only: string | null): Promise<Facts> {
  const global = configOf(deps, null);
  const fallback = global.config ?? resolveConfig([], () => new Map(), deps.isExecutable);
  const processes = readProcesses(deps.paths.proc, deps.now());
  const names =
    only === null
      ? configuredInterfaces(deps.configDir, deps.paths.dhcpcdHooks)
      : [managedInterface(only, deps.configDir, deps.paths.dhcpcdHooks)];
  const rp = (name: string): number | null => readInt(join(deps.paths.ipv4Conf, name, 'rp_filter'));

  const inputs: Input[] = [];
  for (const iface of names) {
    const { config, layers, problem } = configOf(deps, iface);
    const lease = config === null ? { lease: null, problem: null } : await leaseOf(deps, iface);
    const forward = await readForward(deps.run, deps.configDir, iface, config);
    const rpFilter = { all: rp('all'), iface: rp(iface) };
    inputs.push({ iface, config, layers, forward, lease: lease.lease, problem: problem ?? lease.problem, rpFilter });
  }

  const sessions = { 4: deps.ip(fallback, 4), 6: deps.ip(fallback, 6) };
  try {
    return await judged(deps, inputs, sessions, global.problem, fallback.protocol, names, processes);
  } finally {
    sessions[4].kill(); // done already, unless something failed on the way
    sessions[6].kill();
  }
}

/** What judged() read once for every interface: the kernel, the table names, the DHCP clients. */
interface Seen {
  kernel: Record<Family, FamilyRead>;
  ipv6: boolean;
  links: ReadonlyMap<string, string | null>;
  tables: ReadonlyMap<string, number>;
  clients: DhcpClient[];
  /** The stack each interface's link was set up with, by `install --parent` (its installed list). */
  stacks: ReadonlyMap<string, Stack>;
}

/** The installed list's `stack IFACE STACK PARENT [PORT VID]` lines: which links install set up, and with what. */
function installedStacks(deps: OperatorDeps): Map<string, Stack> {
  const list = new InstalledList(readText(join(deps.paths.root || '/', INSTALLED_LIST)) ?? '');
  const known = (w: string[]): w is [string, Stack, ...string[]] => (STACKS as readonly string[]).includes(w[1] ?? '');
  return new Map(list.of('stack').filter(known).map((w) => [w[0], w[1]]));
}

/** The routes to probe for one interface: each family's addresses that srcroute routes. */
function routesOf(state: InterfaceState, iface: string, config: InterfaceFacts['config']): RouteCheck[] {
  if (config === null) return [];
  return [
    ...(state.ipv4 ? routeChecks(4, state.ipv4, iface, config) : []),
    ...(state.ipv6 ? routeChecks(6, state.ipv6, iface, config) : []),
  ];
}

/** One interface's facts, from its inputs and what was read for all. */
function interfaceFacts(deps: OperatorDeps, { layers, forward, ...input }: Input, seen: Seen): InterfaceFacts {
  const { iface, config } = input;
  const { kernel, links, tables } = seen;
  const v6 = (name: string, key: string): number | null => readInt(join(deps.paths.ipv6Conf, name, key));
  const state: InterfaceState = interfaceState(input, kernel[4], seen.ipv6 ? kernel[6] : null);
  const tableValue =
    [...layers].reverse().find((l) => l.values.TABLE !== undefined)?.values.TABLE ?? KEYS.TABLE.default;
  return {
    state,
    config,
    tableValue,
    tableRegistered: /^\d+$/.test(tableValue) || tables.has(tableValue),
    hook: hookFile(join(deps.paths.dhcpcdHooks, `${iface}.exit-hook`)),
    clients: clientsOf(seen.clients, iface),
    addresses: [...(kernel[4].addresses.get(iface) ?? [])],
    clientStart: clientStart(iface, readText(join(deps.paths.ifupdownDir, iface))),
    stack: seen.stacks.get(iface) ?? null,
    parent: links.get(iface) ?? null,
    exists: links.has(iface),
    routes: routesOf(state, iface, config),
    sysctl6:
      state.ipv6 === null
        ? null
        : {
            forwarding: (v6(iface, 'forwarding') ?? v6('all', 'forwarding') ?? 0) === 1,
            acceptRa: v6(iface, 'accept_ra'),
          },
    forward,
  };
}

async function judged(
  deps: OperatorDeps,
  inputs: Input[],
  sessions: Record<Family, IpSession>,
  globalProblem: string | null,
  protocol: number,
  names: string[],
  processes: Proc[],
): Promise<Facts> {
  const tables = deps.tables();
  const four = (await readFamily(sessions[4], 4))!;
  const six = await readFamily(sessions[6], 6);
  const kernel = { 4: four.read, 6: six?.read ?? EMPTY };
  const clients = dhcpClients(processes);
  const seen: Seen = { kernel, ipv6: six !== null, links: four.links, tables, clients, stacks: installedStacks(deps) };
  const interfaces = inputs.map((input) => interfaceFacts(deps, input, seen));
  const checks = interfaces.flatMap((f) => f.routes);
  await ask(sessions[4], checks.filter((c) => c.family === 4));
  if (six !== null) await ask(sessions[6], checks.filter((c) => c.family === 6));

  const conf = readText(deps.paths.dhcpcdConf);
  return {
    interfaces,
    packaged: statOf(join(deps.paths.root || '/', PACKAGE_DIST, 'hook.cjs')) !== null,
    globalProblem,
    protocol,
    kernel,
    policy: { 4: four.policy, 6: six?.policy ?? [] },
    tables,
    dispatcher: {
      path: deps.paths.dispatcher,
      hasBlock: (readText(deps.paths.dispatcher) ?? '').includes(DISPATCHER_MARKER),
      dhclient: statOf(deps.paths.dhclientDispatcher) !== null,
    },
    dhcpcdConf: conf === null ? null : { path: deps.paths.dhcpcdConf, text: conf },
    dhcpcdService: readService(deps.paths),
    networkd: readNetworkd(deps.paths, processes),
    processes,
    nmLeases: await nmLeases(deps.run, processes, names),
  };
}
