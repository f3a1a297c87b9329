// `srcroute check`: what breaks this setup, each with its fix; the routing judged by the hook's
// own plan (judge.ts), and the kernel asked where packets really go (route-probe.ts). Healthy or not is returned, and
// cli.ts turns it into the exit status.
import { diagnose, renderFindings, type Finding } from '../diagnose.js';
import { gatherFacts } from '../facts.js';
import type { OperatorDeps } from '../deps.js';
import type { Command } from '../../shared/command.js';
import { INTERFACES } from '../help.js';
import { backoffFinding } from './heal.js';
import { stateDirOf } from '../../shared/paths.js';
import { parseRecord, recordPath, type HealRecord } from '../../hook/heal-record.js';
import { readText } from '../../shared/files.js';

export async function runCheck(
  deps: OperatorDeps,
  iface: string | null,
  out: (line: string) => void,
): Promise<'healthy' | 'unhealthy'> {
  const facts = await gatherFacts(deps, iface);
  // an interface srcroute heal stopped restoring (its record in the state directory says so)
  const recordOf = (iface: string): HealRecord | null =>
    parseRecord(readText(recordPath(stateDirOf(deps.env, deps.paths.state), iface)));
  const healFinding = (iface: string): Finding[] => backoffFinding(iface, recordOf(iface), facts.networkd.running);
  const stopped = facts.interfaces.flatMap((f) => healFinding(f.state.iface));
  const findings = [...diagnose(facts), ...stopped];
  renderFindings(findings, facts.interfaces.map((f) => f.state.iface)).forEach((line) => out(line));
  return findings.length === 0 ? 'healthy' : 'unhealthy';
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute check [IFACE]

Look for what breaks this setup and print each problem with the command that
fixes it. Routing, judged as the hook judges it: each part of an interface's
table (its source rules, default and connected routes, IPv4 and IPv6) that the
hook would change now, with the exact ip commands \`srcroute sync\` then runs.
Then the kernel itself: for every address srcroute routes, where
\`ip route get\` says its packets go; another program's rule that wins over
srcroute's is named (preference, selector, table). Also: a global IPv6 address
without its rule; a default route in main through the interface or the modem's
port, IPv4 or IPv6; a table name that is not registered; the per-interface
hook missing, not executable, not root's, or naming a node that no longer
exists; /etc/dhcpcd.exit-hook without srcroute's block; dhcpcd.conf without
\`nogateway\` for the macvlan; strict rp_filter; two interfaces sharing a table;
rules left by the original shell hook; no DHCP client, or two;
systemd-networkd's ManageForeignRoutingPolicyRules; IPv6 forwarding without
accept_ra=2; srcroute heal stopped restoring an interface (heal-backoff).
${INTERFACES}
Exit status 0 when nothing is wrong, 1 when something is.

Example:
  srcroute check || echo 'fix the above, then run srcroute check again'`,
  flags: [],
  positional: { min: 0, max: 1 },
  run: (args, deps, io) => runCheck(deps, args.positional[0] ?? null, io.out),
};
