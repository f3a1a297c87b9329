// `srcroute uninstall`'s plan, pure. The order is the point: first stop srcroute-heal.timer (heal
// puts back rules), then the DHCP clients srcroute started (each recorded `stop` command waits for its client), then take out the entry points
// (the dispatcher's block, the dhclient shim and enter hook), then srcroute's rules and routes,
// and only then the hooks, so that no DHCP client event finds a half-removed srcroute (issues 16 and 18: a client stopping after its hook was gone put `Cannot
// find module '/etc/dhcpcd/IFACE.exit-hook'` in the journal). Then every file install wrote goes,
// or the admin's copy comes back; the marked blocks come out; the installed list and the
// backups go last, then the directories install created, when empty.
import { basename, dirname } from 'node:path';
import type { UninstallFacts } from './facts.js';
import { BACKUP_DIR, CONF_DIR, DHCPCD_CONF, DISPATCHER, DROP_IN, ENTER, HOOK_DIR, INSTALLED_LIST, hasMark, OLD_BUNDLE, PROTOS, SBIN, SHIM, STATE_DIR, TABLES, TMPFILES } from './layout.js';
import { PlanBuilder } from './plan-builder.js';
import { HEAL_SERVICE, HEAL_TIMER, healStop } from './heal-units.js';
import type { Plan } from './steps.js';
import { uninstallCommand } from './names.js';
import { InputError } from '../shared/errors.js';
import { isInterfaceName } from '../hook/event.js';

/** Each recorded command of KIND (stop, reload) once, in order. */
function recorded(b: PlanBuilder, kind: string): string[][] {
  const seen = new Set<string>();
  return b.list.of(kind).map((w) => w.slice(1)).filter((argv) => !seen.has(argv.join(' ')) && seen.add(argv.join(' ')));
}

/**
 * The modem's links as install first found them (issue 18: ifup's pre-up brought a port that had
 * been down up with accept_ra 0, and it stayed up after uninstall, having taken a SLAAC address
 * of the modem's once the RAs came): down again when it was down, its accept_ra back.
 */
function restoreParents(b: PlanBuilder): void {
  for (const [eth, state, acceptRa, disableIpv6] of b.list.of('parent')) {
    if (eth === undefined || !isInterfaceName(eth)) continue;
    if (state === 'down') b.run(['ip', 'link', 'set', 'dev', eth, 'down']);
    const key = (name: string): string => `net/ipv6/conf/${eth}/${name}`;
    if (disableIpv6 === '0' || disableIpv6 === '1') {
      b.steps.push({ op: 'sysctl', key: key('disable_ipv6'), value: disableIpv6 });
    }
    if (acceptRa !== undefined && /^-?\d+$/.test(acceptRa)) b.steps.push({ op: 'sysctl', key: `net/ipv6/conf/${eth}/accept_ra`, value: acceptRa });
  }
}

export function planUninstall(f: UninstallFacts): Plan {
  const b = new PlanBuilder(f, false);
  if (f.uid !== 0 && !f.dry && !f.staged) {
    throw new InputError(`must run as root (${uninstallCommand(f.prog)} ...); --dry-run and --root DIR work without`);
  }
  const ours = (p: string): boolean =>
    dirname(p) === HOOK_DIR && p.endsWith('.exit-hook') && hasMark(f.tree.get(p)?.content ?? '');
  const hooks = [...f.tree.keys()].filter(ours).sort();
  // heal first: none may put a rule back while srcroute is taken out
  if (b.exists(HEAL_TIMER) && f.systemd && !f.staged) for (const argv of healStop) b.run(argv);
  const stops = recorded(b, 'stop');
  for (const argv of stops) b.run(argv);
  if (stops.length > 0 && !f.staged) b.steps.push({ op: 'await-clients', ifaces: hooks.map((p) => basename(p, '.exit-hook')) });
  // the entry points go first: no DHCP client event reaches srcroute's hooks from here on, so none
  // puts a rule back after the flush, and none finds a hook file half gone
  b.unmerge(DISPATCHER);
  for (const path of [SHIM, ENTER]) b.remove(path);
  if (f.staged) b.say('--root: not touching the kernel (srcroute flush skipped)');
  else b.steps.push({ op: 'flush' });

  for (const path of hooks) b.remove(path);
  // the hooks' lock files, RA signatures and code caches, of nothing now (tmpfiles.d or the first hook made it)
  if (!f.staged && b.isDir(STATE_DIR)) b.steps.push({ op: 'remove-tree', path: STATE_DIR });
  const units = [DROP_IN, HEAL_SERVICE, HEAL_TIMER].some((p) => b.exists(p));
  for (const path of [SBIN, TABLES, PROTOS, OLD_BUNDLE, TMPFILES, DROP_IN, HEAL_SERVICE, HEAL_TIMER]) b.remove(path);
  if (units && !f.staged && f.systemd) b.run(['systemctl', 'daemon-reload']);
  b.unmerge(DHCPCD_CONF);
  for (const path of b.list.paths('stackfile')) b.remove(path);
  for (const argv of recorded(b, 'reload')) b.run(argv);
  restoreParents(b);
  b.sweepTemps();
  if (f.purge && b.isDir(CONF_DIR)) b.steps.push({ op: 'remove-tree', path: CONF_DIR });
  if (!f.dry) {
    if (b.exists(BACKUP_DIR)) b.steps.push({ op: 'remove-tree', path: BACKUP_DIR, quiet: true });
    if (b.exists(INSTALLED_LIST)) b.steps.push({ op: 'remove-tree', path: INSTALLED_LIST, quiet: true });
  }
  for (const dir of b.list.paths('dir').sort().reverse()) b.steps.push({ op: 'rmdir', path: dir });
  if (!f.purge && b.isDir(CONF_DIR)) b.say(`kept your settings in ${CONF_DIR} (--purge removes them)`);
  return b.done();
}
