// Where the installer puts things and the fixed words it writes: one place for the paths that
// `srcroute install`, `srcroute uninstall` and the tests share. The hooks' and dispatcher's
// paths are the hook's own (shared/paths.ts); check parses the launchers (operator/facts.ts).
import { HOOKS_DIR_NAME, LIB, systemPaths } from '../shared/paths.js';
import { DEFAULT_PROTOCOL, DEFAULT_TABLE } from '../hook/config.js';
import { DISPATCHER_MARKER } from '../operator/facts.js';

const P = systemPaths();

export { LIB, INSTALLED_LIST } from '../shared/paths.js';
export const BACKUP_DIR = `${LIB}/backup`;
/** Where an earlier version put the shared bundle (its hooks loaded it); an update removes it. */
export const OLD_BUNDLE = `${LIB}/srcroute.cjs`;
export const SBIN = '/usr/local/sbin/srcroute';
export const HOOK_DIR = P.dhcpcdHooks;
export const DISPATCHER = P.dispatcher;
export const SHIM = P.dhclientDispatcher;
export const ENTER = '/etc/dhcp/dhclient-enter-hooks.d/srcroute';
export const TABLES = '/etc/iproute2/rt_tables.d/srcroute.conf';
export const PROTOS = '/etc/iproute2/rt_protos.d/srcroute.conf';
export const CONF_DIR = P.config;
/** The admin's scripts that hear of a changed address (docs/hooks.md), and install's README in it. */
export const HOOKS_D = `${CONF_DIR}/${HOOKS_DIR_NAME}`;
export const HOOKS_README = `${HOOKS_D}/README`;
export const DHCPCD_CONF = P.dhcpcdConf;
/** srcroute's lock directory, which Debian's dhcpcd.service must let its hooks write. */
export const STATE_DIR = P.state;
export const DROP_IN = '/etc/systemd/system/dhcpcd.service.d/srcroute.conf';
export const TMPFILES = '/etc/tmpfiles.d/srcroute.conf';

/** The marked block srcroute adds to the admin's /etc/dhcpcd.exit-hook and /etc/dhcpcd.conf. */
export const BEGIN = DISPATCHER_MARKER;
export const END = DISPATCHER_MARKER.replaceAll('>', '<');

/** Every program the installer writes carries this line: uninstall finds them by it. */
export const MARK = '// Written by srcroute install';
/** The same line as earlier versions wrote it (0.1.0 and before): their programs uninstall too. */
export const OLD_MARKS = ["// Written by srcroute's install.sh"] as const;
/** Whether TEXT is a program the installer wrote, by this version or an earlier one. */
export const hasMark = (text: string | Buffer): boolean => [MARK, ...OLD_MARKS].some((m) => text.includes(m));
/**
 * The hooks' #! line: env -S passes node more than one argument. --jitless because Debian's
 * dhcpcd.service denies the JIT (MemoryDenyWriteExecute=yes), --no-expose-wasm because V8 warns
 * on stderr (so in syslog) about --jitless without it. docs/dhcpcd-service.md says more.
 */
export const ENV = '/usr/bin/env';
export const HOOK_FLAGS = ['--jitless', '--no-expose-wasm'] as const;
/**
 * The oldest Node srcroute runs on (Debian 12's): package.json's engines.node and install.sh's
 * NODE_MIN say the same (test/unit/shared-facts.test.ts); install refuses an older --node.
 */
export const NODE_MIN = '18.19';

/** Whether Node VERSION (`18.19.0`, as process.versions.node says it) is older than NODE_MIN. */
export function olderThanMin(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = NODE_MIN.split('.').map(Number);
  return major < minMajor || (major === minMajor && minor < minMinor);
}

export const FIRST_TABLE = DEFAULT_TABLE.number;
export const PROTO_NUM = DEFAULT_PROTOCOL;
/** 123 + 129 = 252: table numbers stop before default (253). */
export const MAX_INTERFACES = 130;

/** A temp file a write goes through (shared/files.ts tempOf), as a killed run may leave it. */
export const isTemp = (path: string): boolean => /\/\.[^/]*\.srcroute-new$/.test(path);
