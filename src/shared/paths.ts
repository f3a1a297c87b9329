// Every file and directory srcroute reads or writes, in one object, so tests point them at a
// temp dir (`systemPaths(tmp)`) instead of the machine's /etc, /run, /proc and /var. (The
// iproute2 directories are kernel/tables.ts's; ip and dhcpcd are looked for among candidates.)
import { join } from 'node:path';

export interface Paths {
  /** What every path here is under: '' on a real system. */
  root: string;
  /** srcroute's config: srcroute.env and IFACE.env (SRCROUTE_CONFIG_DIR replaces it). */
  config: string;
  /**
   * Lock files, the dispatcher's RA signatures, what hooks.d was told last: the kernel is the state
   * (SRCROUTE_STATE_DIR).
   */
  state: string;
  /** srcroute's per-interface Node hooks: /etc/dhcpcd/IFACE.exit-hook. */
  dhcpcdHooks: string;
  /** dhcpcd's exit hook, which carries srcroute's dispatcher block. */
  dispatcher: string;
  /** The dhclient side of the dispatcher (Debian's dhclient-script sources it). */
  dhclientDispatcher: string;
  dhcpcdConf: string;
  /** dhcpcd's control sockets (`sock`, `IFACE.sock`, `IFACE-4.sock`). */
  dhcpcdRun: string;
  /** dhcpcd's lease files: IFACE.lease, the raw DHCP message. */
  dhcpcdLeases: string;
  /** ISC dhclient's lease files: dhclient.IFACE.leases. */
  dhclientLeases: string;
  networkdConf: string;
  /** Drop-in directories of networkd.conf, lowest precedence first. */
  networkdConfDirs: readonly string[];
  ifupdown: string;
  /** ifupdown's drop-in stanzas: interfaces.d/IFACE. */
  ifupdownDir: string;
  /** /proc: what runs (the network stacks, the DHCP clients). */
  proc: string;
  /** /proc/sys/net/ipv4/conf: rp_filter per interface and `all`. */
  ipv4Conf: string;
  /** /proc/sys/net/ipv6/conf: forwarding and accept_ra per interface and `all`. */
  ipv6Conf: string;
  machineId: string;
  /** systemd's unit directories, lowest precedence first. */
  systemdUnitDirs: readonly string[];
}

/** srcroute's state directory (a tmpfs; tmpfiles.d makes it at boot, mode 0700). */
export const STATE_DIR = '/run/srcroute';

/** The state directory a run uses: SRCROUTE_STATE_DIR when set (tests, the bench), else `state` (/run/srcroute). */
export const stateDirOf = (env: Readonly<Record<string, string | undefined>>, state = STATE_DIR): string =>
  env.SRCROUTE_STATE_DIR || state;

/** The admin's scripts that hear of a changed address, in the config dir: /etc/srcroute/hooks.d (docs/hooks.md). */
export const HOOKS_DIR_NAME = 'hooks.d';

/** The installer's own directory: the installed list and the admin's files it replaced (install/layout.ts). */
export const LIB = '/usr/local/lib/srcroute';
/**
 * What install created or replaced, one "KIND PATH ..." line each (installed-list.ts); check reads
 * its `stack` lines.
 */
export const INSTALLED_LIST = `${LIB}/installed.list`;

/** Where the Debian package keeps the bundles (build/release.mjs): /usr/sbin/srcroute runs the one here. */
export const PACKAGE_DIST = '/usr/lib/srcroute/dist';

/** The machine's paths, or the same ones under `root` (tests). */
export function systemPaths(root = ''): Paths {
  const at = (path: string): string => (root === '' ? path : join(root, path));
  return {
    root,
    config: at('/etc/srcroute'),
    state: at(STATE_DIR),
    dhcpcdHooks: at('/etc/dhcpcd'),
    dispatcher: at('/etc/dhcpcd.exit-hook'),
    dhclientDispatcher: at('/etc/dhcp/dhclient-exit-hooks.d/srcroute'),
    dhcpcdConf: at('/etc/dhcpcd.conf'),
    dhcpcdRun: at('/run/dhcpcd'),
    dhcpcdLeases: at('/var/lib/dhcpcd'),
    dhclientLeases: at('/var/lib/dhcp'),
    networkdConf: at('/etc/systemd/networkd.conf'),
    networkdConfDirs: [
      '/usr/lib/systemd/networkd.conf.d',
      '/run/systemd/networkd.conf.d',
      '/etc/systemd/networkd.conf.d',
    ].map(at),
    ifupdown: at('/etc/network/interfaces'),
    ifupdownDir: at('/etc/network/interfaces.d'),
    proc: at('/proc'),
    ipv4Conf: at('/proc/sys/net/ipv4/conf'),
    ipv6Conf: at('/proc/sys/net/ipv6/conf'),
    machineId: at('/etc/machine-id'),
    systemdUnitDirs: [
      '/lib/systemd/system',
      '/usr/lib/systemd/system',
      '/run/systemd/system',
      '/etc/systemd/system',
    ].map(at),
  };
}
