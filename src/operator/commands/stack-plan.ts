// `srcroute stack-plan IFACE --parent ETH [--stack S] --out DIR` (for install.sh, not in --help):
// the files and commands that make IFACE a leased, source-routed macvlan on the box's network
// stack, written as DIR/plan (the manifest, see stacks/plan.ts) and DIR/files/PATH (each file's
// content). install.sh installs them with its own atomic, recorded writes; this command writes
// nothing outside DIR.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkInterface } from '../../hook/event.js';
import { InputError, SystemError } from '../../shared/errors.js';
import { isExecutable, statOf } from '../../shared/files.js';
import type { OperatorDeps } from '../deps.js';
import type { Command } from '../../shared/command.js';
import { chooseStack, gatherStackFacts, type GatheredFacts } from '../stacks/gather.js';
import { networkdPlan } from '../stacks/networkd.js';
import { dhcpcdPlan } from '../stacks/dhcpcd.js';
import { ifupdownPlan } from '../stacks/ifupdown.js';
import { nmPlan } from '../stacks/nm.js';
import { renderManifest, type MacvlanSpec, type Stack, type StackPlan } from '../stacks/plan.js';
import { macOf } from './mac.js';

export interface StackPlanArgs {
  iface: string;
  parent: string | undefined;
  stack: string | undefined;
  out: string | undefined;
}

type Planner = (spec: MacvlanSpec, facts: GatheredFacts, how: string) => StackPlan;

/** One planner per stack. */
const PLANNERS: Record<Stack, Planner> = {
  networkd: networkdPlan,
  nm: nmPlan,
  ifupdown: ifupdownPlan,
  dhcpcd: dhcpcdPlan,
};

export function planStack(deps: OperatorDeps, args: StackPlanArgs): StackPlan {
  const iface = checkInterface(args.iface, 'interface name');
  if (args.parent === undefined) throw new InputError('--parent is required: the interface the macvlan sits on, e.g. --parent eth0');
  const parent = checkInterface(args.parent, '--parent');
  if (parent === iface) throw new InputError(`--parent ${parent} is the macvlan itself`);
  const facts = gatherStackFacts(deps, parent);
  const { stack, how } = chooseStack(args.stack, facts.processes, deps);
  const planner = PLANNERS[stack];
  // ifupdown runs whichever client is installed (its planner says when there is none)
  if (stack !== 'ifupdown' && !isExecutable(deps.dhcpcd)) throw new InputError(`dhcpcd is not installed (no ${deps.dhcpcd}): sudo apt install dhcpcd-base (the client alone, without Debian's all-interface service)`);
  return planner({ iface, parent, mac: macOf(deps, iface) }, facts, how);
}

async function runStackPlan(deps: OperatorDeps, args: StackPlanArgs, out: (line: string) => void): Promise<void> {
  if (args.out === undefined) throw new InputError('--out DIR is required: where the manifest and the files go');
  if (!statOf(args.out)?.isDirectory()) throw new InputError(`--out ${args.out}: no such directory`);
  const plan = planStack(deps, args);
  try {
    for (const f of plan.files) {
      const at = join(args.out, 'files', f.path);
      mkdirSync(dirname(at), { recursive: true });
      writeFileSync(at, f.content, { mode: 0o600 });
    }
    writeFileSync(join(args.out, 'plan'), renderManifest(plan));
  } catch (e) {
    throw new SystemError(`cannot write the plan into ${args.out}: ${(e as Error).message}`);
  }
  out(`${plan.stack} (${plan.how}): ${plan.files.length} files, ${plan.run.length} commands`);
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute stack-plan IFACE --parent ETH [--stack nm|networkd] --out DIR

For install.sh: what makes IFACE a leased, source-routed macvlan on ETH for the network stack
(detected from what runs unless --stack is given): DIR/plan lists the files (their contents
under DIR/files/) and the commands around them. Writes nothing outside DIR.

Example:
  srcroute stack-plan eth0v0 --parent eth0 --out "$(mktemp -d)"`,
  flags: [],
  options: ['parent', 'stack', 'out'],
  positional: { min: 1, max: 1 },
  run: (args, deps, io) =>
    runStackPlan(deps, { iface: args.positional[0]!, parent: args.options.get('parent'), stack: args.options.get('stack'), out: args.options.get('out') }, io.err),
};
