// Hook mode: one DHCP client event -> the kernel follows the lease. Validate everything, read
// the config, start one ip process, take the table's lock, then read the kernel's state through
// that ip and apply the plan through it too. IPv4 events run `ip -4`, IPv6 events `ip -6`: each
// family has its own rules and routes in the kernel, its own lock, and never sees the other's.
// The link going away (NOCARRIER, STOPPED, DEPARTED) ends both: one process per family.
import { readLayers, resolveConfig, type Config } from './config.js';
import { execute, type Report } from './apply.js';
import { readEvent, type Env, type HookEvent } from './event.js';
import type { IpRunner } from '../kernel/ip.js';
import { isNoIPv6 } from '../kernel/ip-batch.js';
import { parseAddresses, type Family, type Rule } from '../kernel/kernel.js';
import type { Locker } from '../kernel/lock.js';
import type { Change } from '../kernel/change.js';
import { desiredFor, heldRules, planDown, planUp } from './plan.js';
import { desired6 } from './plan6.js';
import type { RaSignatures } from './ra-signature.js';
import { ADDRESSES_QUERY, state6Of, state6Queries, stateOf, stateQueries } from './state.js';

/** What the hook needs from the outside world; cli.ts hands in the real ones, tests fakes. */
export interface Deps {
  env: Env;
  uid: number;
  configDir: string;
  tables: () => ReadonlyMap<string, number>;
  isExecutable: (path: string) => boolean;
  ip: (config: Config, family?: Family) => IpRunner;
  lock: Locker;
  raSignatures: RaSignatures;
}

/** The config for `iface` (its file over the global one), or the global one alone. */
export function loadConfig(deps: Deps, iface: string | null): Config {
  return resolveConfig(readLayers(deps.configDir, iface, deps.uid), deps.tables, deps.isExecutable);
}

type Decide = (answers: unknown[]) => Change[];

/** One read-decide-write round for one family, under that family's lock for the table. */
function round(deps: Deps, config: Config, family: Family, queries: string[][], decide: Decide, dry: boolean, report: Report): Promise<Change[]> {
  const warn = (message: string): void => report.log(`${report.tag}: warning: ${message}`);
  const name = family === 6 ? `table-${config.table}-ipv6` : `table-${config.table}`;
  return execute(
    deps.ip(config, family),
    queries,
    decide,
    dry,
    report,
    // A dry run changes nothing, so it needs no lock; a real one reads, decides and writes alone.
    dry ? undefined : (critical) => deps.lock(name, { timeoutMs: config.timeoutMs, warn }, critical),
    family,
  );
}

/** Remove every IPv6 rule and route srcroute holds in the interface's table (none without IPv6). */
async function clear6(deps: Deps, config: Config, dry: boolean, report: Report): Promise<void> {
  const queries = stateQueries(config, config.table);
  try {
    await round(deps, config, 6, queries, (answers) => planDown(stateOf(answers, config, config.table, 6), config), dry, report);
  } catch (e) {
    if (!isNoIPv6(e)) throw e;
  }
}

/** An IPv6 event; a ROUTERADVERT also leaves (or drops) the dispatcher's signature of it. */
async function follow6(deps: Deps, event: Extract<HookEvent, { action: 'up6' | 'down6' }>, config: Config, dry: boolean, report: Report): Promise<void> {
  const signature = event.reason === 'ROUTERADVERT' && !dry ? (deps.env.SRCROUTE_RA_SIG ?? null) : undefined;
  const remember = (value: string | null): void => {
    if (signature !== undefined) deps.raSignatures.set(event.iface, value);
  };
  if (!config.ipv6) return remember(signature ?? null);
  const { news } = event;
  const noRouter = news.advert !== undefined && news.advert.router === null;
  try {
    if (noRouter) await clear6(deps, config, dry, report);
    else {
      const decide: Decide = (answers) => {
        const kernel = state6Of(answers, config);
        return planUp(desired6(news, kernel, event.iface, config), kernel.owned, config);
      };
      await round(deps, config, 6, state6Queries(config, event.iface), decide, dry, report);
    }
  } catch (e) {
    remember(null);
    throw e;
  }
  remember(noRouter ? null : (signature ?? null));
}

export async function runHook(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const event = readEvent(deps.env);
  if (event.action === 'ignore') return;
  const config = loadConfig(deps, event.iface);
  if (event.action === 'up6' || event.action === 'down6') return follow6(deps, event, config, dry, report);

  const queries = [...stateQueries(config, config.table), ...(event.action === 'down' ? [ADDRESSES_QUERY] : [])];
  let held: Rule[] = [];
  try {
    const changes = await round(
      deps,
      config,
      4,
      queries,
      (answers) => {
        const state = stateOf(answers, config, config.table);
        if (event.action === 'up') return planUp(desiredFor(event.lease, event.iface, config), state, config);
        held = heldRules(state, parseAddresses(answers[2]).get(event.iface) ?? []);
        return planDown(state, config, held);
      },
      dry,
      report,
    );
    for (const r of held) {
      report.log(`${report.tag}: ${r.from.replace(/\/32$/, '')} stays on ${event.iface} (the DHCP client keeps it configured): its rule and routes stay`);
    }
    if (event.action === 'up' && changes.length > 0 && !dry) {
      for (const w of event.warnings) report.log(`${report.tag}: warning: ${w}`);
    }
  } finally {
    if (event.action === 'down' && event.v6 && config.ipv6) {
      if (!dry) deps.raSignatures.set(event.iface, null);
      await clear6(deps, config, dry, report);
    }
  }
}
