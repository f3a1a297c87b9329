// `srcroute flush`: remove every rule and route that carries srcroute's protocol number, in
// every table, for every interface, IPv4 and IPv6 (one ip process per family: ip lists one
// family at a time). The uninstaller runs it; an admin can too.
import { execute, reportTo, type Report } from './apply.js';
import type { Command } from '../shared/command.js';
import { loadConfig, type Deps } from './hook.js';
import { planDown } from './plan.js';
import { stateOf, stateQueries } from './state.js';

export async function runFlush(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const config = loadConfig(deps, null);
  for (const family of [4, 6] as const) {
    await execute(
      deps.ip(config, family),
      stateQueries(config, 'all'),
      (answers) => planDown(stateOf(answers, config, 'all', family), config),
      dry,
      report,
      undefined,
      family,
    );
  }
}

export const command: Command<Deps> = {
  help: `Usage: srcroute flush [--dry-run]

Remove every rule and route that carries srcroute's protocol number, in every table, for
every interface, IPv4 and IPv6. Rules and routes srcroute did not make stay. The uninstaller
runs it.

Example:
  srcroute flush --dry-run      # show the ip commands, change nothing`,
  flags: ['dry-run'],
  run: (args, deps, io, tag) => runFlush(deps, args.flags.has('dry-run'), reportTo(io, tag)),
};
