// Hook mode: one DHCP client event -> the kernel follows the lease. Validate everything, read
// the config, start one ip process, take the table's lock, then read the kernel's state through
// that ip and apply the plan through it too.
import { readLayers, resolveConfig, type Config } from './config.js';
import { execute, type Report } from './apply.js';
import { readEvent, type Env } from './event.js';
import type { IpRunner } from '../kernel/ip.js';
import type { Locker } from '../kernel/lock.js';
import { desiredFor, planDown, planUp } from './plan.js';
import { stateOf, stateQueries } from './state.js';

/** What the hook needs from the outside world; cli.ts hands in the real ones, tests fakes. */
export interface Deps {
  env: Env;
  uid: number;
  configDir: string;
  tables: () => ReadonlyMap<string, number>;
  isExecutable: (path: string) => boolean;
  ip: (config: Config) => IpRunner;
  lock: Locker;
}

/** The config for `iface` (its file over the global one), or the global one alone. */
export function loadConfig(deps: Deps, iface: string | null): Config {
  return resolveConfig(readLayers(deps.configDir, iface, deps.uid), deps.tables, deps.isExecutable);
}

export async function runHook(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const event = readEvent(deps.env);
  if (event.action === 'ignore') return;
  const config = loadConfig(deps, event.iface);
  const warn = (message: string): void => report.log(`${report.tag}: warning: ${message}`);

  const changes = await execute(
    deps.ip(config),
    stateQueries(config, config.table),
    (answers) => {
      const state = stateOf(answers, config, config.table);
      return event.action === 'up' ? planUp(desiredFor(event.lease, event.iface, config), state, config) : planDown(state, config);
    },
    dry,
    report,
    // A dry run changes nothing, so it needs no lock; a real one reads, decides and writes alone.
    dry ? undefined : (critical) => deps.lock(`table-${config.table}`, { timeoutMs: config.timeoutMs, warn }, critical),
  );
  if (event.action === 'up' && changes.length > 0 && !dry) {
    for (const w of event.warnings) warn(w);
  }
}
