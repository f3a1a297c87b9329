// Hook mode: one DHCP client event -> the kernel follows the lease. Validate everything and read
// the config; the event says what it wants of each address family it concerns (want.ts), and
// each gets one round: start ip, take the family's lock for the table, read the kernel, plan, apply.
// IPv4 events run `ip -4`, IPv6 events `ip -6`: each family has its own rules and routes in the
// kernel, its own lock, and never sees the other's. The link going away (NOCARRIER, STOPPED,
// DEPARTED) ends both. One path follows either family; their extras are what is logged after
// IPv4's round (an address the interface still holds keeps its rules: plan.ts, `ended`) and the
// signature of the router advertisement IPv6 followed, left for the dispatcher (ra-signature.ts).
import { readLayers, resolveConfig, type Config } from './config.js';
import { applyPlan, type Report } from './apply.js';
import { readEvent, type HookEvent } from './event.js';
import type { Env } from './env.js';
import type { IpSession } from '../kernel/ip.js';
import { isDeviceGone, isNoIPv6 } from '../kernel/ip-batch.js';
import type { Family } from '../kernel/kernel.js';
import type { Locker } from '../kernel/lock.js';
import { decide, type PlannedChange } from './plan.js';
import type { RaSignatures } from './ra-signature.js';
import { queriesFor, readOf, type Scope } from './kernel-state.js';
import type { Desired, Want } from './want.js';
import type { Notifier } from './followed.js';
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

/** Each family's lock for a table: the two families never wait for each other. */
const LOCK_NAME: Record<Family, (table: number) => string> = {
  4: (table) => `table-${table}`,
  6: (table) => `table-${table}-ipv6`,
};

type Outcome = { desired: Desired; changes: PlannedChange[] };

/**
 * One round for one family: read what the kernel holds, plan, apply. A dry run changes nothing,
 * so it needs no lock; a real one reads, plans and writes alone. An interface that is gone holds
 * nothing: its rules go (a `from ADDR` rule belongs to no device and outlives it), and the hook
 * says so and succeeds (the DHCP client calls again when the link is back).
 */
export async function converge(
  deps: Deps,
  config: Config,
  family: Family,
  want: Want,
  scope: Scope,
  dry: boolean,
  report: Report,
): Promise<Outcome> {
  const session = deps.ip(config, family); // started before the lock: its start overlaps the wait
  const round = (): Promise<Outcome> =>
    once(session, want).catch((e: unknown) => {
      if (!isDeviceGone(e, scope.iface)) throw e;
      report.log(`${report.tag}: ${scope.iface} does not exist (any more): srcroute holds nothing for it`);
      return once(deps.ip(config, family), { kind: 'nothing' });
    });
  const once = async (ip: IpSession, wish: Want): Promise<Outcome> => {
    try {
      const read = readOf(wish, await ip.read(queriesFor(wish, config, scope)), config, scope, family);
      const { desired, changes } = decide(wish, read, scope, config, family);
      await applyPlan(ip, changes, family, dry, report);
      const told = { iface: scope.iface, family, reason: deps.env.reason ?? '', table: config.table, desired };
      if (!dry && scope.table !== 'all') await deps.notify(told, report); // hooks.d (followed.ts)
      return { desired, changes };
    } catch (e) {
      ip.kill();
      throw e;
    }
  };
  const warn = (message: string): void => report.log(`${report.tag}: warning: ${message}`);
  if (dry || scope.table === 'all') return round();
  try {
    return await deps.lock(LOCK_NAME[family](scope.table), { timeoutMs: config.timeoutMs, warn }, round);
  } catch (e) {
    session.kill(); // the lock's wait failed before the round began: ip must not wait for input
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

type Followed = Extract<HookEvent, { action: 'follow' }>;

/** What the hook logs once a family followed its event: IPv4's kept addresses, and the lease's warnings once routed. */
function aftermath(event: Followed, want: Want, outcome: Outcome, dry: boolean, report: Report): void {
  if (want.kind === 'ended') {
    for (const address of new Set(outcome.desired.rules.map((r) => hostOrPrefix(r.from)))) {
      report.log(
        `${report.tag}: ${address} stays on ${event.iface} (the DHCP client keeps it configured): its rules and ` +
          `routes stay`,
      );
    }
  }
  if (want.kind === 'lease' && outcome.changes.length > 0 && !dry) {
    for (const w of event.warnings) report.log(`${report.tag}: warning: ${w}`);
  }
}

/** One family's round for the event; a kernel without IPv6 holds nothing of it to remove. */
async function follow(
  deps: Deps,
  event: Followed,
  family: Family,
  want: Want,
  config: Config,
  dry: boolean,
  report: Report,
): Promise<void> {
  try {
    aftermath(
      event,
      want,
      await converge(deps, config, family, want, { iface: event.iface, table: config.table }, dry, report),
      dry,
      report,
    );
  } catch (e) {
    if (!(family === 6 && want.kind === 'nothing' && isNoIPv6(e))) throw e;
  }
}

/**
 * The dispatcher's signature of the RA the hook followed (ra-signature.ts), once the event is
 * done: kept after a ROUTERADVERT that went well and left a router (or that IPv6=no ignores),
 * dropped after one that failed or left none, and when the link goes, so that the next RA runs.
 */
function raSignature(deps: Deps, event: Followed, config: Config, failed: boolean): void {
  const news = event.wants[6]?.kind === 'follow' ? event.wants[6].news : undefined;
  if (event.reason === 'ROUTERADVERT' && news?.advert) {
    const kept = !failed && (!config.ipv6 || news.advert.router !== null);
    deps.raSignatures.set(event.iface, kept ? (deps.env.SRCROUTE_RA_SIG ?? null) : null);
  } else if (event.wants[6]?.kind === 'nothing' && config.ipv6) deps.raSignatures.set(event.iface, null);
}

const FAMILIES: readonly Family[] = [4, 6];

export async function runHook(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const event = readEvent(deps.env);
  if (event.action === 'ignore') return;
  const config = loadConfig(deps, event.iface);
  const followed = FAMILIES.filter((f) => event.wants[f] !== undefined && (f === 4 || config.ipv6));
  try {
    await allOf(followed.map((f) => () => follow(deps, event, f, event.wants[f]!, config, dry, report)));
  } catch (e) {
    if (!dry) raSignature(deps, event, config, true);
    throw e;
  }
  if (!dry) raSignature(deps, event, config, false);
}
