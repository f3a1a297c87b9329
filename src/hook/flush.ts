// `srcroute flush`: remove every rule and route that carries srcroute's protocol number, in
// every table, for every interface, IPv4 and IPv6 (one ip process per family: ip lists one
// family at a time), and the dispatcher's RA signatures, which would otherwise keep an unchanged
// RA from putting the IPv6 rules back. The uninstaller runs it; an admin can too.
// Both families are always tried, and what is already gone counts as removed: under uninstall,
// the DHCP client's own last event can remove a rule between flush's read and its delete
// (seen on Debian 13: flush stopped at that IPv4 rule's "No such file or directory", IPv6 left behind).
import { reportTo, type Report } from './apply.js';
import { isNoIPv6 } from '../kernel/ip-batch.js';
import type { Command } from '../shared/command.js';
import { allOf, converge, loadConfig, type Deps } from './hook.js';

export async function runFlush(deps: Deps, dry: boolean, report: Report): Promise<void> {
  const config = loadConfig(deps, null);
  const family = (f: 4 | 6) => async (): Promise<void> => {
    try {
      await converge(deps, config, f, { kind: 'nothing' }, { iface: '', table: 'all' }, dry, report);
    } catch (e) {
      if (!(f === 6 && isNoIPv6(e))) throw e;
    }
  };
  try {
    await allOf([family(4), family(6)]);
  } finally {
    if (!dry) deps.raSignatures.clear();
  }
}

export const command: Command<Deps> = {
  help: `Usage: srcroute flush [--dry-run]

Remove every rule and route that carries srcroute's protocol number, in every
table, for every interface, IPv4 and IPv6. Rules and routes srcroute did not
make stay. The uninstaller runs it.

Options:
  --dry-run  print the ip commands instead of running them

Example:
  srcroute flush --dry-run      # show the ip commands, change nothing`,
  flags: ['dry-run'],
  run: (args, deps, io, tag) => runFlush(deps, args.flags.has('dry-run'), reportTo(io, tag)),
};
