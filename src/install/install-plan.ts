// `srcroute install`'s plan, pure: from the gathered facts (facts.ts) to the steps that make the
// machine run srcroute's hooks on the named interfaces (steps.ts), every decision in order: the
// checks that refuse before anything is written (the modem's link among them: parent-check.ts),
// the tables, the programs (the srcroute command, one whole hook per interface), the
// dispatcher's marked block, the dhclient shim and enter hook, the iproute2 names, dhcpcd.service's
// drop-in and tmpfiles.d line, the config files, the dhcpcd.conf block, the network stack's files
// and commands (operator/stacks/) with the check that the macvlan is up after them (the issue's
// install said "installed" and exited 0 when ifup had failed), and the advice printed at the
// end. A second run over what the first made plans no change.
import { defaultConfigText } from '../hook/config.js';
import { isInterfaceName } from '../hook/event.js';
import { InputError, SystemError } from '../shared/errors.js';
import { hiddenHome, SERVICE } from '../operator/dhcpcd-service.js';
import { allowedInterfaces, hasGlobalOption, hasInterfaceBlock } from '../operator/dhcpcd-conf.js';
import { fnmatch } from '../shared/fnmatch.js';
import type { StackPlan } from '../operator/stacks/plan.js';
import type { InstallFacts, Registered } from './facts.js';
import type { InstalledList } from '../shared/installed-list.js';
import {
  CONF_DIR, DHCPCD_CONF, DISPATCHER, DROP_IN, ENTER, ENV, FIRST_TABLE, HOOK_DIR, HOOK_FLAGS, HOOKS_D, HOOKS_README,
  MAX_INTERFACES, NODE_MIN, olderThanMin, OLD_BUNDLE, PROTO_NUM, PROTOS, SBIN, SHIM, STATE_DIR, TABLES, TMPFILES,
} from './layout.js';
import { adminPart, block, hasBlock } from './marked-block.js';
import { checkParents } from './parent-check.js';
import { refuseNonRoot, rerun } from './names.js';
import { PlanBuilder } from './plan-builder.js';
import { HEAL_SERVICE, HEAL_TIMER, PACKAGE_COMMAND, healServiceText, healStart, healTimerText } from './heal-units.js';
import type { Plan } from './steps.js';
import * as text from './texts.js';
import { planForward } from './forward-plan.js';


/** The interfaces to install: those named (each checked), else those installed before. */
export function interfacesOf(asked: readonly string[], list: InstalledList, prog: string): string[] {
  for (const i of asked)
    if (!isInterfaceName(i)) throw new InputError(`'${i}' is not a plain interface name (1-15 of A-Z a-z 0-9 _ . -)`);
  if (asked.length > 0) return [...new Set(asked)];
  const known = list.of('table').map((w) => w[0]!);
  if (known.length === 0) throw new InputError(`name at least one interface, e.g. ${rerun(prog)} eth0v0`);
  return known;
}

/** The interfaces installed before keep their table; new ones get the next one (pub, pub1, ...). */
function assignTables(ifaces: readonly string[], list: InstalledList): text.Table[] {
  let count = list.of('table').length;
  for (const i of ifaces) {
    if (list.of('table').some((w) => w[0] === i)) continue;
    if (count >= MAX_INTERFACES) throw new InputError('too many interfaces: table numbers would pass 252');
    list.add(`table ${i} ${FIRST_TABLE + count} ${count === 0 ? 'pub' : `pub${count}`}`);
    count++;
  }
  return list.of('table').map(([iface, num, name]) => ({ iface: iface!, num: Number(num), name: name! }));
}

/** Stop when NUMBER or NAME is registered for something else (the same pair is the same thing). */
function checkFree(kind: string, num: number, name: string, registered: readonly Registered[]): void {
  const taken = registered.find((r) => (r.num === num) !== (r.name === name));
  if (taken)
    throw new InputError(
      `cannot register ${kind} '${num} ${name}': ${taken.file} already has "${taken.num} ${taken.name}"; nothing ` +
        `changed`,
    );
}

