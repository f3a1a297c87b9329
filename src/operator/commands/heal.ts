// `srcroute heal [IFACE]`: put back srcroute's rules and routes that something deleted between two
// lease events. Under a long lease the next event is hours away, and the deleters are common:
// networkd before ManageForeignRoutingPolicyRules=no applies (and systemd #41350: a networkd 255
// restart deleted even the kernel's own rules), an admin's `ip rule flush`, a VPN client's cleanup,
// `wg-quick down` (it deletes the first `lookup main suppress_prefixlength 0` rule it finds,
// srcroute's own when wg-quick started first: test/integration/local-networks.test.ts).
// What should be there is re-derived from files and the kernel alone, never from a DHCP client's
// control command (Debian 12's privsep dhcpcd serves one control client at a time and logs an
// error for the next): the lease file (lease-source.ts, leaseFromFiles), and only while the
// interface still holds its address; IPv6 follows the kernel as sync does. The judgement is the
// hook's own (plan.ts, decide): at rest a run reads the kernel once per family, plans nothing and
// writes nothing. When the plan is not empty, the hook itself runs, as for the lease's BOUND (or a
// REBIND6), under its lock, and logs each change with the tag `srcroute[IFACE] heal`.
// With FORWARD=yes it also loads the interface's nftables table again when its file is current and
// the kernel lost it (forward-check.ts's `unloaded`: one `nft list table` per run at rest), as
// the part `nft` of the same accounting.
// Back-off (heal-record.ts): after 3 restorations within 10 minutes something keeps deleting them;
// heal says so once, stops for that interface, and `srcroute check` names what to configure.
// A timer runs it (srcroute-heal.timer, every 30 s: a deletion is undone within 36 s), not a
// watcher (`ip monitor rule route` feeding a resident node). Measured on Debian 12 with
// `/usr/bin/time -v` (loaded 2-core machine, one interface): a run at rest starts node and one ip,
// takes 0.09-0.15 s of CPU and 42 MB for half a second, so 240 processes and ~15 s of CPU an
// hour, and holds nothing between runs; the watcher holds 42 MB all the time (ip 2.5 MB, an idle
// node 40 MB) for deletions that come a few times a year, and needs watching itself (a timer
// survives whatever kills a watcher). Figures and how to turn it off: docs/how-it-works.md.
import { InputError, SystemError, isBug, messageOf } from '../../shared/errors.js';
import { checkInterface, readEvent } from '../../hook/event.js';
import type { Env } from '../../hook/env.js';
import { loadConfig, runHook } from '../../hook/hook.js';
import type { Config } from '../../hook/config.js';
import { decide, type Part } from '../../hook/plan.js';
import { queriesFor, readOf, type FamilyRead } from '../../hook/kernel-state.js';
import type { Want } from '../../hook/want.js';
import { account, BACKOFF, parseRecord, recordPath, type HealRecord } from '../../hook/heal-record.js';
import { leaseEnv } from '../../hook/lease.js';
import { isDeviceGone, isNoIPv6 } from '../../kernel/ip-batch.js';
import { stateDirOf } from '../../shared/paths.js';
import type { Family } from '../../kernel/kernel.js';
import { makeDir, readText, writeAtomic } from '../../shared/files.js';
import { configuredInterfaces } from '../interfaces.js';
import { leaseFromFiles } from '../lease-source.js';
import type { OperatorDeps } from '../deps.js';
import type { Report } from '../../hook/apply.js';
import type { Command } from '../../shared/command.js';
import { INTERFACES } from '../help.js';
import type { Finding } from '../diagnose.js';
import { readForward } from '../forward-check.js';
import { nftTableName } from '../../kernel/nft-table.js';
import { dirname } from 'node:path';

const MINUTES = BACKOFF.windowMs / 60_000;

/** srcroute's state directory, as the hook's lock finds it (cli.ts). */

/**
 * One family's repair: the hook's event that makes it, the parts of the table its plan would
 * change, and whether what it was judged from still holds (the lease file unchanged) just before
 * the hook runs it.
 */
interface Repair {
  env: Env;
  parts: Part[];
  current: () => boolean;
}

/** The plan for `want`, from a read of the kernel made for `asked` (its questions), without the lock: reading only. */
async function judge(
  deps: OperatorDeps,
  config: Config,
  family: Family,
  iface: string,
  want: Want,
  asked: Want,
): Promise<{ read: FamilyRead; parts: Part[] }> {
  const scope = { iface, table: config.table };
  const session = deps.ip(config, family);
  try {
    const read = readOf(asked, await session.read(queriesFor(asked, config, scope)), config, scope, family);
    session.close();
    return { read, parts: [...new Set(decide(want, read, scope, config, family).changes.map((c) => c.part))] };
  } catch (e) {
    session.kill();
    throw e;
  }
}

