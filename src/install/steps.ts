// What the installer does, as data: the plans (install-plan.ts, uninstall-plan.ts) are lists of
// these, the writer (writer.ts) carries them out or, for --dry-run, says what it would do. Paths
// are the final ones (/etc/...); --root DIR is the writer's business.
export interface Owner {
  uid: number;
  gid: number;
}

export type Step =
  /** Persist the installed list as it is now: before the change it records (write-ahead). */
  | { op: 'record'; list: string }
  | { op: 'mkdir'; path: string }
  /** Replace `path` atomically (beside, fsync, rename). `verb`: what the output says. */
  | {
      op: 'write';
      path: string;
      content: Buffer;
      mode: number;
      owner: Owner;
      verb: 'write' | 'update' | 'restore' | 'backup';
    }
  | { op: 'remove'; path: string }
  /** A directory and all under it (uninstall --purge: /etc/srcroute; the backups). `quiet`: nothing said. */
  | { op: 'remove-tree'; path: string; quiet?: boolean }
  /** A directory install created, when it is empty. */
  | { op: 'rmdir'; path: string }
  /** A command (a stack's start or stop, systemctl daemon-reload); its failure is a warning. */
  | { op: 'run'; argv: readonly string[] }
  /**
   * Write VALUE to /proc/sys/KEY (KEY with slashes: net/ipv6/conf/eth0/accept_ra); a KEY that is not there is no
   * failure.
   */
  | { op: 'sysctl'; key: string; value: string }
  /**
   * Wait until no DHCP client that names one of IFACES runs: a stop command can return before its
   * client has run its last hooks (Debian 13's ifdown gives up on `dhcpcd -k` after a few seconds
   * while the daemon goes on), and none may find srcroute half gone.
   */
  | { op: 'await-clients'; ifaces: readonly string[] }
  /**
   * Uninstall: and the runs of the admin's scripts their last events started have ended
   * (transient units `srcroute-hooks-*`, each bounded by RuntimeMaxSec): the runner is the hook
   * program, and one that starts after the hook file went fails (`Cannot find module`).
   */
  | { op: 'await-units'; pattern: string }
  /**
   * After a stack's start commands: IFACE must exist and be up, or install fails (exit 1: the
   * issue's `ifup` that failed while install said "installed" and exited 0); no lease yet is a warning.
   */
  | { op: 'check-link'; iface: string }
  /**
   * Release IFACE from the dhcpcd that leases it (`dhcpcd -k IFACE`: a per-interface daemon exits, a
   * manager lets the interface go), only when one runs: a dhcpcd control command that finds no
   * daemon may start one; then waits, as await-clients, for the clients named for IFACE to exit.
   * Under ifupdown and dhcpcd.service, before `ifdown` deletes the link.
   */
  | { op: 'release'; iface: string }
  /**
   * The installed list's end (LIST: its text when uninstall began): gone with the backups when every
   * removal before it worked; otherwise kept, naming what failed, so that a rerun completes it.
   */
  | { op: 'close-list'; list: string }
  /** srcroute's rules and routes out of the kernel (`srcroute flush`). */
  | { op: 'flush' }
  /** The lock directory for this boot (tmpfiles.d makes it at the next). */
  | { op: 'state-dir'; path: string }
  | { op: 'say'; line: string }
  | { op: 'warn'; line: string };

export interface Plan {
  steps: Step[];
  /** How many files and directories change (0: "nothing changed"). */
  changes: number;
  /** Printed after the steps, as they are (advice: the dhcpcd.conf stanza, the macvlan). */
  afterword: string[];
  /**
   * Uninstall's: a file step that fails is reported and the rest still happens (the run fails at
   * its end); install stops at the first, its list written ahead of every change.
   */
  keepGoing?: boolean;
}
