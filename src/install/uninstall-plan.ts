// `srcroute uninstall`'s plan, pure. The order is the point, and it is one named thing
// (UNINSTALL_ORDER), each phase built by its own function: every DHCP client srcroute started
// stops and is waited for while its interface still exists, then the links go, then the entry
// points, the kernel's rules, the hooks, the rest. Evidence, from real boots:
// on a Debian 12 NetworkManager boot the prerm ran `nmcli connection down` first, which deleted
// the macvlan under srcroute-dhcpcd@ens4v0, and the journal had `Cannot find device "ens4v0"`,
// a failed exit hook, `dhcpcd: pid 461 failed to exit` and, after the purge, the unit listed by
// `systemctl --failed` as `not-found failed`; under dhcpcd.service a hook file went while the
// manager still ran events for the interface (`Cannot find module '/etc/dhcpcd/ens4v0.exit-hook'`);
// under ifupdown Debian 13's ifdown gives up on `dhcpcd -k` after a few seconds and its post-down
// deletes the link under the still running dhcpcd. Every file install wrote then goes, or the
// admin's copy comes back; the marked blocks come out; the installed list and the backups go last
// (kept, naming what is left, when a removal failed: writer.ts), then the directories install
// created, when empty.
import { basename, dirname } from 'node:path';
import type { UninstallFacts } from './facts.js';
import {
  BACKUP_DIR, CONF_DIR, DHCPCD_CONF, DISPATCHER, DROP_IN, ENTER, HOOK_DIR, HOOKS_D, HOOKS_README, INSTALLED_LIST,
  hasMark, OLD_BUNDLE, PROTOS, SBIN, SHIM, STATE_DIR, TABLES, TMPFILES,
} from './layout.js';
import { PlanBuilder } from './plan-builder.js';
import { unplanForward } from './forward-plan.js';
import { HEAL_SERVICE, HEAL_TIMER, healStop } from './heal-units.js';
import type { Plan } from './steps.js';
import { refuseNonRoot, uninstallCommand } from './names.js';
import { isInterfaceName } from '../hook/event.js';
import { IFDOWN_STACKS, removedLink, removesLink, vlanOfName } from '../operator/stacks/plan.js';
import { DHCPCD_UNIT_PATH } from '../operator/stacks/dhcpcd-unit.js';
import { HOOKS_UNITS } from '../hook/hooks-spawn.js';

/** Uninstall's phases, in the order they run. */
export const UNINSTALL_ORDER = [
  /** srcroute-heal.timer stops: nothing puts a rule back while srcroute is taken out */
  'stop-heal',
  /** each DHCP client srcroute started stops (its recorded stop; `dhcpcd -k IFACE` before an ifdown, waited for) */
  'stop-clients',
  /** and has exited: a stop may return before its client ran its last hooks */
  'await-clients',
  /** then the links go (nmcli connection down, ifdown and its post-down, networkctl delete) */
  'remove-links',
  /** the dispatcher block, dhclient shim and enter hook: no client event reaches srcroute's hooks */
  'entry-points',
  /** srcroute's rules and routes: none is put back after this */
  'flush',
  /** the per-interface hooks and their state (locks, RA signatures, code caches), once hooks.d's runs have ended */
  'hooks',
  /** systemd forgets srcroute's units' failures while it still has their unit file */
  'reset-failed',
  /** the rest install wrote, the unit files among them, and the marked blocks */
  'files',
  /** the stacks reread their configuration; the modem's port as install found it */
  'reload',
  /** the installed list, the backups, the directories install created */
  'list',
] as const;
export type UninstallPhase = (typeof UNINSTALL_ORDER)[number];

interface Teardown {
  b: PlanBuilder;
  f: UninstallFacts;
  /** srcroute's per-interface hooks. */
  hooks: string[];
}

/** Each recorded command of KIND (stop, reload) once, in order. */
function recorded(b: PlanBuilder, kind: string): string[][] {
  const seen = new Set<string>();
  return b.list.of(kind).map((w) => w.slice(1)).filter((argv) => !seen.has(argv.join(' ')) && seen.add(argv.join(' ')));
}

