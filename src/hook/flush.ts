// `srcroute flush`: remove every rule and route that carries srcroute's protocol number, in
// every table, for every interface, IPv4 and IPv6 (one ip process per family: ip lists one
// family at a time), and the dispatcher's RA signatures, which would otherwise keep an unchanged
// RA from putting the IPv6 rules back. The uninstaller runs it; an admin can too.
import { execute, reportTo, type Report } from './apply.js';
import { isNoIPv6 } from '../kernel/ip-batch.js';
import type { Command } from '../shared/command.js';
import { loadConfig, type Deps } from './hook.js';
import { planDown } from './plan.js';
import { stateOf, stateQueries } from './state.js';

export async function runFlush(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const config = loadConfig(deps, null);
  for (const family of [4, 6] as const) {
    try {
      await execute(
        deps.ip(config, family),
        stateQueries(config, 'all'),
        (answers) => planDown(stateOf(answers, config, 'all', family), config),
        dry,
        report,
        undefined,
        family,
      );
    } catch (e) {
      if (!(family === 6 && isNoIPv6(e))) throw e;
    }
  }
  if (!dry) deps.raSignatures.clear();
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
