// The edge that gathers what `status` and `check` judge: config, leases, one `ip` process for
// the kernel's rules and routes, rp_filter, hook files, dhcpcd.conf, networkd's settings.
// Everything it finds goes into plain data; the judging (interface-state.ts, diagnose.ts) is pure.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS, readLayers, resolveConfig, type Config, type Layer } from '../hook/config.js';
import { InputError } from '../shared/errors.js';
import { readEvent } from '../hook/event.js';
import { readText, statOf } from '../shared/files.js';
import { configuredInterfaces } from './interfaces.js';
import { interfaceState, type InterfaceInput, type InterfaceState } from './interface-state.js';
import { leaseEnv } from '../hook/lease.js';
import { readLease } from './lease-source.js';
import { readNetworkd, type NetworkdFacts } from './networkd.js';
import { kernelView, parseAddresses, parseMetricRoutes, parseRules, VIEW_QUERIES, type KernelView } from '../kernel/kernel.js';
import { ipv6State, type Ipv6Input } from './interface-state6.js';
import { isNoIPv6 } from '../kernel/ip-batch.js';
import { canonicalIPv6 } from '../shared/ipv6.js';
import { readProcesses, type Proc } from './running.js';
import { nmLeases, type NmLease } from './nm-dhcp.js';
import { clientsOf, dhcpClients, type DhcpClient } from './dhcp-clients.js';
import { clientStart } from './stacks/ifupdown.js';
import type { OperatorDeps } from './deps.js';
import { readService, type ServiceFacts } from './dhcpcd-service.js';

export interface HookFile {
  path: string;
  exists: boolean;
  executable: boolean;
  rootOwned: boolean;
  writableByOthers: boolean;
  /**
   * The node of the `#!` line (`#!NODE FLAG` or install.sh's `#!/usr/bin/env -S NODE FLAGS...`),
   * whether it exists, where it really is (symlinks resolved), and its flags; null: no `#!`.
   */
  interpreter: string | null;
  interpreterExists: boolean;
  interpreterReal: string | null;
  nodeFlags: string[];
  /** The bundle an install.sh launcher loads (`require("…")`), and whether it exists. */
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
}

export interface Facts {
  interfaces: InterfaceFacts[];
  /** srcroute.env could not be used. */
  globalProblem: string | null;
  protocol: number;
  kernel: KernelView;
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

/** The marker lines of srcroute's block in /etc/dhcpcd.exit-hook (install.sh writes them). */
export const DISPATCHER_MARKER = '# >>> srcroute >>>';

/**
 * The node of a launcher's `#!` line and its flags (`#!NODE` for the srcroute command,
 * `#!/usr/bin/env -S NODE FLAGS...` for the hooks: `launcher()` in install.sh), and the shared
 * bundle an earlier version's launcher loaded (`require("...")`; null for the whole bundle).
 */
export function parseLauncher(text: string): { interpreter: string | null; nodeFlags: string[]; bundle: string | null } {
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
function configOf(deps: OperatorDeps, iface: string | null): { config: Config | null; layers: Layer[]; problem: string | null } {
  let layers: Layer[] = [];
  try {
    layers = readLayers(deps.configDir, iface, deps.uid);
    return { config: resolveConfig(layers, deps.tables, deps.isExecutable), layers, problem: null };
  } catch (e) {
    return { config: null, layers, problem: message(e) };
  }
}

/** The lease of `iface` as its DHCP client reports it, validated the way the hook validates it. */
async function leaseOf(deps: OperatorDeps, iface: string): Promise<{ lease: InterfaceInput['lease']; problem: string | null }> {
  const found = await readLease(iface, deps);
  if (found === null) return { lease: null, problem: null };
  try {
    const event = readEvent(leaseEnv(iface, found.vars));
    return { lease: event.action === 'up' ? { lease: event.lease, source: found.source } : null, problem: null };
  } catch (e) {
    return { lease: null, problem: `the lease from ${found.source} is unusable: ${message(e)}` };
  }
}

/** Every configured interface, or just `only`. */
export async function gatherFacts(deps: OperatorDeps, only: string | null): Promise<Facts> {
  const global = configOf(deps, null);
  const fallback = global.config ?? resolveConfig([], () => new Map(), deps.isExecutable);
  let answers: unknown[] = [];
  // IPv4: the rules and routes, and the interfaces' addresses (an address without its rule)
  await deps.ip(fallback)([...VIEW_QUERIES, ['addr', 'show', 'scope', 'global']], (a) => ((answers = a), []), true);
  const addresses4 = parseAddresses(answers[2] ?? []);
  const kernel = kernelView(answers);
  // IPv6: its own ip process (ip lists one family at a time), and the interfaces' addresses.
  let answers6: unknown[] = [[], [], []];
  try {
    await deps.ip(fallback, 6)([...VIEW_QUERIES, ['addr', 'show', 'scope', 'global']], (a) => ((answers6 = a), []), true);
  } catch (e) {
    if (!isNoIPv6(e)) throw e; // a kernel without IPv6 has none to show
  }
  const view6 = { rules: parseRules(answers6[0], 6), routes: parseMetricRoutes(answers6[1], 6), addresses: parseAddresses(answers6[2]) };
  const v6 = (name: string, key: string): number | null => readInt(join(deps.paths.ipv6Conf, name, key));
  const ipv6Of = (iface: string, config: Config | null): Ipv6Input | null =>
    config === null || !config.ipv6
      ? null
      : {
          iface,
          config,
          addresses: (view6.addresses.get(iface) ?? []).map(canonicalIPv6),
          rules: view6.rules,
          routes: view6.routes,
          sysctl: { forwarding: v6(iface, 'forwarding'), forwardingAll: v6('all', 'forwarding'), acceptRa: v6(iface, 'accept_ra') },
        };
  const processes = readProcesses(deps.paths.proc, deps.now());
  const clients = dhcpClients(processes);
  const tables = deps.tables();
  const names = only === null ? configuredInterfaces(deps.configDir, deps.paths.dhcpcdHooks) : [only];
  const rp = (name: string): number | null => readInt(join(deps.paths.ipv4Conf, name, 'rp_filter'));

  const interfaces: InterfaceFacts[] = [];
  for (const iface of names) {
    const { config, layers, problem } = configOf(deps, iface);
    const lease = config === null ? { lease: null, problem: null } : await leaseOf(deps, iface);
    const tableValue = [...layers].reverse().find((l) => l.values.TABLE !== undefined)?.values.TABLE ?? KEYS.TABLE.default;
    const input6 = ipv6Of(iface, config);
    const state = interfaceState(
      { iface, config, lease: lease.lease, problem: problem ?? lease.problem, rpFilter: { all: rp('all'), iface: rp(iface) }, ipv6: input6 && ipv6State(input6) },
      kernel,
    );
    interfaces.push({
      state,
      config,
      tableValue,
      tableRegistered: /^\d+$/.test(tableValue) || tables.has(tableValue),
      hook: hookFile(join(deps.paths.dhcpcdHooks, `${iface}.exit-hook`)),
      clients: clientsOf(clients, iface),
      addresses: addresses4.get(iface) ?? [],
      clientStart: clientStart(iface, readText(join(deps.paths.ifupdownDir, iface))),
    });
  }
  const conf = readText(deps.paths.dhcpcdConf);
  return {
    interfaces,
    globalProblem: global.problem,
    protocol: fallback.protocol,
    kernel,
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
