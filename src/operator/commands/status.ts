// `srcroute status [IFACE] [--json]`: each configured interface's lease against the kernel.
import { gatherFacts } from '../facts.js';
import type { OperatorDeps } from '../deps.js';
import { renderStatusJson, renderStatusTable } from '../status-view.js';

export async function runStatus(deps: OperatorDeps, iface: string | null, json: boolean, out: (line: string) => void): Promise<void> {
  const states = (await gatherFacts(deps, iface)).interfaces.map((f) => f.state);
  if (json) out(renderStatusJson(states));
  else renderStatusTable(states).forEach((line) => out(line));
}