/** The node the launchers name: an absolute path without spaces that env -S runs, outside what dhcpcd.service hides. */
function checkNode(f: InstallFacts): void {
  if (!f.node.startsWith('/'))
    throw new InputError(`node must be an absolute path (got '${f.node}'): dhcpcd runs hooks with its own PATH`);
  if (/\s/.test(f.node))
    throw new InputError(`the node path '${f.node}' contains a space: it cannot be a #! interpreter`);
  if (!f.envSplitWorks && f.envSplitTimedOut === true)
    throw new SystemError(`${ENV} -S ${f.node} ${HOOK_FLAGS.join(' ')} -e 0 did not finish within a minute; try again`);
  if (!f.envSplitWorks)
    throw new InputError(
      `${ENV} -S ${f.node} ${HOOK_FLAGS.join(' ')} does not run (the hooks' #! line needs coreutils >= 8.30)`,
    );
  if (f.nodeVersion !== null && olderThanMin(f.nodeVersion))
    throw new InputError(
      `${f.node} is Node ${f.nodeVersion}; srcroute needs Node >= ${NODE_MIN} ` +
        '(Debian 12 ships 18.19: apt install nodejs)',
    );
  const home = hiddenHome(f.node) ?? hiddenHome(f.nodeReal);
  if (home !== null && f.service?.hidesHome) {
    throw new InputError(
      `${f.node} (${f.nodeReal}) is under ${home}, which ${SERVICE} hides from its hooks (ProtectHome=yes): give a ` +
        `node outside it, e.g. --node /usr/bin/node (apt install nodejs) or a copy in /usr/local/bin`,
    );
  }
}

/** Whether a stack's command runs: `always`, any of its files changed (`*`), or one of those named. */
function due(when: StackPlan['run'][number]['when'], changed: ReadonlySet<string>): boolean {
  if (when === 'always') return true;
  if (when === '*') return changed.size > 0;
  return when.some((p) => changed.has(p));
}

/** The checks that refuse before anything is written. */
function refuseEarly(f: InstallFacts, b: PlanBuilder): void {
  refuseNonRoot(f, rerun(f.prog));
  checkNode(f);
  checkParents(f);
  for (const path of [DISPATCHER, DHCPCD_CONF]) {
    if (b.file(path)?.kind === 'link')
      throw new InputError(`${path} is a symbolic link: make it a plain file (srcroute adds a block to it)`);
  }
}

/**
 * Each interface's stack and modem's link into the record; whether a stack asked for the dhcpcd.conf
 * block (or --configure-dhcpcd did).
 */
function recordStacks(f: InstallFacts, list: InstalledList): boolean {
  let configure = f.configureDhcpcd;
  for (const [iface, { parent, vlan, plan, parentLink }] of f.stacks) {
    if (plan.dhcpcdConf) configure = true;
    list.deleteWhere(`stack ${iface} `);
    list.add(`stack ${iface} ${plan.stack} ${parent}${vlan === undefined ? '' : ` ${vlan.port} ${vlan.id}`}`);
    // the modem's link as the first install found it (a later one finds it set up): uninstall puts it back
    if (parentLink !== null && !list.of('parent').some((w) => w[0] === parent)) {
      const { up, acceptRa, disableIpv6 } = parentLink;
      list.add(`parent ${parent} ${up ? 'up' : 'down'} ${acceptRa ?? '-'} ${disableIpv6 ?? '-'}`);
    }
  }
  return configure;
}

/**
 * The srcroute command and one hook per interface, each a whole bundle (no file shared between
 * them to go missing; dhcpcd.service's sandbox sees /etc); an earlier version's shared bundle goes.
 */
function planPrograms(b: PlanBuilder, f: InstallFacts, ifaces: readonly string[], undo: string): void {
  const list = b.list;
  if (list.has(`created ${OLD_BUNDLE}`) || list.has(`backup ${OLD_BUNDLE}`)) {
    b.remove(OLD_BUNDLE);
    list.delete(`created ${OLD_BUNDLE}`);
    list.delete(`backup ${OLD_BUNDLE}`);
    b.changes++;
  }
  if (f.command) b.own(SBIN, text.launcher('command', f.node, text.commandComment, f.bundles.command, undo), 0o755);
  for (const i of ifaces) {
    const hook = text.launcher('hook', f.node, text.hookComment(i), f.bundles.hook, undo);
    b.own(`${HOOK_DIR}/${i}.exit-hook`, hook, 0o755);
  }
}

/** The dispatcher: a block in the admin's /etc/dhcpcd.exit-hook, and the dhclient shim with its enter hook. */
function planDispatcher(b: PlanBuilder, f: InstallFacts, undo: string): void {
  const dispatcher = b.file(DISPATCHER)?.content?.toString('utf8');
  if (
    dispatcher !== undefined &&
    /^[ \t]*(exit|exec)([ \t]|$)/m.test(adminPart(dispatcher, b.list.has(`nl ${DISPATCHER}`)))
  ) {
    b.warn(`${DISPATCHER} has an exit or exec of its own: srcroute's block at its end may never run`);
  }
  b.merge(DISPATCHER, block(text.dispatcherWhy(undo), text.dispatcherBody(f.hooks)));
  b.own(SHIM, text.shimText(f.hooks), 0o644);
  b.own(ENTER, f.hooks.dhclientEnter, 0o644);
}

/**
 * Debian's dhcpcd.service: its hooks may write the lock directory (the unit's hardening otherwise
 * untouched). Whether its drop-in or tmpfiles.d line changed.
 */
