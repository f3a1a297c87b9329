// `srcroute check`: what breaks this setup, each with its fix. Healthy or not is returned, and
// cli.ts turns it into the exit status.
import { diagnose, renderFindings } from '../diagnose.js';
import { gatherFacts } from '../facts.js';
import type { OperatorDeps } from '../deps.js';

export async function runCheck(deps: OperatorDeps, iface: string | null, out: (line: string) => void): Promise<'healthy' | 'unhealthy'> {
  const facts = await gatherFacts(deps, iface);
  const findings = diagnose(facts);
  renderFindings(findings, facts.interfaces.map((f) => f.state.iface)).forEach((line) => out(line));
  return findings.length === 0 ? 'healthy' : 'unhealthy';
}
