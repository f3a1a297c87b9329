// Hook mode: one DHCP client event -> the kernel follows the lease. Validate everything and read
// the config; then, for each address family the event concerns, what it wants (plan.ts's Want),
// and one round: start ip, take the family's lock for the table, read the kernel, plan, apply.
// IPv4 events run `ip -4`, IPv6 events `ip -6`: each family has its own rules and routes in the
// kernel, its own lock, and never sees the other's. The link going away (NOCARRIER, STOPPED,
// DEPARTED) ends both. The families differ only in their extras: IPv4 keeps the rule of an
// address the interface still holds (plan.ts, `ended`); IPv6 leaves the dispatcher a signature
// of the router advertisement it followed (ra-signature.ts).
import { readLayers, resolveConfig, type Config } from './config.js';
import { applyPlan, type Report } from './apply.js';
import { readEvent, type Env, type HookEvent } from './event.js';
import type { IpSession } from '../kernel/ip.js';
import { isNoIPv6 } from '../kernel/ip-batch.js';
import type { Family } from '../kernel/kernel.js';
import type { Locker } from '../kernel/lock.js';
import { desired, plan, type Desired, type PlannedChange, type Want } from './plan.js';
import type { RaSignatures } from './ra-signature.js';
import type { Notifier } from './followed.js';
import { kernelOf, queriesFor } from './kernel-state.js';
import { hostOrPrefix } from '../shared/prefix.js';

/** What the hook needs from the outside world; cli.ts hands in the real ones, tests fakes. */
export interface Deps {
  env: Env;
  uid: number;
  configDir: string;
  tables: () => ReadonlyMap<string, number>;
  isExecutable: (path: string) => boolean;
  /** Starts ip for one family (kernel/ip.ts). */
  ip: (config: Config, family: Family) => IpSession;
  lock: Locker;
  raSignatures: RaSignatures;
  /** Tells hooks.d's scripts when the addresses or gateway srcroute routes changed (followed.ts). */
  notify: Notifier;
}

/** The config for `iface` (its file over the global one), or the global one alone. */
export function loadConfig(deps: Deps, iface: string | null): Config {
  return resolveConfig(readLayers(deps.configDir, iface, deps.uid), deps.tables, deps.isExecutable);
}

/** Where a round looks: one interface's table under its lock, or every table (flush, unlocked). */
export type Scope = { iface: string; table: number } | { iface: ''; table: 'all' };

/** Each family's lock for a table: the two families never wait for each other. */
const LOCK_NAME: Record<Family, (table: number) => string> = {
  4: (table) => `table-${table}`,
  6: (table) => `table-${table}-ipv6`,
};

/**
 * One round for one family: read what the kernel holds, plan, apply. A dry run changes nothing,
 * so it needs no lock; a real one reads, plans and writes alone.
 */
export async function converge(deps: Deps, config: Config, family: Family, want: Want, scope: Scope, dry: boolean, report: Report): Promise<{ desired: Desired; changes: PlannedChange[] }> {
  const session = deps.ip(config, family); // started before the lock: its start overlaps the wait
  const round = async (): Promise<{ desired: Desired; changes: PlannedChange[] }> => {
    const kernel = kernelOf(want, await session.read(queriesFor(want, config, scope.iface, scope.table)), config, scope.iface, family, scope.table);
    const target = desired(want, kernel, scope.iface, config);
    const changes = plan(target, kernel.owned, config);
    await applyPlan(session, changes, family, dry, report);
    const told = { iface: scope.iface, family, reason: deps.env.reason ?? '', table: config.table, desired: target };
    if (!dry && scope.table !== 'all') await deps.notify(told, report); // hooks.d (followed.ts)
    return { desired: target, changes };
  };
  const warn = (message: string): void => report.log(`${report.tag}: warning: ${message}`);
  try {
    if (dry || scope.table === 'all') return await round();
    return await deps.lock(LOCK_NAME[family](scope.table), { timeoutMs: config.timeoutMs, warn }, round);
  } catch (e) {
    session.kill();
    throw e;
  }
}

/** Run every step, even after one failed (the link going away ends both families); then throw the first failure. */
export async function allOf(steps: readonly (() => Promise<void>)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** IPv6 with nothing of srcroute's: a kernel without IPv6 has nothing to remove. */
async function clear6(deps: Deps, config: Config, iface: string, dry: boolean, report: Report): Promise<void> {
  try {
    await converge(deps, config, 6, { kind: 'nothing' }, { iface, table: config.table }, dry, report);
  } catch (e) {
    if (!isNoIPv6(e)) throw e;
  }
}

type Event6 = Extract<HookEvent, { action: 'up6' | 'down6' }>;

/** An IPv6 event; a ROUTERADVERT also leaves (or drops) the dispatcher's signature of it. */
async function follow6(deps: Deps, event: Event6, config: Config, dry: boolean, report: Report): Promise<void> {
  const signature = event.reason === 'ROUTERADVERT' && !dry ? (deps.env.SRCROUTE_RA_SIG ?? null) : undefined;
  const remember = (value: string | null): void => {
    if (signature !== undefined) deps.raSignatures.set(event.iface, value);
  };
  if (!config.ipv6) return remember(signature ?? null);
  const { news } = event;
  const noRouter = news.advert !== undefined && news.advert.router === null;
  try {
    if (noRouter) await clear6(deps, config, event.iface, dry, report);
    else await converge(deps, config, 6, { kind: 'follow', news }, { iface: event.iface, table: config.table }, dry, report);
  } catch (e) {
    remember(null);
    throw e;
  }
  remember(noRouter ? null : (signature ?? null));
}

type Event4 = Extract<HookEvent, { action: 'up' | 'down' }>;

/** An IPv4 event; the link going away ends IPv6 too. */
async function follow4(deps: Deps, event: Event4, config: Config, dry: boolean, report: Report): Promise<void> {
  const { iface } = event;
  const want: Want = event.action === 'up' ? { kind: 'lease', lease: event.lease } : { kind: 'ended' };
  const v4 = async (): Promise<void> => {
    const { desired: kept, changes } = await converge(deps, config, 4, want, { iface, table: config.table }, dry, report);
    for (const r of want.kind === 'ended' ? kept.rules : []) {
      report.log(`${report.tag}: ${hostOrPrefix(r.from)} stays on ${iface} (the DHCP client keeps it configured): its rule and routes stay`);
    }
    if (event.action === 'up' && changes.length > 0 && !dry) {
      for (const w of event.warnings) report.log(`${report.tag}: warning: ${w}`);
    }
  };
  const v6 = async (): Promise<void> => {
    if (!dry) deps.raSignatures.set(iface, null);
    await clear6(deps, config, iface, dry, report);
  };
  await allOf(event.action === 'down' && event.v6 && config.ipv6 ? [v4, v6] : [v4]);
}

export async function runHook(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const event = readEvent(deps.env);
  if (event.action === 'ignore') return;
  const config = loadConfig(deps, event.iface);
  return 'news' in event ? follow6(deps, event, config, dry, report) : follow4(deps, event, config, dry, report);
}
