// `srcroute status [IFACE] [--json]`: each configured interface's lease against the kernel.
import { gatherFacts } from '../facts.js';
import type { OperatorDeps } from '../deps.js';
import { renderStatusJson, renderStatusTable } from '../status-view.js';
import type { Command } from '../../shared/command.js';
import { INTERFACES, LEASE } from '../help.js';

export async function runStatus(deps: OperatorDeps, iface: string | null, json: boolean, out: (line: string) => void): Promise<void> {
  const states = (await gatherFacts(deps, iface)).interfaces.map((f) => f.state);
  if (json) out(renderStatusJson(states));
  else renderStatusTable(states).forEach((line) => out(line));
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute status [IFACE] [--json]

For each interface: the lease (address/prefix and gateway, as the DHCP client reports it),
the table, and its parts as the hook judges them: the source rule, the default route and the
connected route, each ok, or missing, wrong or stale by the change the hook would make now
("-": nothing is wanted and nothing is there); the effective rp_filter (off, strict, loose);
IPv6: how many global addresses and which router, then the same three parts (RULES6, DEFAULT6,
CONNECTED6), "off" with IPV6=no. All ok: the hook has nothing to do, srcroute has converged.
${INTERFACES}
--json prints the same as JSON for scripts, each family's plan as the ip commands the hook
would run (none: converged).

${LEASE}

Example:
  srcroute status
  IFACE   LEASE           GATEWAY     TABLE      RULE  DEFAULT  CONNECTED  RP_FILTER  IPV6                RULES6  DEFAULT6  CONNECTED6
  eth0v0  100.64.0.56/24  100.64.0.1  pub (123)  ok    ok       ok         loose      2 addr via fe80::1  ok      ok        ok`,
  flags: ['json'],
  positional: { min: 0, max: 1 },
  run: (args, deps, io) => runStatus(deps, args.positional[0] ?? null, args.flags.has('json'), io.out),
};