/**
 * IPv4: the lease in the files, while the interface holds its address (read among every
 * interface's: `address show dev X` would fail for a link that is gone).
 */
async function repair4(deps: OperatorDeps, config: Config, iface: string): Promise<Repair | null> {
  const found = leaseFromFiles(iface, deps);
  const env = leaseEnv(iface, found?.vars ?? null);
  const event = readEvent(env);
  const want = event.action === 'follow' ? event.wants[4] : undefined;
  if (want?.kind !== 'lease') return null;
  const { read, parts } = await judge(deps, config, 4, iface, want, { kind: 'ended' });
  const current = (): boolean => JSON.stringify(leaseFromFiles(iface, deps)) === JSON.stringify(found);
  const held = (read.addresses.get(iface) ?? []).includes(want.lease.address);
  return held && parts.length > 0 ? { env, parts, current } : null;
}

/** IPv6: what sync does, a REBIND6 that names no address (the kernel's addresses, main's RA router). */
async function repair6(deps: OperatorDeps, config: Config, iface: string): Promise<Repair | null> {
  if (!config.ipv6) return null;
  const env = { reason: 'REBIND6', interface: iface };
  const event = readEvent(env);
  const want = event.action === 'follow' ? event.wants[6] : undefined;
  if (want === undefined) return null;
  try {
    const { parts } = await judge(deps, config, 6, iface, want, want);
    return parts.length > 0 ? { env, parts, current: () => true } : null;
  } catch (e) {
    if (isNoIPv6(e) || isDeviceGone(e, iface)) return null;
    throw e;
  }
}

/**
 * FORWARD=yes: the interface's nftables table, when its file is the one for the mark the config
 * gives and the kernel does not hold it (`nft delete table`, a firewall's `flush ruleset`): the
 * file to load, else null. A missing or stale file is check's to name (the installer writes it).
 */
async function nftRepair(deps: OperatorDeps, config: Config, iface: string): Promise<string | null> {
  const f = await readForward(deps.run, deps.configDir, iface, config);
  return f?.nft === 'unloaded' ? f.file : null;
}

/** `nft -f FILE` (the file replaces its table whole: kernel/nft-table.ts), or its line in a dry run. */
async function loadNft(deps: OperatorDeps, config: Config, file: string, dry: boolean, report: Report): Promise<void> {
  if (dry) return report.out(`nft -f ${file}`);
  const r = await deps.run(['nft', '-f', file], config.timeoutMs);
  if (r.code !== 0) throw new SystemError(`nft -f ${file} exited ${r.code}: ${r.stderr.trim()}`);
  report.log(`${report.tag}: nft table loaded from ${file}`);
}

/** What heal says when it stops restoring an interface (once: the record remembers it said so). */
export const backoffLine = (iface: string): string =>
  `${BACKOFF.restorations} restorations within ${MINUTES} minutes and deleted again: no more until ` +
  `${iface}'s next lease event or srcroute sync ${iface} (srcroute check says what deletes them)`;

/** One interface: judge, account, and restore through the hook. */
async function healOne(deps: OperatorDeps, iface: string, dry: boolean, report: Report): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(deps, iface);
  } catch (e) {
    if (e instanceof InputError) return; // check and the hook say so; every half minute would flood syslog
    throw e;
  }
  const found = [await repair4(deps, config, iface), await repair6(deps, config, iface)];
  const repairs = found.filter((r): r is Repair => r !== null);
  const nft = await nftRepair(deps, config, iface);
  if (repairs.length === 0 && nft === null) return;
  const parts = [...new Set<string>([...repairs.flatMap((r) => r.parts), ...(nft === null ? [] : ['nft'])])];
  const file = recordPath(stateDirOf(deps.env, deps.paths.state), iface);
  const { act, record } = account(parseRecord(readText(file)), parts, deps.now());
  // written after the hook ran: its lock makes the state directory where tmpfiles.d did not (and
  // makeDir where only the nft table was loaded, no hook ran)
  const save = (): void => {
    if (dry) return;
    makeDir(dirname(file));
    writeAtomic(file, JSON.stringify(record), 0o600);
  };
  if (act === 'hold') return;
  if (act === 'back-off') {
    save();
    return report.log(`${report.tag}: ${backoffLine(iface)}`);
  }
  report.log(`${report.tag}: ${parts.join(', ')} missing since the last lease event: restoring (${count(record)})`);
  try {
    if (nft !== null) await loadNft(deps, config, nft, dry, report);
    // a new lease written since (dhcpcd writes its file before it configures the address and runs
    // the hook): that event's hook decides, not a replay of the lease before it
    for (const r of repairs) if (r.current()) await runHook({ ...deps, env: r.env }, dry, report);
  } finally {
    save();
  }
}

