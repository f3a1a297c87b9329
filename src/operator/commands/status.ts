// `srcroute status [IFACE] [--json]`: each configured interface's lease against the kernel.
import { gatherFacts, type InterfaceFacts } from '../facts.js';
import { forwardLine } from '../forward-check.js';
import type { OperatorDeps } from '../deps.js';
import { renderStatusJson, renderStatusTable, type StatusOf } from '../status-view.js';
import type { Command } from '../../shared/command.js';
import { INTERFACES, LEASE } from '../help.js';

export async function runStatus(
  deps: OperatorDeps,
  iface: string | null,
  json: boolean,
  out: (line: string) => void,
): Promise<void> {
  const withForward = (f: InterfaceFacts): StatusOf =>
    f.forward ? { ...f.state, forward: forwardLine(f.forward) } : f.state;
  const states = (await gatherFacts(deps, iface)).interfaces.map(withForward);
  if (json) out(renderStatusJson(states));
  else renderStatusTable(states).forEach((line) => out(line));
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute status [IFACE] [--json]

For each interface: its table and the effective rp_filter (off, strict,
loose); for IPv4 the lease (address/prefix and gateway, as the DHCP client
reports it), for IPv6 how many global addresses and which router ("off" with
IPV6=no); for each family the parts of the table as the hook judges them: the
source rule, the default route and the connected route, each ok, or missing,
wrong or stale by the change the hook would make now ("-": nothing is wanted
and nothing is there). All ok: the hook has nothing to do, srcroute has
converged. With FORWARD=yes, a line: its mark, and its nft table ok, missing,
stale (not the file for this mark), unloaded (not in the kernel) or unknown.
${INTERFACES}

Options:
  --json  the same as JSON for scripts, each family's plan as the ip commands
          the hook would run (none: converged)

${LEASE}

Example:
  srcroute status
  eth0v0: table pub (123), rp_filter loose
    ipv4  100.64.0.56/24 via 100.64.0.1
          rule ok, default ok, connected ok
    ipv6  2 addr via fe80::1
          rule ok, default ok, connected ok`,
  flags: ['json'],
  positional: { min: 0, max: 1 },
  run: (args, deps, io) => runStatus(deps, args.positional[0] ?? null, args.flags.has('json'), io.out),
};
