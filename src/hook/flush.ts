// `srcroute flush`: remove every rule and route that carries srcroute's protocol number, in
// every table, for every interface. The uninstaller runs it; an admin can too.
import { execute, reportTo, type Report } from './apply.js';
import type { Command } from '../shared/command.js';
import { loadConfig, type Deps } from './hook.js';
import { planDown } from './plan.js';
import { stateOf, stateQueries } from './state.js';

export async function runFlush(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const config = loadConfig(deps, null);
  await execute(
    deps.ip(config),
    stateQueries(config, 'all'),
    (answers) => planDown(stateOf(answers, config, 'all'), config),
    dry,
    report,
  );
}

export const command: Command<Deps> = {
  help: `Usage: srcroute flush [--dry-run]

Remove every rule and route that carries srcroute's protocol number, in every table, for
every interface. Rules and routes srcroute did not make stay. The uninstaller runs it.

Example:
  srcroute flush --dry-run      # show the ip commands, change nothing`,
  flags: ['dry-run'],
  run: (args, deps, io, tag) => runFlush(deps, args.flags.has('dry-run'), reportTo(io, tag)),
};