/** Who most likely deletes `parts` of `iface`, and what to do about it (the first line of the finding's fix). */
function deleter(iface: string, parts: readonly string[], networkdRuns: boolean): string {
  const only = (part: string): boolean => parts.length === 1 && parts[0] === part;
  if (only('nft')) {
    return `nft monitor   # watch who deletes table inet ${nftTableName(iface)} (a firewall's flush ruleset?), ` +
      "then have it load srcroute's table after its own (srcroute-nft@.service loads after nftables.service)";
  }
  if (networkdRuns) {
    return 'systemd-networkd runs: ManageForeignRoutingPolicyRules=no in /etc/systemd/networkd.conf.d/, ' +
      'then restart it';
  }
  if (only('local')) {
    return 'only the `lookup main suppress_prefixlength 0` rule went, as wg-quick down deletes it: ' +
      'give wg-quick Table= (or PostUp/PostDown of its own) so it leaves that rule alone';
  }
  return "ip monitor rule route   # watch who deletes them, then configure that program to leave srcroute's alone";
}

/**
 * `srcroute check`'s finding for an interface heal stopped restoring, naming who most likely
 * deletes: a firewall's flush when only the nft table went (FORWARD=yes); networkd when it runs;
 * wg-quick when only the `lookup main suppress_prefixlength 0` rule went (the rule it deletes on
 * down); else whoever `ip monitor rule` shows.
 */
export function backoffFinding(iface: string, record: HealRecord | null, networkdRuns: boolean): Finding[] {
  if (record === null || !record.backedOff) return [];
  const who = deleter(iface, record.parts, networkdRuns);
  return [{
    id: 'heal-backoff',
    iface,
    problem:
      `something deleted srcroute's ${record.parts.join(', ')} ${BACKOFF.restorations} times within ` +
      `${MINUTES} minutes: srcroute heal stopped restoring ${iface}`,
    fix: [who, `srcroute sync ${iface}   # restores them and lets heal restore again`],
  }];
}

const count = (r: HealRecord): string => `${r.restored.length} of ${BACKOFF.restorations} within ${MINUTES} minutes`;

export async function runHeal(
  deps: OperatorDeps,
  iface: string | null,
  dry: boolean,
  report: Omit<Report, 'tag'>,
): Promise<void> {
  const names = iface !== null ? [checkInterface(iface)] : configuredInterfaces(deps.configDir, deps.paths.dhcpcdHooks);
  let failed = false;
  for (const name of names) {
    const tag = `srcroute[${name}] heal`;
    try {
      await healOne(deps, name, dry, { ...report, tag });
    } catch (e) {
      if (isBug(e)) throw e;
      report.log(`${tag}: ${messageOf(e)}`); // one interface's trouble keeps none of the others from healing
      failed = true;
    }
  }
  if (failed) throw new SystemError(`failed for ${names.length === 1 ? names[0] : 'some interfaces'} (see above)`);
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute heal [IFACE] [--dry-run]

Put back srcroute's rules and routes when something deleted them since the
last lease event (networkd, \`ip rule flush\`, wg-quick down, a VPN client),
and with FORWARD=yes its nftables table (\`nft -f /etc/srcroute/nft/IFACE.nft\`):
srcroute-heal.timer runs it every 30 seconds. What belongs there is read from
the lease files (dhcpcd's /var/lib/dhcpcd/IFACE.lease, dhclient's leases) while
IFACE holds the leased address, and for IPv6 from the kernel, as sync does; no
DHCP client is asked. Nothing missing: nothing is written. After
${BACKOFF.restorations} restorations within ${MINUTES} minutes it stops for that interface until its
next lease event or \`srcroute sync\`, says so once, and \`srcroute check\`
names what deletes them.
${INTERFACES}

Options:
  --dry-run  print the ip commands instead of running them

Example:
  srcroute heal --dry-run                   # what it would put back now
  systemctl disable --now srcroute-heal.timer   # turn healing off`,
  flags: ['dry-run'],
  positional: { min: 0, max: 1 },
  run: (args, deps, io) =>
    runHeal(deps, args.positional[0] ?? null, args.flags.has('dry-run'), { out: io.out, log: io.err }),
};
