// What the installer sets up for a network stack, as plain data: the files (path, mode, content)
// and the commands around them. Each stack's module (networkd.ts, nm.ts, ifupdown.ts, dhcpcd.ts)
// builds one of these purely; the installer's plan (src/install/install-plan.ts) writes each file
// with its recorded, atomic writes, so that uninstall --purge gives /etc back byte for byte, runs
// the commands whose files changed, and records the stop and reload commands for uninstall.
export const STACKS = ['nm', 'networkd', 'ifupdown', 'dhcpcd'] as const;
export type Stack = (typeof STACKS)[number];

export const STACK_NAMES: Record<Stack, string> = {
  nm: 'NetworkManager',
  networkd: 'systemd-networkd',
  ifupdown: 'ifupdown (/etc/network/interfaces)',
  dhcpcd: "Debian's dhcpcd.service (manager mode)",
};

/** The modem's VLAN install makes on the port the LAN also uses (--vlan): the macvlan's parent is PORT.ID. */
export interface VlanSpec {
  port: string;
  id: number;
}

export interface MacvlanSpec {
  iface: string;
  /** The modem's link: a port of its own, or the VLAN (`vlan`). */
  parent: string;
  /** Its stable MAC (`srcroute mac IFACE`). */
  mac: string;
  vlan?: VlanSpec;
}

/** The kernel's name for VLAN ID on PORT (ifupdown's convention; networkd and NetworkManager are told it). */
export const vlanName = (v: VlanSpec): string => `${v.port}.${v.id}`;

/** The VLAN of a parent named PORT.ID (ifupdown's own convention: an admin's hand stanza), or undefined. */
export function vlanOfName(name: string): VlanSpec | undefined {
  const m = /^(.+)\.(\d{1,4})$/.exec(name);
  const id = Number(m?.[2]);
  return m && id >= 1 && id <= 4094 ? { port: m[1]!, id } : undefined;
}

/** The first lines of the files that define the modem's VLAN. */
export const vlanHeader = (v: VlanSpec): string =>
  `# srcroute: the modem's VLAN ${v.id} on ${v.port} (the LAN's port, whose own configuration stays as it\n` +
  `# is): the link only, no address and no IPv6 of its own, so nothing leaves it with ${v.port}'s MAC.\n`;

/** The first line of every file that defines a macvlan. */
export const macvlanHeader = (s: MacvlanSpec): string =>
  `# srcroute: macvlan ${s.iface} on ${s.parent}, stable MAC ${s.mac} (srcroute mac ${s.iface}).\n`;

export interface StackFile {
  path: string;
  mode: 0o644 | 0o755 | 0o600;
  content: string;
}

/** A command run after the files are written, when one of `when` changed ('*': any file of the plan; 'always'). */
export interface StackCommand {
  when: readonly string[] | '*' | 'always';
  argv: readonly string[];
}

/** NetworkManager's connection of srcroute's for a link (the macvlan, or the VLAN it makes). */
export const connectionId = (link: string): string => `srcroute-${link}`;

/**
 * The link a recorded stop or reload command takes away, or null (NetworkManager's connection
 * down, ifdown's post-down `ip link del`, networkctl delete): uninstall runs these only once the
 * interface's DHCP client is gone (uninstall-plan.ts UNINSTALL_ORDER), whatever their place in
 * the list (today's lists and an earlier version's, which recorded nmcli's first).
 */
export function removedLink(argv: readonly string[]): string | null {
  const [program, ...args] = argv;
  const last = args.at(-1) ?? null;
  if (program === 'nmcli') return args.includes('down') ? (last?.replace(connectionId(''), '') ?? null) : null;
  return program === 'ifdown' || (program === 'networkctl' && args[0] === 'delete') ? last : null;
}

export const removesLink = (argv: readonly string[]): boolean => removedLink(argv) !== null;

/** The stacks whose link ifdown removes, their DHCP client released first (`release`). */
export const IFDOWN_STACKS: readonly string[] = ['ifupdown', 'dhcpcd'];

export interface StackPlan {
  stack: Stack;
  /** How the stack was chosen, for the installer's output. */
  how: string;
  files: StackFile[];
  run: StackCommand[];
  /** --uninstall runs these before it removes the files (the order: removesLink), */
  stop: (readonly string[])[];
  /** and these after (but those that remove the link). */
  reload: (readonly string[])[];
  /** The installer adds the dhcpcd.conf stanza (nogateway, nohook resolv.conf, hostname) as --configure-dhcpcd does. */
  dhcpcdConf: boolean;
  notes: string[];
}