/** The interfaces whose link ifdown removes (a dhcpcd of theirs released first). */
const ifdownIfaces = (b: PlanBuilder): string[] =>
  b.list.of('stack').filter((w) => IFDOWN_STACKS.includes(w[1] ?? '')).map((w) => w[0]!);

function stopClients({ b, f }: Teardown): void {
  if (!f.staged) for (const iface of ifdownIfaces(b)) b.change({ op: 'release', iface });
  for (const argv of recorded(b, 'stop')) if (!removesLink(argv)) b.run(argv);
}

/**
 * The interfaces whose client a recorded stop stopped (NetworkManager's, networkd's unit). Under
 * ifupdown `ifdown` is the stop: with dhclient it waits for `dhclient -r` before its post-down
 * deletes the link (waiting here first would wait for a client nothing stopped yet), and a dhcpcd
 * is released and waited for by the release step.
 */
function awaitClients({ b, f, hooks }: Teardown): void {
  const stopped = new Set(b.list.of('stop').filter((w) => !removesLink(w.slice(1))).map((w) => w[0]));
  const ifaces = hooks.map((p) => basename(p, '.exit-hook')).filter((i) => stopped.has(i));
  if (ifaces.length > 0 && !f.staged) b.steps.push({ op: 'await-clients', ifaces });
}

/**
 * The links go, a VLAN srcroute made after every macvlan on it: deleting the VLAN deletes its
 * macvlans with it, and then their own removal fails (two macvlans on one VLAN, a real Debian 13
 * purge under networkd: `Failed to resolve interface "ens3v1": No such device`).
 */
function removeLinks({ b }: Teardown): void {
  const links = [...recorded(b, 'stop'), ...recorded(b, 'reload')].filter(removesLink);
  const vlan = (argv: readonly string[]) => vlanOfName(removedLink(argv)!) !== undefined;
  for (const argv of [...links.filter((a) => !vlan(a)), ...links.filter(vlan)]) b.run(argv);
}

function entryPoints({ b }: Teardown): void {
  b.unmerge(DISPATCHER);
  for (const path of [SHIM, ENTER]) b.remove(path);
}

function flush({ b, f }: Teardown): void {
  if (f.staged) b.say('--root: not touching the kernel (srcroute flush skipped)');
  else b.steps.push({ op: 'flush' });
}

function hookFiles({ b, f, hooks }: Teardown): void {
  // a Docker boot's purge: a STOPPED's runner (the hook program) started 23 s later, after its hook file had gone
  if (hooks.length > 0 && f.systemd && !f.staged) b.steps.push({ op: 'await-units', pattern: HOOKS_UNITS });
  for (const path of hooks) b.remove(path);
  // the hooks' lock files, RA signatures and code caches, of nothing now (tmpfiles.d or the first hook made it)
  if (!f.staged && b.isDir(STATE_DIR)) b.steps.push({ op: 'remove-tree', path: STATE_DIR });
}

/**
 * A unit that failed stays in `systemctl --failed` as `not-found failed` once its file is gone: a
 * dhcpcd@ instance, or the heal service stopped mid-run (seen on a real boot's purge: "Failed
 * with result 'signal'"). Patterns, which match nothing without an error where `reset-failed
 * NAME` of a unit not loaded exits 1.
 */
function resetFailed({ b, f }: Teardown): void {
  if (f.staged || !f.systemd) return;
  const units = [
    ...(b.list.paths('stackfile').includes(DHCPCD_UNIT_PATH) ? ['srcroute-dhcpcd@*.service'] : []),
    ...(b.exists(HEAL_TIMER) ? ['srcroute-heal*.service'] : []),
  ];
  if (units.length > 0) b.run(['systemctl', 'reset-failed', ...units]);
}

function stopHeal({ b, f }: Teardown): void {
  if (b.exists(HEAL_TIMER) && f.systemd && !f.staged) for (const argv of healStop) b.run(argv);
}

