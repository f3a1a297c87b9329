// The text of every file the installer writes for srcroute itself (the stacks' files are
// operator/stacks/'s): pure functions of what the plan decided.
import {
  CONF_DIR, ENV, HOOKS_D, FIRST_TABLE, HOOK_FLAGS, MARK, PROTO_NUM, STATE_DIR, TABLES, TMPFILES,
} from './layout.js';

/**
 * What removes a file the installer wrote, in the words of the way srcroute came: the Debian
 * package (its `srcroute install`; apt purge runs the uninstaller too) or a tarball or clone
 * (install.sh, or the srcroute command it installed). Each file says so in a comment.
 */
export const undoOf = (packaged: boolean): string =>
  packaged
    ? 'sudo srcroute uninstall or apt purge srcroute'
    : 'sudo ./install.sh --uninstall or sudo srcroute uninstall';

export interface Table {
  iface: string;
  num: number;
  name: string;
}

/** The hooks (hooks/) the installer puts in place, as build/build.mjs embeds them in the bundle. */
export interface HookTexts {
  /** hooks/dhcpcd.exit-hook: the dispatcher, sourced by dhcpcd-run-hooks (and by the dhclient shim). */
  dispatcher: string;
  /** hooks/dhclient-exit-hook: the dhclient shim's head; the dispatcher follows it. */
  dhclientExit: string;
  /** hooks/dhclient-enter-hook. */
  dhclientEnter: string;
}

/**
 * A program: a whole bundle behind a #! line naming node by its absolute path (dhcpcd gives hooks
 * its own PATH). A hook is dist/hook.cjs (the bundle without the operator commands), run jitless.
 */
export function launcher(
  kind: 'hook' | 'command',
  node: string,
  comment: string,
  bundle: string,
  undo: string,
): string {
  const first = kind === 'hook' ? `#!${ENV} -S ${node} ${HOOK_FLAGS.join(' ')}` : `#!${node}`;
  const from = kind === 'hook' ? 'hook.cjs' : 'srcroute.cjs';
  const body = bundle.slice(bundle.indexOf('\n') + 1);
  return `${first}\n// ${comment}\n${MARK} from srcroute's dist/${from};\n// ${undo} removes it.\n${body}`;
}

export const commandComment = 'The srcroute command.';
export const hookComment = (iface: string): string =>
  `srcroute's hook for ${iface}: /etc/dhcpcd.exit-hook and the dhclient shim run it.`;

/** The dispatcher as a block's body: its shellcheck directive only makes sense at the top of a file. */
export const dispatcherBody = (hooks: HookTexts): string => hooks.dispatcher.replace(/^# shellcheck shell=sh\n/, '');

export const shimText = (hooks: HookTexts): string => hooks.dhclientExit + dispatcherBody(hooks);

export function tablesText(tables: readonly Table[], undo: string): string {
  const lines = tables.map((t) => `${t.num}\t${t.name}\n`).join('');
  return `# srcroute: one routing table per interface (${undo} removes it).\n${lines}`;
}

export const protosText = (undo: string): string =>
  `# srcroute: the protocol number on its rules and routes (${undo} removes it).\n${PROTO_NUM}\tsrcroute\n`;

/**
 * Debian's dhcpcd.service: ProtectSystem=strict makes /run read-only for its hooks; this opens the lock directory only.
 */
export const dropInText = (undo: string): string =>
  `# srcroute: its hooks run inside dhcpcd.service, where ProtectSystem=strict makes /run read-only;\n` +
  `# this lets them write their lock files in ${STATE_DIR}, nothing else. ${TMPFILES} makes the\n` +
  `# directory at boot. ${undo} removes it.\n[Service]\nReadWritePaths=-${STATE_DIR}\n`;

export const tmpfilesText = (undo: string): string =>
  `# srcroute: its lock directory (${undo} removes it).\nd ${STATE_DIR} 0700 root root -\n`;

/** IFACE.env: the first interface uses srcroute.env's table, every further one its own. */
export function ifaceEnvText(t: Table, forward = false): string {
  const head =
    `# srcroute settings for ${t.iface} only (dotenv, parsed and never executed). Any key of\n` +
    `# ${CONF_DIR}/srcroute.env except PROTOCOL and MARK_MASK can be set here and overrides it.\n` +
    (forward ? '# srcroute install --forward: forwarded connections answer through it too.\nFORWARD=yes\n' : '');
  return t.num === FIRST_TABLE
    ? `${head}# ${t.iface} uses TABLE=pub (${t.num}) from srcroute.env.\n#TABLE=pub\n`
    : `${head}# srcroute install gave ${t.iface} its own table ${t.name} (${t.num}), registered in ` +
        `${TABLES}.\nTABLE=${t.name}\n`;
}

/**
 * The dhcpcd.conf stanza: leases only, no default route, DNS or hostname from them. Under
 * Debian's dhcpcd.service (--stack dhcpcd) the parent leases nothing: per-interface options, as
 * dhcpcd 9.4.1 ignores a global denyinterfaces after an interface line.
 */
export function dhcpcdStanza(tables: readonly Table[], bareParents: readonly string[]): string {
  let s =
    '# srcroute\'s interfaces: leases (IPv4, SLAAC and DHCPv6) only; no default route (nogateway\n' +
    '# also keeps the IPv6 default of the modem\'s router advertisements out of main), DNS or\n' +
    '# hostname from them. (Options after an interface line apply to that interface only: keep this last.)\n';
  for (const t of tables) s += `interface ${t.iface}\n\tnogateway\n\tnoipv4ll\n\tnohook resolv.conf, hostname\n`;
  for (const p of [...new Set(bareParents)].sort())
    s += `# ${p} only carries the macvlans: no address of its own.\ninterface ${p}\n\tnoipv4\n\tnoipv6\n`;
  return s;
}

export const dispatcherWhy = (undo: string): string => `(${undo} removes this block)`;
export const dhcpcdConfWhy = (undo: string): string => `(from --configure-dhcpcd; ${undo} removes it)`;

/** hooks.d's README: not executable, so never run; uninstall removes it, --purge keeps the scripts. */
export const hooksReadme = `# ${HOOKS_D}: scripts srcroute runs when an address it routes changes
# (written by srcroute install; uninstall removes this file and keeps your scripts, even --purge).
#
# Each executable here whose name is letters, digits, _ and - only (as run-parts wants), owned by
# root and writable by nobody else (the directory too), not a symlink, runs in name order after
# the kernel followed a new, changed or lost address or gateway, outside the DHCP client's
# sandbox, with only these variables and PATH:
#   SRCROUTE_IFACE SRCROUTE_FAMILY (4 or 6) SRCROUTE_REASON (BOUND, EXPIRE, ROUTERADVERT, ...)
#   SRCROUTE_OLD_ADDRESS SRCROUTE_NEW_ADDRESS (space-separated for IPv6; empty: none)
#   SRCROUTE_OLD_GATEWAY SRCROUTE_GATEWAY SRCROUTE_TABLE
# A renewal of the same address runs nothing. Each script is killed after 30 s; its exit status
# is logged to syslog (tag srcroute). See docs/hooks.md in srcroute's source for a dynamic-DNS example.
`;
