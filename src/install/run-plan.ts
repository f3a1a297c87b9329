// The command edge both installer commands share: where to write (--root), who runs it, the
// names the messages use, and the writer with its output.
import { realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { runFlush } from '../hook/flush.js';
import { reportTo } from '../hook/apply.js';
import { InputError } from '../shared/errors.js';
import type { Args, Io } from '../shared/command.js';
import type { OperatorDeps } from '../operator/deps.js';
import { systemPaths } from '../shared/paths.js';
import type { Given } from './gather.js';
import type { Plan } from './steps.js';
import { Writer } from './writer.js';
import { clientsOf, describeClient, dhcpClients } from '../operator/dhcp-clients.js';
import { readProcesses } from '../operator/running.js';
import type { HookTexts } from './texts.js';

declare const SRCROUTE_HOOKS: HookTexts;

/** The hooks build/build.mjs embedded in the bundle. */
export const embeddedHooks = (): HookTexts => SRCROUTE_HOOKS;

/** Where the bundles are: this bundle's directory (dist/, or the package's). */
export const distDir = (): string => dirname(realpathSync(__filename));


/** --root DIR: an existing directory, by its real path ('' for /). */
export function rootOf(given: string | undefined): string {
  if (given === undefined) return '';
  const at = resolve(given);
  if (!statSync(at, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`--root ${at}: no such directory`);
  const real = realpathSync(at);
  return real === '/' ? '' : real;
}

export function given(args: Args, io: Io, prog: string): Given {
  return {
    prog,
    root: rootOf(args.options.get('root')),
    dry: args.flags.has('dry-run'),
    uid: io.uid,
    gid: process.getgid?.() ?? 0,
  };
}

/** The dhcpcds that lease IFACE now: the PIDs of those named for it, and whether a manager runs. */
function dhcpcdsOf(deps: OperatorDeps, iface: string): { own: number[]; manager: boolean } {
  const running = clientsOf(dhcpClients(readProcesses(deps.paths.proc, deps.now())), iface);
  const ds = running.filter((c) => c.program === 'dhcpcd');
  return { own: ds.filter((c) => c.ifaces !== 'all').map((c) => c.pid), manager: ds.some((c) => c.ifaces === 'all') };
}

/** SIG to PID; a process that exited meanwhile (ESRCH) is what the caller waits for anyway. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** The deps with every system path under --root DIR. */
export const under = (deps: OperatorDeps, root: string): OperatorDeps =>
  root === '' ? deps : { ...deps, paths: systemPaths(root) };

export async function applyPlan(plan: Plan, deps: OperatorDeps, g: Given, io: Io): Promise<void> {
  const writer = new Writer({
    root: g.root,
    dry: g.dry,
    chown: g.uid === 0,
    out: (line) => io.out(`${g.prog}: ${line}`),
    err: (line) => io.err(`${g.prog}: ${line}`),
    raw: io.err,
    run: deps.run,
    dhcpcd: deps.dhcpcd,
    dhcpcdsOf: (iface) => dhcpcdsOf(deps, iface),
    signal,
    // a client named for the interface: a manager-mode dhcpcd (every interface) is not srcroute's to wait for
    clientsOf: (ifaces) =>
      dhcpClients(readProcesses(deps.paths.proc, deps.now()))
        .filter((c) => c.ifaces !== 'all' && ifaces.some((i) => clientsOf([c], i).length > 0))
        .map(describeClient),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    every: (ms, tick) => {
      const timer = setInterval(tick, ms);
      return () => clearInterval(timer);
    },
    flush: (dry) => runFlush(deps, dry, reportTo(io, 'srcroute flush')),
  });
  await writer.apply(plan);
  for (const line of plan.afterword) io.out(line);
}
