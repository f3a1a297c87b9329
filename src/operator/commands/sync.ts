// `srcroute sync [IFACE]`: re-apply from the DHCP client's current lease, exactly as the hook
// would on BOUND (or on STOP when there is no lease): after a manual flush, or at boot when
// dhcpcd got its lease before srcroute was installed. The hook does the work: same validation,
// same lock, same plan. IPv6 then converges on the kernel alone, as the hook does for a REBIND6
// that names no address: the interface's global addresses, the router from main's RA default or
// the table's own (the DHCP clients keep no IPv6 lease file srcroute could read the RA from).
import { InputError, SystemError, isBug, messageOf } from '../../shared/errors.js';
import { runHook } from '../../hook/hook.js';
import { configuredInterfaces, managedInterface } from '../interfaces.js';
import { leaseEnv } from '../../hook/lease.js';
import { readLease } from '../lease-source.js';
import type { OperatorDeps } from '../deps.js';
import type { Report } from '../../hook/apply.js';
import type { Command } from '../../shared/command.js';
import { INTERFACES, LEASE } from '../help.js';
import { clearRecord } from '../../hook/heal-record.js';
import { stateDirOf } from '../../shared/paths.js';

export async function runSync(
  deps: OperatorDeps,
  iface: string | null,
  dry: boolean,
  report: Omit<Report, 'tag'>,
): Promise<void> {
  const names =
    iface !== null
      ? [managedInterface(iface, deps.configDir, deps.paths.dhcpcdHooks)]
      : configuredInterfaces(deps.configDir, deps.paths.dhcpcdHooks);
  if (names.length === 0) {
    throw new InputError(
      'no interface is configured (no /etc/srcroute/IFACE.env, no /etc/dhcpcd/IFACE.exit-hook); name one: srcroute ' +
        'sync eth0v0',
    );
  }
  const failed: { name: string; input: boolean }[] = [];
  for (const name of names) {
    const tag = `srcroute[${name}] sync`;
    try {
      if (!dry) clearRecord(stateDirOf(deps.env, deps.paths.state), name); // heal restores it again
      const found = await readLease(name, deps);
      const what = found
        ? `lease ${found.vars.ip_address} from ${found.source}`
        : 'no current lease: removing what srcroute set up';
      report.log(`${tag}: ${what}`);
      await runHook({ ...deps, env: leaseEnv(name, found?.vars ?? null) }, dry, { ...report, tag });
      await runHook({ ...deps, env: { reason: 'REBIND6', interface: name } }, dry, { ...report, tag });
    } catch (e) {
      // One interface's trouble must not keep the others from being synced; a bug stops all.
      if (names.length === 1 || isBug(e)) throw e;
      report.log(`${tag}: ${messageOf(e)}`);
      failed.push({ name, input: e instanceof InputError });
    }
  }
  if (failed.length > 0) {
    const message = `failed for ${failed.map((f) => f.name).join(', ')} (see above)`;
    throw failed.every((f) => f.input) ? new InputError(message) : new SystemError(message);
  }
}

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute sync [IFACE] [--dry-run]

Re-apply from the DHCP client's current lease, exactly as the hook does on
BOUND: after a manual \`ip rule flush\` or \`srcroute flush\`, or at boot when
dhcpcd got its lease before srcroute was installed. Without a current lease it
removes what srcroute set up (as on STOP). IPv6 then follows the kernel: a rule
per global address of IFACE, the router from main's RA default or the table's
own (as the hook does on a REBIND6 that names no address).
${INTERFACES}

Options:
  --dry-run  print the ip commands instead of running them

${LEASE}

Example:
  srcroute sync eth0v0 --dry-run   # the ip commands it would run
  srcroute sync                    # every configured interface`,
  flags: ['dry-run'],
  positional: { min: 0, max: 1 },
  run: (args, deps, io) =>
    runSync(deps, args.positional[0] ?? null, args.flags.has('dry-run'), { out: io.out, log: io.err }),
};
