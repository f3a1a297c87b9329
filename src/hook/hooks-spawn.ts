// How the hook starts the admin's scripts without waiting for them: it hands the call to a runner
// (this same program, `run-hooks`, run-hooks.ts) and exits. The DHCP client waits only for that
// spawn (a few ms, and only when the address changed), never for a script.
// Where the runner runs. Under Debian's dhcpcd.service the hook inherits the unit's sandbox
// (ProtectSystem=strict: all but /var/lib/dhcpcd, /run/dhcpcd and a few files is read-only;
// PrivateDevices, MemoryDenyWriteExecute, a system-call filter; test/units/debian-12/) and its
// cgroup, so a ddclient or nsupdate started from there could not write its cache, and would be
// killed with dhcpcd on a restart. So when systemd is PID 1 (/run/systemd/system exists:
// sd_booted(3)) the runner is a transient service, `systemd-run --unit=srcroute-hooks-IFACE-ipvF-MS
// --collect`: started by PID 1, outside the sandbox and the cgroup, no descriptor of the hook's,
// bounded by RuntimeMaxSec=, its output in the journal as `srcroute`. systemd-run is not waited
// for (--no-block returns once the job is queued; were it to fail, nobody is told: the memory
// has moved on). Not measured on a booted box yet: the test machine's PID 1 is not systemd (the
// boot test's VM is where to). Otherwise (sysvinit, a container, the tests): a detached child
// in its own session, stdin and output to /dev/null or to logger (when /dev/log is a socket, as
// the dispatcher does), which closes the descriptors it inherited (run-hooks.ts). Measured there
// (test/integration/hooks-d.test.ts): the event returns while a script still runs.
import { spawn, type SpawnOptions } from 'node:child_process';
import { lstatSync } from 'node:fs';
import type { Followed } from './want.js';
import { callEnv, SCRIPT_PATH } from './hooks-env.js';
import { scriptsIn } from './hooks-dir.js';
import type { Start } from './notify.js';

/** The whole run's bound (systemd's RuntimeMaxSec=, run-hooks.ts's own deadline), and each script's. */
export const RUN_MAX_S = 300;
/** The runners' transient units, as systemctl matches them. */
export const HOOKS_UNITS = 'srcroute-hooks-*';
export const SCRIPT_MAX_S = 30;

export interface SpawnPlaces {
  /** How to run this program again: node, its flags, the script (bin.ts). Empty: cannot. */
  self: readonly string[];
  hooksDir: string;
  /** systemd is PID 1 when this directory exists (sd_booted(3)): /run/systemd/system. */
  systemdDir: string;
  /** /dev/log: the fallback's runner logs through logger when this is a socket. */
  devLog: string;
  /** SRCROUTE_CONFIG_DIR and SRCROUTE_STATE_DIR when the hook was given them. */
  passOn: Readonly<Record<string, string>>;
}

/** The transient unit's command line (systemd-run's own environment is only PATH). */
export function systemdRunArgv(f: Followed, env: Env, self: readonly string[], nowMs: number): string[] {
  return [
    'systemd-run',
    `--unit=srcroute-hooks-${f.iface}-ipv${f.family}-${nowMs}`,
    '--collect',
    '--quiet',
    '--no-block',
    '--property=Type=exec',
    `--property=RuntimeMaxSec=${RUN_MAX_S + 10}`,
    '--property=SyslogIdentifier=srcroute',
    ...Object.entries(env).map(([k, v]) => `--setenv=${k}=${v}`),
    ...self,
    'run-hooks',
  ];
}

type Env = Readonly<Record<string, string>>;

const isSocket = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false })?.isSocket() ?? false;

/** The fallback: the runner detached, its output to logger (itself detached) or nowhere. */
function detached(env: Env, places: SpawnPlaces): void {
  const options = { detached: true, cwd: '/', env: { ...env, PATH: SCRIPT_PATH } };
  const logArgv = ['-t', 'srcroute', '-p', 'daemon.notice'];
  const toLogger: SpawnOptions = { ...options, stdio: ['pipe', 'ignore', 'ignore'] };
  const logger = isSocket(places.devLog) ? spawn('logger', logArgv, toLogger) : null;
  logger?.on('error', () => undefined); // no logger: the runner's lines are lost, its scripts still run
  const out = logger?.stdin ?? 'ignore';
  const [node = '', ...args] = places.self;
  const runner = spawn(node, [...args, 'run-hooks'], { ...options, stdio: ['ignore', out, out] });
  runner.on('error', () => undefined);
  runner.unref();
  logger?.stdin?.destroy();
  logger?.unref();
}

/** notify.ts's `start`: true when the runner was started or there is nothing to run. */
export function hooksStarter(places: SpawnPlaces): Start {
  return (f, call, report) => {
    const scripts = scriptsIn(places.hooksDir);
    if (scripts.run.length === 0) {
      for (const line of scripts.refused) report.log(`${report.tag}: ${line}`);
      return true;
    }
    if (places.self.length < 2) {
      report.log(`${report.tag}: warning: cannot start hooks.d's scripts: the program's own path is unknown`);
      return false;
    }
    const env = { ...places.passOn, ...callEnv(f, call) };
    if (lstatSync(places.systemdDir, { throwIfNoEntry: false })?.isDirectory() ?? false) {
      const [command = '', ...args] = systemdRunArgv(f, env, places.self, Date.now());
      const child = spawn(command, args, { detached: true, cwd: '/', env: { PATH: SCRIPT_PATH }, stdio: 'ignore' });
      child.on('error', () => undefined);
      child.unref();
    } else detached(env, places);
    return true;
  };
}
