// What a hook file (/etc/dhcpcd/IFACE.exit-hook) answers when asked for an operator command (any
// that cli.ts loads from src/operator/: sync, status, check...). The hook files carry what a
// lease event runs and no more: build/build.mjs bundles dist/hook.cjs with this module in place
// of every src/operator/ module cli.ts loads, because Node compiles the whole file on every
// event, the operator code that never runs there included (docs/performance.md; about half the
// bytes, ~1 ms per event jitless). The srcroute command, /usr/local/sbin/srcroute, is the whole
// bundle.
import { InputError } from '../shared/errors.js';
import type { Command } from '../shared/command.js';

const elsewhere = 'this file is srcroute\'s DHCP hook; run operator commands as /usr/local/sbin/srcroute';

export const command: Command<unknown> = {
  help: `srcroute: ${elsewhere} (srcroute --help lists them).`,
  flags: [],
  positional: { min: 0, max: 16 },
  run: async () => {
    throw new InputError(elsewhere);
  },
};

/** The operator's deps: none here, the command refuses before it needs any. */
export const machineDeps = (): object => ({});
