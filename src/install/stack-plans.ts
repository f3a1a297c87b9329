// Each interface's network stack plan (--parent): the stack asked for or the one that runs, its
// facts gathered, its pure planner (operator/stacks/) run. The installer writes the files and
// runs the commands (install-plan.ts).
import { InputError } from '../shared/errors.js';
import { isExecutable } from '../shared/files.js';
import type { OperatorDeps } from '../operator/deps.js';
import { chooseStack, gatherStackFacts, networkOfLink, type GatheredFacts } from '../operator/stacks/gather.js';
import { networkdPlan } from '../operator/stacks/networkd.js';
import { dhcpcdPlan } from '../operator/stacks/dhcpcd.js';
import { ifupdownPlan } from '../operator/stacks/ifupdown.js';
import { nmPlan } from '../operator/stacks/nm.js';
import { STACKS, type MacvlanSpec, type Stack, type StackPlan, type VlanSpec } from '../operator/stacks/plan.js';
import { macOf } from '../operator/commands/mac.js';

type Planner = (spec: MacvlanSpec, facts: GatheredFacts, how: string) => StackPlan;

const PLANNERS: Record<Stack, Planner> = {
  networkd: networkdPlan,
  nm: nmPlan,
  ifupdown: ifupdownPlan,
  dhcpcd: dhcpcdPlan,
};

/**
 * `vlan`: the modem's VLAN to make on the port (--vlan); `parent` is then its name. `stack`: the
 * one asked for or recorded (`how` says which), else the one that runs.
 */
export async function planStack(
  deps: OperatorDeps,
  iface: string,
  parent: string,
  stack: string | undefined,
  vlan?: VlanSpec,
  how?: string,
): Promise<StackPlan> {
  if (parent === iface) throw new InputError(`--parent ${parent} is the macvlan itself`);
  const facts = gatherStackFacts(deps, parent);
  const chosen = chooseStack(stack, facts.processes, deps, STACKS, how);
  if (chosen.stack === 'networkd' && vlan !== undefined) facts.portNetwork = await networkOfLink(deps, vlan.port);
  // ifupdown runs whichever client is installed (its planner says when there is none)
  if (chosen.stack !== 'ifupdown' && !isExecutable(deps.dhcpcd)) {
    throw new InputError(
      `dhcpcd is not installed (no ${deps.dhcpcd}): sudo apt install dhcpcd-base (the client alone, without ` +
        `Debian's all-interface service)`,
    );
  }
  const spec: MacvlanSpec = { iface, parent, mac: macOf(deps, iface), ...(vlan ? { vlan } : {}) };
  return PLANNERS[chosen.stack](spec, facts, chosen.how);
}
