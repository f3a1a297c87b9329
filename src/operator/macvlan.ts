// The macvlan's persistent definition for each network stack. `ip link add … type macvlan`
// (the original guide) is gone at the next boot; each stack has its own way to recreate it at
// boot with the stable MAC. Pure: the command edge (commands/macvlan.ts) detects and writes.
import { NETWORKD_DROP_IN } from './networkd.js';

export const STACKS = ['networkd', 'ifupdown', 'nm'] as const;
export type Stack = (typeof STACKS)[number];

export interface StackFacts {
  networkdInUse: boolean;
  networkManagerRunning: boolean;
  ifupdownPresent: boolean;
}

/** networkd when it runs or is enabled, else NetworkManager when it runs, else ifupdown when configured. */
export function detectStack(facts: StackFacts): Stack | null {
  if (facts.networkdInUse) return 'networkd';
  if (facts.networkManagerRunning) return 'nm';
  if (facts.ifupdownPresent) return 'ifupdown';
  return null;
}

export interface Definition {
  stack: Stack;
  /** Files to install, with their full content. */
  files: { path: string; content: string }[];
  /** A command that creates the definition (NetworkManager keeps its own store). */
  command: string | null;
  /** What the admin must still do by hand. */
  notes: string[];
  /** How to bring it up now, after installing. */
  activate: string[];
}

export interface MacvlanSpec {
  iface: string;
  parent: string;
  mac: string;
}

const header = (s: MacvlanSpec): string =>
  `# srcroute: macvlan ${s.iface} on ${s.parent}, stable MAC ${s.mac} (srcroute mac ${s.iface}).\n`;

function networkd(s: MacvlanSpec): Definition {
  return {
    stack: 'networkd',
    files: [
      {
        path: `/etc/systemd/network/${s.iface}.netdev`,
        content: `${header(s)}[NetDev]\nName=${s.iface}\nKind=macvlan\nMACAddress=${s.mac}\n\n[MACVLAN]\nMode=private\n`,
      },
      {
        path: `/etc/systemd/network/${s.iface}.network`,
        content:
          `${header(s)}# networkd only brings the link up: dhcpcd leases its address (DHCP=no here, or the two\n` +
          `# clients would fight) and runs srcroute's hook. KeepConfiguration keeps that address on restarts.\n` +
          `[Match]\nName=${s.iface}\n\n[Network]\nDHCP=no\nLinkLocalAddressing=no\nIPv6AcceptRA=no\nKeepConfiguration=yes\n`,
      },
      { path: NETWORKD_DROP_IN.path, content: `# srcroute: keep networkd from deleting srcroute's source rules.\n${NETWORKD_DROP_IN.text}` },
    ],
    command: null,
    notes: [
      `the .network file that matches ${s.parent} must list the macvlan: add "MACVLAN=${s.iface}" to its [Network] section`,
      '(networkd creates a macvlan only through its parent; this command does not edit that file).',
    ],
    activate: ['networkctl reload', `networkctl reconfigure ${s.parent}`],
  };
}

function ifupdown(s: MacvlanSpec): Definition {
  return {
    stack: 'ifupdown',
    files: [
      {
        path: `/etc/network/interfaces.d/${s.iface}`,
        content:
          `${header(s)}# dhcpcd leases its address (inet manual) and runs srcroute's hook.\n` +
          `auto ${s.iface}\niface ${s.iface} inet manual\n` +
          `    pre-up ip link add link ${s.parent} name ${s.iface} address ${s.mac} type macvlan mode private\n` +
          `    up ip link set dev ${s.iface} up\n` +
          `    post-down ip link del ${s.iface}\n`,
      },
    ],
    command: null,
    notes: [`/etc/network/interfaces must read the directory: "source /etc/network/interfaces.d/*" (Debian's default); ${s.parent} must come up first (auto ${s.parent}).`],
    activate: [`ifup ${s.iface}`],
  };
}

function nm(s: MacvlanSpec): Definition {
  return {
    stack: 'nm',
    files: [],
    command:
      `nmcli connection add type macvlan con-name ${s.iface} ifname ${s.iface} dev ${s.parent} mode private macvlan.tap no ` +
      `ethernet.cloned-mac-address ${s.mac} ipv4.method disabled ipv6.method disabled`,
    notes: ['NetworkManager only creates the link (ipv4.method disabled): dhcpcd leases its address and runs srcroute\'s hook.'],
    activate: [`nmcli connection up ${s.iface}`],
  };
}

export function definitionFor(stack: Stack, spec: MacvlanSpec): Definition {
  return { networkd, ifupdown, nm }[stack](spec);
}

const STACK_NAMES: Record<Stack, string> = { networkd: 'systemd-networkd', ifupdown: 'ifupdown (/etc/network/interfaces)', nm: 'NetworkManager' };

/** What `srcroute macvlan` prints: the definition, where it goes, and what is left to do. */
export function renderDefinition(def: Definition, how: string): string[] {
  const out = [`# ${STACK_NAMES[def.stack]} (${how})`];
  for (const f of def.files) out.push('', `==> ${f.path} <==`, ...f.content.trimEnd().split('\n'));
  if (def.command !== null) out.push('', 'Run:', `  ${def.command}`);
  out.push('', 'Also:', ...def.notes.map((n) => `  ${n}`));
  out.push('', `Then, to create it now: ${def.activate.join(' && ')}`);
  return out;
}
