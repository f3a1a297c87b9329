// srcroute-heal.timer and its service: `srcroute heal` every 30 seconds (operator/commands/heal.ts
// says why a timer and not a watcher). The timer fires 30 s after it starts and 30 s after each
// run ends; AccuracySec=5s because systemd's default (1 min) would let a deleted rule wait up to
// 90 s. A oneshot service, sandboxed as srcroute-dhcpcd@.service is: it writes only /run
// (srcroute's lock and heal files) and the kernel's routing, through ip. Install writes both and
// enables the timer when systemd runs; uninstall stops it before it takes anything out. Stopped
// mid-run (uninstall, shutdown) it ends by SIGTERM, which for a oneshot systemd counts as a
// failure unless SuccessExitStatus says otherwise: a real Debian 13 purge logged
// "srcroute-heal.service: Failed with result 'signal'". A heal cut short changes nothing the next
// run or lease event would not put right.

import { UNIT_SANDBOX } from '../operator/stacks/dhcpcd-unit.js';

export const HEAL_TIMER_NAME = 'srcroute-heal.timer';
export const HEAL_SERVICE = '/etc/systemd/system/srcroute-heal.service';
export const HEAL_TIMER = `/etc/systemd/system/${HEAL_TIMER_NAME}`;
/** The Debian package's command (build/release.mjs links it to the package's bundle). */
export const PACKAGE_COMMAND = '/usr/sbin/srcroute';

const head = (what: string, undo: string): string[] => [
  `# srcroute: ${what}`,
  `# Turn healing off: systemctl disable --now ${HEAL_TIMER_NAME}. ${undo} removes it.`,
];

export const healServiceText = (command: string, undo: string): string =>
  [
    ...head("puts back srcroute's rules and routes deleted since the last lease event (srcroute heal).", undo),
    '[Unit]',
    "Description=Put back srcroute's rules and routes deleted since the last lease event",
    'Documentation=man:srcroute(8)',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${command} heal`,
    'SuccessExitStatus=SIGTERM',
    'SyslogIdentifier=srcroute',
    ...UNIT_SANDBOX,
    '',
  ].join('\n');

export const healTimerText = (undo: string): string =>
  [
    ...head('runs srcroute-heal.service every 30 seconds.', undo),
    '[Unit]',
    "Description=Put back srcroute's deleted rules and routes every 30 seconds",
    'Documentation=man:srcroute(8)',
    '',
    '[Timer]',
    'OnActiveSec=30s',
    'OnUnitInactiveSec=30s',
    'AccuracySec=5s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');

/** What install runs once the units changed: systemd reads them, the timer starts (now and at every boot). */
export const healStart = [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', HEAL_TIMER_NAME]] as const;

/** What uninstall runs first: no heal may put a rule back after the flush. */
export const healStop = [
  ['systemctl', 'disable', '--now', HEAL_TIMER_NAME],
  ['systemctl', 'stop', 'srcroute-heal.service'],
] as const;
