// The edge the installer (src/install/stack-plans.ts) and `macvlan` share: what runs, which stack that makes
// it (or the one asked for), the .network file networkd applies to the parent, whether systemd
// runs. Everything it finds is plain data for the pure planners beside it.
import { join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { isExecutable, listDir, readText } from '../../shared/files.js';
import type { OperatorDeps } from '../deps.js';
import { readNetworkd } from '../networkd.js';
import { readProcesses, type Proc } from '../running.js';
import { detectStack, ifupdownConfigures } from './detect.js';
import { ifaceMethod, type IfupdownFacts } from './ifupdown.js';
import { NETWORK_DIRS, networkFileFor } from './networkd.js';
import { STACKS, type Stack } from './plan.js';

/** Where a stack given to chooseStack came from, as the installer's output says it. */
export const ASKED = 'as asked with --stack';

/**
 * The stack given (--stack, or the one install recorded: `how` says which), else the one that
 * runs; an InputError when neither says.
 */
export function chooseStack(
  given: string | undefined,
  processes: readonly Proc[],
  deps: OperatorDeps,
  allowed: readonly Stack[] = STACKS,
  how = ASKED,
): { stack: Stack; how: string } {
  if (given !== undefined) {
    if (!(allowed as readonly string[]).includes(given))
      throw new InputError(`unknown --stack "${given}" (one of ${allowed.join(', ')})`);
    return { stack: given as Stack, how };
  }
  const found = detectStack({ processes, ifupdownConfigured: ifupdownConfigures(readText(deps.paths.ifupdown)) });
  if (found.stack === null)
    throw new InputError(
      `cannot tell which network stack manages this system (${found.why}); give --stack ${allowed.join('|')}`,
    );
  if (!allowed.includes(found.stack))
    throw new InputError(`${found.how.replace(/^detected: /, '')}: give --stack ${allowed.join('|')} for the macvlan`);
  return found;
}

/** The .network file networkd applies to `parent`, from the files as they are now. */
export function parentNetworkOf(deps: OperatorDeps, parent: string): string | null {
  const files = NETWORK_DIRS.flatMap((dir) =>
    listDir(join(deps.paths.root || '/', dir)).map((name) => ({
      path: `${dir}/${name}`,
      text: readText(join(deps.paths.root || '/', dir, name)) ?? '',
    })),
  );
  return networkFileFor(files, parent);
}

/**
 * The .network networkd applies to LINK, as networkctl names it ("Network File:"): netplan's files
 * match on a MAC, with no Name= to judge; by Name= when networkctl cannot say (--root, not running).
 */
export async function networkOfLink(deps: OperatorDeps, link: string): Promise<string | null> {
  if (deps.paths.root === '' || deps.paths.root === '/') {
    const r = await deps.run(['networkctl', 'status', '--no-pager', link], 10_000);
    const m = /^\s*Network File:\s*(\/\S+)\s*$/m.exec(r.code === 0 ? r.stdout : '');
    if (m) return m[1]!;
  }
  return parentNetworkOf(deps, link);
}

export interface GatheredFacts extends IfupdownFacts {
  processes: Proc[];
  parentNetwork: string | null;
  portNetwork: string | null;
  networkdStale: boolean;
  dhcpcd: string;
}

/** ifupdown 0.8.41 runs the first installed of dhclient, udhcpc, dhcpcd for `inet dhcp` (interfaces(5)). */
function ifupdownFacts(deps: OperatorDeps, parent: string): IfupdownFacts {
  const has = (names: readonly string[]): boolean => names.some((n) => isExecutable(join(deps.paths.root || '/', n)));
  const dhcpcdInstalled = isExecutable(deps.dhcpcd);
  const dhclient = has(['/usr/sbin/dhclient', '/sbin/dhclient']);
  return {
    ifup: has(['/usr/sbin/ifup', '/sbin/ifup']),
    ifupClient: dhclient ? 'dhclient' : dhcpcdInstalled ? 'dhcpcd' : null,
    dhcpcdInstalled,
    parentMethod: ifaceMethod(readText(deps.paths.ifupdown), parent),
  };
}

export function gatherStackFacts(deps: OperatorDeps, parent: string): GatheredFacts {
  const processes = readProcesses(deps.paths.proc, deps.now());
  const networkd = readNetworkd(deps.paths, processes);
  return {
    processes,
    parentNetwork: parentNetworkOf(deps, parent),
    // asked of networkd only when it makes a VLAN (stack-plans.ts)
    portNetwork: null,
    networkdStale: networkd.startedBeforeConfig,
    dhcpcd: deps.dhcpcd,
    ...ifupdownFacts(deps, parent),
  };
}