function files({ b, f }: Teardown): void {
  const units = [DROP_IN, HEAL_SERVICE, HEAL_TIMER].some((p) => b.exists(p));
  for (const path of [SBIN, TABLES, PROTOS, OLD_BUNDLE, TMPFILES, HOOKS_README, DROP_IN, HEAL_SERVICE, HEAL_TIMER])
    b.remove(path);
  if (units && !f.staged && f.systemd) b.run(['systemctl', 'daemon-reload']);
  b.unmerge(DHCPCD_CONF);
  for (const path of b.list.paths('stackfile')) b.remove(path);
  unplanForward(b, f.systemd, f.staged);
}

/**
 * The stacks reread their files; the modem's links as install first found them (Debian 13: ifup's
 * pre-up brought a port that had been down up with accept_ra 0, and it stayed up after uninstall,
 * having taken a SLAAC address of the modem's once the RAs came): down again when it was down,
 * its accept_ra and disable_ipv6 back.
 */
function reload({ b }: Teardown): void {
  for (const argv of recorded(b, 'reload')) if (!removesLink(argv)) b.run(argv);
  for (const [eth, state, acceptRa, disableIpv6] of b.list.of('parent')) {
    if (eth === undefined || !isInterfaceName(eth)) continue;
    if (state === 'down') b.run(['ip', 'link', 'set', 'dev', eth, 'down']);
    const key = (name: string): string => `net/ipv6/conf/${eth}/${name}`;
    if (disableIpv6 === '0' || disableIpv6 === '1')
      b.steps.push({ op: 'sysctl', key: key('disable_ipv6'), value: disableIpv6 });
    if (acceptRa !== undefined && /^-?\d+$/.test(acceptRa))
      b.steps.push({ op: 'sysctl', key: key('accept_ra'), value: acceptRa });
  }
}

/** --purge: srcroute's settings go; the admin's scripts in hooks.d stay, and the directories that hold them. */
function purgeConfig(b: PlanBuilder): void {
  const paths = [...b.facts.tree.keys()];
  const scripts = paths.some((p) => dirname(p) === HOOKS_D && p !== HOOKS_README);
  if (!scripts) return void b.steps.push({ op: 'remove-tree', path: CONF_DIR });
  const ours = paths.filter((p) => dirname(p) === CONF_DIR && p !== HOOKS_D).sort();
  for (const path of ours) b.steps.push({ op: 'remove-tree', path });
  b.say(`kept your scripts in ${HOOKS_D}`);
}

function list({ b, f }: Teardown): void {
  b.sweepTemps();
  if (f.purge && b.isDir(CONF_DIR)) purgeConfig(b);
  if (!f.dry && (b.exists(INSTALLED_LIST) || b.exists(BACKUP_DIR))) b.steps.push({ op: 'close-list', list: f.list });
  for (const dir of b.list.paths('dir').sort().reverse()) b.steps.push({ op: 'rmdir', path: dir });
  if (!f.purge && b.isDir(CONF_DIR)) b.say(`kept your settings in ${CONF_DIR} (--purge removes them)`);
}

const PHASES: Record<UninstallPhase, (t: Teardown) => void> = {
  'stop-heal': stopHeal,
  'stop-clients': stopClients,
  'await-clients': awaitClients,
  'remove-links': removeLinks,
  'entry-points': entryPoints,
  flush,
  hooks: hookFiles,
  'reset-failed': resetFailed,
  files,
  reload,
  list,
};

export function planUninstall(f: UninstallFacts): Plan {
  const b = new PlanBuilder(f, false);
  refuseNonRoot(f, uninstallCommand(f.prog));
  const ours = (p: string): boolean =>
    dirname(p) === HOOK_DIR && p.endsWith('.exit-hook') && hasMark(f.tree.get(p)?.content ?? '');
  const hooks = [...f.tree.keys()].filter(ours).sort();
  for (const phase of UNINSTALL_ORDER) PHASES[phase]({ b, f, hooks });
  return { ...b.done(), keepGoing: true };
}
