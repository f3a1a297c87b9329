// `srcroute uninstall [--purge] [--root DIR] [--dry-run]`: everything install made goes, in the
// order uninstall-plan.ts explains; --purge takes /etc/srcroute too. install.sh --uninstall
// hands over to it.
import type { Command } from '../shared/command.js';
import type { OperatorDeps } from '../operator/deps.js';
import { gatherUninstall } from './gather.js';
import { planUninstall } from './uninstall-plan.js';
import { applyPlan, given } from './run-plan.js';

export const command: Command<OperatorDeps> = {
  help: `Usage: srcroute uninstall [--purge] [--root DIR] [--dry-run]

Stops the DHCP clients srcroute set up (--parent) and waits until they have
exited (up to 60 s), while their macvlans still exist; then the macvlans go,
srcroute's rules and routes leave the kernel, its hooks and their state in
/run/srcroute go, then everything \`srcroute install\` wrote (listed in
/usr/local/lib/srcroute/installed.list): files it created go, the admin's
files it replaced come back, its marked blocks come out. /etc and /usr/local
are as they were before the install, byte for byte, but for /etc/srcroute,
which stays unless --purge; the modem's port (--parent) is set down again if
it was down, with its IPv6 settings as they were. A removal that fails is
reported (its path and why) and the rest still happens; the installed list
then keeps what is left, the exit status is 1, and running it again once the
cause is fixed completes it.

Options:
  --purge     also remove /etc/srcroute (your settings)
  --root DIR  the install staged under DIR; no command runs, the kernel is not
              touched
  --dry-run   print what would be removed or run; change nothing

Example:
  sudo srcroute uninstall --purge`,
  flags: ['dry-run', 'purge'],
  options: ['root'],
  run: async (args, deps, io, tag) => {
    const g = given(args, io, tag);
    await applyPlan(planUninstall(gatherUninstall(g, args.flags.has('purge'))), deps, g, io);
  },
};
