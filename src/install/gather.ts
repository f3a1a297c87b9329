// The installer's edge that reads: the files the plans look at (under --root DIR when given),
// the installed list, the iproute2 names registered, dhcpcd.service, the node, the bundles, the
// links and each network stack's facts. Everything it finds is plain data (facts.ts).
import { lstatSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { exists, isExecutable, listDir, tempOf } from '../shared/files.js';
import { messageOf, SystemError, systemCallError } from '../shared/errors.js';
import { parseTableFile, IPROUTE2_DIRS } from '../kernel/tables.js';
import { KILLED } from '../kernel/program.js';
import { readService } from '../operator/dhcpcd-service.js';
import type { OperatorDeps } from '../operator/deps.js';
import { macOf } from '../operator/commands/mac.js';
import { IP_CANDIDATES } from '../hook/config.js';
import { InstalledList } from '../shared/installed-list.js';
import type { Common, FileFact, InstallFacts, ParentLink, Registered, StackSetup, UninstallFacts } from './facts.js';
import { HEAL_SERVICE, HEAL_TIMER } from './heal-units.js';
import { NFT_DIR, NFT_UNIT, nftFile } from './forward-plan.js';
import {
  BACKUP_DIR, CONF_DIR, DHCPCD_CONF, DISPATCHER, DROP_IN, ENTER, ENV, HOOK_DIR, HOOK_FLAGS, HOOKS_D, INSTALLED_LIST,
  LIB, OLD_BUNDLE, PROTOS, SBIN, SHIM, STATE_DIR, TABLES, TMPFILES,
} from './layout.js';
import { interfacesOf } from './install-plan.js';
import { lanLinks, type DefaultRoute } from '../operator/lan.js';
import { vlanName, type VlanSpec } from '../operator/stacks/plan.js';
import { ASKED } from '../operator/stacks/gather.js';
import { planStack } from './stack-plans.js';
import type { HookTexts } from './texts.js';

/** What both commands are given. */
export interface Given {
  prog: string;
  /** '' for the machine itself. */
  root: string;
  dry: boolean;
  uid: number;
  gid: number;
}

function factOf(real: string, stat: Stats): FileFact {
  const kind = stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other';
  let content: Buffer | null = null;
  if (kind === 'file' || kind === 'link') {
    try {
      content = readFileSync(real);
    } catch {
      content = null;
    }
  }
  return { kind, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, content };
}

/** A snapshot of `paths`, every ancestor directory, and every file under `trees`. */
function snapshot(root: string, paths: Iterable<string>, trees: readonly string[] = []): Map<string, FileFact> {
  const tree = new Map<string, FileFact>();
  const look = (path: string): FileFact | undefined => {
    if (tree.has(path)) return tree.get(path);
    const stat = lstatSync(root + path, { throwIfNoEntry: false });
    if (stat === undefined) return undefined;
    const fact = factOf(root + path, stat);
    tree.set(path, fact);
    return fact;
  };
  const walk = (path: string): void => {
    if (look(path)?.kind !== 'dir') return;
    for (const name of listDir(root + path)) walk(`${path}/${name}`);
  };
  for (const path of [...paths, ...trees]) {
    for (let d = dirname(path); d !== '/'; d = dirname(d)) look(d);
    look(path);
    look(tempOf(path));
  }
  for (const t of trees) walk(t);
  return tree;
}

/** The files both plans look at. */
function installedPaths(root: string, list: InstalledList): string[] {
  const inDir = (dir: string, suffix: string): string[] =>
    listDir(root + dir)
      .filter((n) => n.endsWith(suffix))
      .map((n) => `${dir}/${n}`);
  return [
    INSTALLED_LIST,
    LIB,
    dirname(LIB),
    dirname(dirname(LIB)),
    dirname(dirname(dirname(LIB))),
    SBIN,
    OLD_BUNDLE,
    DISPATCHER,
    SHIM,
    ENTER,
    TABLES,
    PROTOS,
    DROP_IN,
    TMPFILES,
    DHCPCD_CONF,
    CONF_DIR,
    `${CONF_DIR}/srcroute.env`,
    HEAL_SERVICE,
    HEAL_TIMER,
    ...inDir(HOOK_DIR, '.exit-hook'),
    ...inDir(CONF_DIR, '.env'),
    ...['created', 'backup', 'nl', 'stackfile', 'dir'].flatMap((k) => list.paths(k)),
  ];
}

function readList(root: string): string {
  try {
    return readFileSync(root + INSTALLED_LIST, 'utf8');
  } catch {
    return '';
  }
}

function common(g: Given, tree: Map<string, FileFact>, list: string): Common {
  return {
    prog: g.prog,
    staged: g.root !== '',
    dry: g.dry,
    uid: g.uid,
    gid: g.gid,
    list,
    tree,
    systemd: g.root === '' && exists('/run/systemd/system'),
  };
}

/** iproute2's numbers and names of KIND (rt_tables, rt_protos), the installer's own file left out. */
function registered(root: string, kind: string, ours: string): Registered[] {
  const found: Registered[] = [];
  for (const dir of IPROUTE2_DIRS) {
    const files = [
      `${dir}/${kind}`,
      ...listDir(`${root}${dir}/${kind}.d`)
        .filter((n) => n.endsWith('.conf'))
        .map((n) => `${dir}/${kind}.d/${n}`),
    ];
    for (const file of files.filter((f) => f !== ours)) {
      let text: string;
      try {
        text = readFileSync(root + file, 'utf8');
      } catch {
        continue;
      }
      const names = new Map<string, number>();
      parseTableFile(text, names);
      for (const [name, num] of names) found.push({ num, name, file });
    }
  }
  return found;
}

interface IpLink {
  ifname: string;
  flags?: string[];
  master?: string;
  addr_info?: { local?: string }[];
}

/** Each link with its flags, master and addresses (`ip -j addr show`), or null when ip cannot say. */
async function readLinks(deps: OperatorDeps, ip: string): Promise<Map<string, IpLink> | null> {
  const r = await deps.run([ip, '-j', 'addr', 'show'], 10_000);
  if (r.code !== 0) return null;
  return new Map((JSON.parse(r.stdout) as IpLink[]).map((l) => [l.ifname, l]));
}

/** main's default routes in both families (`ip -j route show table main default`). */
async function readDefaults(deps: OperatorDeps, ip: string): Promise<DefaultRoute[]> {
  const found: DefaultRoute[] = [];
  for (const family of [4, 6] as const) {
    const r = await deps.run([ip, '-j', `-${family}`, 'route', 'show', 'table', 'main', 'default'], 10_000);
    if (r.code !== 0) continue;
    for (const route of JSON.parse(r.stdout) as { dev?: string; metric?: number }[]) {
      if (route.dev !== undefined) found.push({ family, dev: route.dev, metric: route.metric ?? 0 });
    }
  }
  return found;
}

/** The LAN's links (lan.ts), from the kernel as it is. */
async function readLan(
  deps: OperatorDeps,
  ip: string,
  links: Map<string, IpLink>,
  ssh: string | undefined,
): Promise<Map<string, string>> {
  const lanInput = [...links.values()].map((l) => ({
    name: l.ifname,
    ...(l.master === undefined ? {} : { master: l.master }),
    addrs: (l.addr_info ?? []).flatMap((a) => (a.local === undefined ? [] : [a.local])),
  }));
  return lanLinks({ links: lanInput, defaults: await readDefaults(deps, ip), ssh });
}

/** The modem's link as it is now: administratively up or not, its accept_ra and disable_ipv6 (null: no IPv6). */
function parentLinkOf(links: Map<string, IpLink> | null, parent: string): ParentLink | null {
  const flags = links?.get(parent)?.flags;
  if (flags === undefined) return null;
  const sysctl = (key: string): string | null => {
    try {
      return readFileSync(`/proc/sys/net/ipv6/conf/${parent}/${key}`, 'utf8').trim();
    } catch {
      return null; // no IPv6 on this box (or this link)
    }
  };
  return { up: flags.includes('UP'), acceptRa: sysctl('accept_ra'), disableIpv6: sysctl('disable_ipv6') };
}

type ModemLink = { parent: string; vlan?: VlanSpec };

/** IFACE's modem link: --parent (and --vlan) given now, else as recorded (`stack IFACE STACK PARENT [PORT VID]`). */
function parentOf(args: InstallArgs, recorded: readonly string[] | undefined): ModemLink | undefined {
  if (args.parent !== undefined) {
    if (args.vlan === undefined) return { parent: args.parent };
    const vlan = { port: args.parent, id: args.vlan };
    return { parent: vlanName(vlan), vlan };
  }
  const [, , parent, port, id] = recorded ?? [];
  if (parent === undefined) return undefined;
  return port !== undefined && id !== undefined ? { parent, vlan: { port, id: Number(id) } } : { parent };
}

export interface InstallArgs {
  ifaces: readonly string[];
  parent: string | undefined;
  stack: string | undefined;
  node: string;
  /** --vlan VID: the modem's VLAN on --parent, made by the stack. */
  vlan: number | undefined;
  configureDhcpcd: boolean;
  forward: boolean;
  command: boolean;
  packaged: boolean;
  /** SSH_CONNECTION: the LAN link the admin came in on is never the modem's. */
  ssh: string | undefined;
}

/** Each interface's network stack plan (--parent now, or as recorded by an earlier install). */
async function gatherStacks(
  deps: OperatorDeps,
  args: InstallArgs,
  installed: InstalledList,
  ifaces: readonly string[],
  linkFacts: Map<string, IpLink> | null,
): Promise<Map<string, StackSetup>> {
  const stacks = new Map<string, StackSetup>();
  for (const iface of ifaces) {
    const recorded = installed.of('stack').find((w) => w[0] === iface);
    const link = parentOf(args, recorded);
    if (link === undefined) continue;
    const asked = args.parent !== undefined;
    const [stack, how] = asked ? [args.stack, ASKED] : [recorded?.[1], 'as installed before'];
    const plan = await planStack(deps, iface, link.parent, stack, link.vlan, how);
    stacks.set(iface, { ...link, plan, parentLink: parentLinkOf(linkFacts, link.parent), asked });
  }
  return stacks;
}

/**
 * One of srcroute's own files in dist/ (the installer runs from there, beside hook.cjs): one that
 * is missing or unreadable is a broken installation of srcroute, to be installed again.
 */
export function readDist(dist: string, name: string): string {
  try {
    return readFileSync(join(dist, name), 'utf8');
  } catch (e) {
    throw new SystemError(
      `cannot read ${join(dist, name)} (${messageOf(systemCallError(e))}): srcroute's own files are incomplete; ` +
        `reinstall srcroute (the package or the release; in a clone: npm run build)`,
    );
  }
}

const NODE_CHECK_MS = 60_000;

/** Whether `env -S` runs NODE with the hooks' flags (their #! line), its version, and the file NODE resolves to. */
async function nodeFacts(
  deps: OperatorDeps,
  node: string,
): Promise<{ envSplitWorks: boolean; envSplitTimedOut: boolean; nodeVersion: string | null; nodeReal: string }> {
  // 60 s: Node's start took over 10 s on a loaded emulated boot, and a timeout was then taken for
  // an env without -S
  const envCheck = await deps.run([ENV, '-S', `${node} ${HOOK_FLAGS.join(' ')} -e 0`], NODE_CHECK_MS);
  const version = envCheck.code === 0 ? await deps.run([node, '-p', 'process.versions.node'], NODE_CHECK_MS) : null;
  const said = version?.code === 0 ? version.stdout.trim() : '';
  let nodeReal = node;
  try {
    nodeReal = realpathSync(node);
  } catch {
    // not there: env -S says so
  }
  return {
    envSplitWorks: envCheck.code === 0,
    envSplitTimedOut: envCheck.code === KILLED,
    nodeVersion: /^\d+\.\d+\./.test(said) ? said : null,
    nodeReal,
  };
}

export async function gatherInstall(
  deps: OperatorDeps,
  g: Given,
  args: InstallArgs,
  hooks: HookTexts,
  dist: string,
): Promise<InstallFacts> {
  const root = g.root;
  const list = readList(root);
  const installed = new InstalledList(list);
  const ifaces = interfacesOf(args.ifaces, installed, g.prog);

  const ip = root === '' ? IP_CANDIDATES.find(isExecutable) : undefined;
  const linkFacts = ip === undefined ? null : await readLinks(deps, ip);
  const lan = ip === undefined || linkFacts === null ? null : await readLan(deps, ip, linkFacts, args.ssh);
  const stacks = await gatherStacks(deps, args, installed, ifaces, linkFacts);

  const ownFiles = (i: string): string[] => [`${HOOK_DIR}/${i}.exit-hook`, `${CONF_DIR}/${i}.env`, nftFile(i)];
  const paths = [...installedPaths(root, installed), ...ifaces.flatMap(ownFiles), NFT_DIR, NFT_UNIT];
  for (const { plan } of stacks.values()) paths.push(...plan.files.map((f) => f.path));
  const tree = snapshot(root, paths, [BACKUP_DIR]);

  const links = linkFacts === null ? null : new Set(linkFacts.keys());
  return {
    ...common(g, tree, list),
    ifaces,
    configureDhcpcd: args.configureDhcpcd,
    forward: args.forward,
    command: args.command,
    packaged: args.packaged,
    node: args.node,
    ...(await nodeFacts(deps, args.node)),
    bundles: { command: readDist(dist, 'srcroute.cjs'), hook: readDist(dist, 'hook.cjs') },
    hooks,
    service: readService(deps.paths),
    rtTables: registered(root, 'rt_tables', TABLES),
    rtProtos: registered(root, 'rt_protos', PROTOS),
    stacks,
    links,
    lan,
    macs: new Map(
      links === null ? [] : ifaces.filter((i) => !links!.has(i) && !stacks.has(i)).map((i) => [i, macOf(deps, i)]),
    ),
  };
}

export function gatherUninstall(g: Given, purge: boolean): UninstallFacts {
  const list = readList(g.root);
  const tree = snapshot(g.root, [...installedPaths(g.root, new InstalledList(list)), STATE_DIR], [BACKUP_DIR, HOOKS_D]);
  return { ...common(g, tree, list), purge };
}