function planServiceFiles(b: PlanBuilder, f: InstallFacts, undo: string): boolean {
  const serviceFiles = (): boolean[] => [
    b.own(DROP_IN, text.dropInText(undo), 0o644),
    b.own(TMPFILES, text.tmpfilesText(undo), 0o644),
  ];
  const dropInChanged = f.service !== null && serviceFiles().some(Boolean);
  if (f.service !== null && !f.staged && !f.dry) b.steps.push({ op: 'state-dir', path: STATE_DIR });
  return dropInChanged;
}

/** srcroute.env and one IFACE.env per interface, written once and never overwritten. */
function planConfigFiles(b: PlanBuilder, f: InstallFacts, tables: readonly text.Table[]): void {
  b.ensureDir(CONF_DIR);
  b.ensureDir(HOOKS_D);
  b.own(HOOKS_README, text.hooksReadme, 0o644);
  if (!b.exists(`${CONF_DIR}/srcroute.env`)) b.put(`${CONF_DIR}/srcroute.env`, defaultConfigText(), 0o644);
  for (const t of tables) {
    const env = `${CONF_DIR}/${t.iface}.env`;
    const now = b.file(env);
    if (now === undefined) b.put(env, text.ifaceEnvText(t, f.forward), 0o644);
    else if (t.num !== FIRST_TABLE && !(now.content?.toString('utf8') ?? '').split('\n').includes(`TABLE=${t.name}`)) {
      b.warn(`${env} exists and does not say TABLE=${t.name}: ${t.iface} may share another interface's table`);
    }
  }
}

/**
 * The dhcpcd.conf stanza, kept in a marked block once --configure-dhcpcd (or a stack) asked for it:
 * the stanza, dhcpcd.conf as it is, and whether the block is (or stays) merged.
 */
function planDhcpcdConf(
  b: PlanBuilder,
  tables: readonly text.Table[],
  ifaces: readonly string[],
  configure: boolean,
  undo: string,
): { stanza: string; conf: string | undefined; merged: boolean } {
  const list = b.list;
  const bare = list.of('stack').filter((w) => w[1] === 'dhcpcd').map((w) => w[2]!);
  const stanza = text.dhcpcdStanza(tables, bare);
  const conf = b.file(DHCPCD_CONF)?.content?.toString('utf8');
  const merged = configure || (conf !== undefined && hasBlock(conf));
  if (merged) {
    for (const i of ifaces) {
      const admin = conf === undefined ? '' : adminPart(conf, list.has(`nl ${DHCPCD_CONF}`));
      if (hasInterfaceBlock(admin, i)) {
        b.warn(`${DHCPCD_CONF} already has an 'interface ${i}' section: check that it agrees with srcroute's block`);
      }
    }
    b.merge(DHCPCD_CONF, block(text.dhcpcdConfWhy(undo), stanza));
  }
  return { stanza, conf, merged };
}

/**
 * systemd reads the drop-in on daemon-reload, the running dhcpcd.service on its next start, once
 * every file its hooks read is in place. Under `persistent` a restart keeps every interface's
 * address, rule and route (measured in lab-dhcpcd-stack.test.ts: nothing lost across ExecStop +
 * ExecStart, the lease kept), so it restarts it now; without, dhcpcd -x takes every address down
 * for the restart: the admin's call.
 */
function planServiceRestart(b: PlanBuilder, f: InstallFacts, conf: string | undefined): void {
  const persistent = hasGlobalOption(conf ?? '', 'persistent');
  if (f.systemd) b.run(['systemctl', 'daemon-reload']);
  if (f.systemd && persistent) b.run(['systemctl', 'try-restart', SERVICE]);
  else {
    b.say(
      `${SERVICE} runs its hooks without ${DROP_IN} until it restarts (they cannot lock until then): ` +
        `sudo systemctl try-restart ${SERVICE}` +
        (persistent
          ? ''
          : ` (without \`persistent\` in ${DHCPCD_CONF}, every interface it leases loses its address ` +
            `for the restart)`),
    );
  }
}

/**
 * The network stacks (--parent): their files, then the commands whose files changed; what undoes
 * them is recorded before they run.
 */
function planStacks(b: PlanBuilder, f: InstallFacts): void {
  const list = b.list;
  for (const [iface, { plan }] of f.stacks) {
    b.say(`${iface}: ${plan.stack} ${plan.how}`);
    const changed = new Set<string>();
    for (const file of plan.files) {
      if (b.own(file.path, file.content, file.mode)) changed.add(file.path);
      list.add(`stackfile ${file.path}`);
    }
    for (const argv of plan.stop) list.add(`stop ${iface} ${argv.join(' ')}`);
    for (const argv of plan.reload) list.add(`reload ${iface} ${argv.join(' ')}`);
    // a macvlan missing after an earlier run (its start failed): every start command again
    const missing = f.links !== null && !f.links.has(iface);
    const started = plan.run.filter((c) => missing || due(c.when, changed));
    for (const c of started) b.run(c.argv);
    if (started.length > 0 && !f.staged) b.steps.push({ op: 'check-link', iface });
    for (const note of plan.notes) b.say(`    ${note}`);
  }
}

