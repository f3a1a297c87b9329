// The macvlan's persistent definition for each network stack. `ip link add … type macvlan`
// (the original guide) is gone at the next boot; each stack has its own way to recreate it at
// boot with the stable MAC. Pure: the command edge (commands/macvlan.ts) detects and writes.
// networkd's and NetworkManager's files are the ones srcroute install installs (stacks/).
import { networkdMacvlanFiles } from './stacks/networkd.js';
import { nmKeyfile } from './stacks/nm.js';
import { ifupdownFiles } from './stacks/ifupdown.js';
import { STACK_NAMES, type MacvlanSpec, type StackFile } from './stacks/plan.js';

/** The stacks that define links (Debian's dhcpcd.service leases; ifupdown defines its links). */
export const MACVLAN_STACKS = ['networkd', 'ifupdown', 'nm'] as const;
export type MacvlanStack = (typeof MACVLAN_STACKS)[number];

export interface Definition {
  stack: MacvlanStack;
  /** Files to install, with their full content and mode. */
  files: StackFile[];
  /** What the admin must still do by hand. */
  notes: string[];
  /** How to bring it up now, after installing. */
  activate: string[];
}

function ifupdown(s: MacvlanSpec): Definition {
  return {
    stack: 'ifupdown',
    files: ifupdownFiles(s, 'dhcp'),
    notes: [
      '/etc/network/interfaces must read the directory: "source /etc/network/interfaces.d/*" (Debian\'s default).',
      `sudo srcroute install --parent ${s.parent} ${s.iface} sets this up with the DHCP client's side too.`,
    ],
    activate: [`ifup ${s.iface}`],
  };
}

/** `parentNetwork`: the .network file that matches the parent now (networkd only). */
export function definitionFor(stack: MacvlanStack, spec: MacvlanSpec, parentNetwork: string | null = null): Definition {
  const dhcpcd =
    "dhcpcd leases its address and runs srcroute's hook: sudo srcroute install --parent " +
    `${spec.parent} ${spec.iface} sets that up too.`;
  if (stack === 'networkd') {
    return {
      stack,
      files: networkdMacvlanFiles(spec, parentNetwork),
      notes: [dhcpcd],
      activate: ['networkctl reload'],
    };
  }
  if (stack === 'nm') {
    return {
      stack,
      files: [nmKeyfile(spec)],
      notes: [dhcpcd],
      activate: ['nmcli connection reload', `nmcli connection up id srcroute-${spec.iface}`],
    };
  }
  return ifupdown(spec);
}

/** What `srcroute macvlan` prints: the definition, where it goes, and what is left to do. */
export function renderDefinition(def: Definition, how: string): string[] {
  const out = [`# ${STACK_NAMES[def.stack]} (${how})`];
  for (const f of def.files)
    out.push('', `==> ${f.path} (mode ${f.mode.toString(8)}) <==`, ...f.content.trimEnd().split('\n'));
  out.push('', 'Also:', ...def.notes.map((n) => `  ${n}`));
  out.push('', `Then, to create it now: ${def.activate.join(' && ')}`);
  return out;
}
