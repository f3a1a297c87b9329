// One dhcpcd for one macvlan, the DHCP client srcroute's hooks follow, whatever manages the rest
// of the box (NetworkManager, networkd or ifupdown): started for that interface alone (never Debian's all-interface
// dhcpcd.service, which would lease the LAN too), after the device exists (a boot-time
// `dhcpcd eth0v0` before the stack created eth0v0 fails: "interface not found"), stopped with it.
// dhcpcd-base ships no unit, and Debian's dhcpcd@.service comes only with the `dhcpcd` package
// (and its all-interface service), so srcroute brings its own template. The dhcpcd.conf stanza
// (nogateway, nohook resolv.conf, hostname) keeps its default route out of main and its hands
// off resolv.conf and the hostname.
import type { StackFile } from './plan.js';

export const DHCPCD_UNIT_PATH = '/etc/systemd/system/srcroute-dhcpcd@.service';

/** The instance name systemd gives an interface (systemd-escape: '-' is \x2d; [A-Za-z0-9_.] stay). */
export const unitName = (iface: string): string => `srcroute-dhcpcd@${iface.replace(/-/g, '\\x2d')}.service`;

/**
 * A shell line that ends the unit's dhcpcd with a release, as `dhcpcd -k` would: SIGALRM to it
 * (it releases, runs its hooks and exits), then the stop, which waits for that exit. The stop
 * alone (SIGTERM) keeps the address under Debian's `persistent`, and with it srcroute's rules,
 * after the link has gone (a lab: three rules for 100.64.0.50 left after ifupdown's `ifdown`).
 */
export function releaseThenStop(iface: string): string {
  const unit = `'${unitName(iface)}'`;
  return `systemctl kill --kill-whom=main --signal=SIGALRM ${unit} 2>/dev/null; systemctl stop ${unit}`;
}

/** `-b`: background at once (a stack's dispatcher or systemd must not wait for the lease). */
export const dhcpcdStart = (dhcpcd: string, iface: string): string[] => [dhcpcd, '-q', '-b', iface];

/** The sandbox of srcroute's services: /etc read-only, /run and /var writable, home directories readable. */
export const UNIT_SANDBOX = [
  'ProtectSystem=full',
  'ProtectHome=read-only',
  'PrivateTmp=yes',
  'ProtectKernelModules=yes',
  'ProtectControlGroups=yes',
];

/**
 * The template. BindsTo/After the device: started only once the interface exists, stopped when it
 * goes; WantedBy the device: `systemctl enable srcroute-dhcpcd@eth0v0` starts it whenever eth0v0
 * appears (boot, a stack recreating the link). The sandbox is what dhcpcd with `nohook
 * resolv.conf, hostname` needs: it writes only /var/lib/dhcpcd and /run (its sockets, and
 * srcroute's lock files in /run/srcroute). Home directories stay readable: the hook's node may be
 * an nvm install under one (the installer names it by its absolute path).
 * Stopping: SIGTERM to dhcpcd alone, again every 2 s until it has exited (TimeoutStopSec, 90 s,
 * bounds it), then nothing left to kill. Not `dhcpcd -x`: it sends one SIGTERM, gives up waiting
 * after 10 s (9.4.1 and 10.1: 100 polls of 0.1 s), logs "pid N failed to exit" and fails the
 * stop while dhcpcd still runs its STOP hooks (real Debian 12 and 13 boots under emulation,
 * NetworkManager and networkd: `Control process exited, status=1/FAILURE`). Again and again:
 * Debian 12's privsep dhcpcd 9.4.1 twice lost a SIGTERM that came while one of its hooks ran (no
 * "received SIGTERM" line; it leased on until systemd's SIGKILL 90 s later). KillMode=mixed: the
 * default (control-group) would signal dhcpcd's privilege-separated helpers and a running hook
 * too: the hook killed mid-event, STOP never run (seen: `Killing process … (node) with signal
 * SIGKILL`). `$$MAINPID` is systemd's way to hand sh the variable it sets for ExecStop.
 */
export function dhcpcdUnit(dhcpcd: string): StackFile {
  const content = [
    '# srcroute: dhcpcd for one interface (srcroute-dhcpcd@eth0v0.service), its lease followed by',
    "# srcroute's hook. Written by srcroute install --parent; sudo srcroute uninstall removes it.",
    '[Unit]',
    'Description=dhcpcd on %I for srcroute (no default route in main, no resolv.conf)',
    'Documentation=man:dhcpcd(8)',
    'BindsTo=sys-subsystem-net-devices-%i.device',
    'After=sys-subsystem-net-devices-%i.device',
    '',
    '[Service]',
    'Type=forking',
    'PIDFile=/run/dhcpcd/%I.pid',
    `ExecStart=${dhcpcdStart(dhcpcd, '%I').join(' ')}`,
    `ExecStop=/bin/sh -c 'while kill -TERM "$$MAINPID" 2>/dev/null; do sleep 2; done'`,
    'KillMode=mixed',
    'Restart=on-failure',
    ...UNIT_SANDBOX,
    '',
    '[Install]',
    'WantedBy=sys-subsystem-net-devices-%i.device',
    '',
  ].join('\n');
  return { path: DHCPCD_UNIT_PATH, mode: 0o644, content };
}