/** srcroute heal every 30 s, started where systemd runs (heal-units.ts). */
function planHeal(b: PlanBuilder, f: InstallFacts, undo: string): void {
  const healUnits = [
    b.own(HEAL_SERVICE, healServiceText(f.command ? SBIN : PACKAGE_COMMAND, undo), 0o644),
    b.own(HEAL_TIMER, healTimerText(undo), 0o644),
  ];
  if (healUnits.some(Boolean) && f.systemd && !f.staged) for (const argv of healStart) b.run(argv);
}

/** The last line: what the run did. */
function sayOutcome(b: PlanBuilder, f: InstallFacts, ifaces: readonly string[]): void {
  if (f.dry) {
    if (b.changes === 0) b.say('nothing to change');
    b.say('dry run: nothing was changed');
  } else if (b.changes === 0) {
    b.say('already installed: nothing changed');
  } else {
    b.say(`installed srcroute for: ${ifaces.join(' ')}`);
  }
}

export function planInstall(f: InstallFacts): Plan {
  const b = new PlanBuilder(f);
  const list = b.list;
  refuseEarly(f, b);
  const ifaces = interfacesOf(f.ifaces, list, f.prog);
  const tables = assignTables(ifaces, list);
  for (const t of tables) checkFree('rt_tables', t.num, t.name, f.rtTables);
  checkFree('rt_protos', PROTO_NUM, 'srcroute', f.rtProtos);

  b.sweepTemps();
  const configure = recordStacks(f, list);
  const undo = text.undoOf(f.packaged);
  planPrograms(b, f, ifaces, undo);
  planDispatcher(b, f, undo);
  b.own(TABLES, text.tablesText(tables, undo), 0o644);
  b.own(PROTOS, text.protosText(undo), 0o644);
  const dropInChanged = planServiceFiles(b, f, undo);
  const named = tables.filter((t) => ifaces.includes(t.iface));
  planConfigFiles(b, f, named);
  if (f.forward) planForward(b, f, named, undo);
  const { stanza, conf, merged } = planDhcpcdConf(b, tables, ifaces, configure, undo);
  if (dropInChanged && !f.staged) planServiceRestart(b, f, conf);
  planStacks(b, f);
  planHeal(b, f, undo);
  if (b.changes > 0) b.record();
  sayOutcome(b, f, ifaces);
  // an interface under a stack has its client chosen by srcroute, which merged the stanza where that client reads it
  const ownClient = ifaces.some((i) => !list.of('stack').some((w) => w[0] === i));
  return b.done([...adviseDhcpcdConf(merged || !ownClient, stanza, ifaces, conf), ...adviseMacvlan(f, ifaces)]);
}

/** The stanza to add by hand when the installer does not; an allowinterfaces that leaves an interface out. */
function adviseDhcpcdConf(
  merged: boolean,
  stanza: string,
  ifaces: readonly string[],
  conf: string | undefined,
): string[] {
  const out: string[] = [];
  if (!merged) {
    out.push(
      '',
      `Add this to ${DHCPCD_CONF} (or run again with --configure-dhcpcd):`,
      ...stanza
        .trimEnd()
        .split('\n')
        .map((l) => `    ${l}`),
    );
  }
  // allowinterfaces takes shell patterns (eth*), matched as case does
  const allow = allowedInterfaces(conf ?? '');
  for (const i of allow.length > 0 ? ifaces : [])
    if (!allow.some((p) => fnmatch(p, i)))
      out.push(`Note: ${DHCPCD_CONF} has allowinterfaces without ${i}: add it there.`);
  return out;
}

/** An interface that does not exist yet and no stack creates: how to make it, with its stable MAC. */
function adviseMacvlan(f: InstallFacts, ifaces: readonly string[]): string[] {
  if (f.links === null) return [];
  return ifaces
    .filter((i) => !f.links!.has(i) && !f.stacks.has(i))
    .flatMap((i) => [
      '',
      `${i} does not exist yet. Create it on the modem's interface (eth0 here) with its stable, locally`,
      `administered MAC (\`srcroute mac ${i}\`: the modem ties the lease to the MAC, so a new one costs a public ` +
        `address):`,
      `    ip link add link eth0 name ${i} address ${f.macs.get(i) ?? '(srcroute mac ' + i + ')'} type macvlan mode ` +
        `private`,
      `    ip link set ${i} up`,
      'and make it permanent in your network configuration (--parent ETH does that for you).',
    ]);
}
