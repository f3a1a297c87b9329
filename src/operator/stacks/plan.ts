// What install.sh sets up for a network stack, as plain data: the files (path, mode, content)
// and the commands around them. Each stack's module (networkd.ts, nm.ts, ...) builds one of these
// purely; `srcroute stack-plan` hands it to install.sh as a manifest (renderManifest), and
// install.sh writes each file with its own atomic, recorded `own`, so --uninstall --purge gives
// /etc back byte for byte, and runs the commands. The shape is shared with the ifupdown and dhcpcd
// stacks: see /work/team/stacks-mechanism.md.
export const STACKS = ['nm', 'networkd', 'ifupdown', 'dhcpcd'] as const;
export type Stack = (typeof STACKS)[number];

export const STACK_NAMES: Record<Stack, string> = {
  nm: 'NetworkManager',
  networkd: 'systemd-networkd',
  ifupdown: 'ifupdown (/etc/network/interfaces)',
  dhcpcd: "Debian's dhcpcd.service (manager mode)",
};

export interface MacvlanSpec {
  iface: string;
  parent: string;
  /** Its stable MAC (`srcroute mac IFACE`). */
  mac: string;
}

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

export interface StackPlan {
  stack: Stack;
  /** How the stack was chosen, for the installer's output. */
  how: string;
  files: StackFile[];
  run: StackCommand[];
  /** --uninstall runs these before it removes the files, */
  stop: (readonly string[])[];
  /** and these after. */
  reload: (readonly string[])[];
  /** install.sh adds the dhcpcd.conf stanza (nogateway, nohook resolv.conf, hostname) as --configure-dhcpcd does. */
  dhcpcdConf: boolean;
  notes: string[];
}

/** A word install.sh can pass on without quoting: a path, a unit or interface name, an option. */
const PLAIN = /^[A-Za-z0-9_@%:+,./=\\-]+$/;

function words(argv: readonly string[]): string {
  const bad = argv.find((w) => !PLAIN.test(w));
  if (bad !== undefined) throw new Error(`stack plan: "${bad}" is not a plain word`);
  return argv.join(' ');
}

/**
 * The manifest install.sh reads, one line each (see stacks-mechanism.md):
 *   stack STACK HOW...   file MODE PATH   run WHEN CMD...   stop CMD...   reload CMD...
 *   dhcpcd-conf   note TEXT...
 * File contents go beside it, under files/PATH (written by the command edge).
 */
export function renderManifest(plan: StackPlan): string {
  const lines = [`stack ${plan.stack} ${plan.how}`];
  for (const f of plan.files) lines.push(`file ${f.mode.toString(8).padStart(4, '0')} ${words([f.path])}`);
  for (const c of plan.run) {
    const when = c.when === '*' || c.when === 'always' ? c.when : words([c.when.join(',')]);
    lines.push(`run ${when} ${words(c.argv)}`);
  }
  for (const c of plan.stop) lines.push(`stop ${words(c)}`);
  for (const c of plan.reload) lines.push(`reload ${words(c)}`);
  if (plan.dhcpcdConf) lines.push('dhcpcd-conf');
  for (const n of plan.notes) lines.push(`note ${n.replace(/\n/g, ' ')}`);
  return `${lines.join('\n')}\n`;
}
