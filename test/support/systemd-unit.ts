// A systemd service unit read the way the lab needs it: its command lines and the sandbox its
// [Service] section asks for, so that a test can rebuild that sandbox around the real program
// (systemd is not PID 1 on the test machines). Every directive of the section is either
// emulated (see sandboxScript and seccomp-exec.py), used as a command, or listed in NOT_EMULATED
// with the reason it cannot change what a DHCP hook sees; any other directive throws, so a unit
// file that gains one makes the test fail instead of passing under a weaker sandbox.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceUnit {
  file: string;
  type: string;
  pidFile?: string;
  execStart: string[];
  execStop: string[];
  runtimeDirectories: string[];
  protectSystem: 'no' | 'yes' | 'full' | 'strict';
  /** ReadWritePaths=; a leading `-` makes a missing path fine. */
  readWritePaths: { path: string; optional: boolean }[];
  protectHome: 'no' | 'yes' | 'read-only' | 'tmpfs';
  privateDevices: boolean;
  memoryDenyWriteExecute: boolean;
  /** SystemCallFilter= allow-list (names and @sets); null when the unit has none. */
  systemCallFilter: string[] | null;
  systemCallErrorNumber: string | null;
}

/** Directives the lab does not rebuild, and why a hook run by the unit's program cannot tell. */
export const NOT_EMULATED: Readonly<Record<string, string>> = {
  Restart: 'restarts after a crash: the lab watches for crashes instead',
  ProtectClock: 'denies setting the clock: neither dhcpcd\'s hooks nor srcroute set it',
  ProtectKernelModules: 'denies loading modules: nothing here loads one',
  ProtectKernelLogs: 'hides /dev/kmsg and syslog(2): the private /dev has no kmsg either way; nothing reads the kernel log',
  ProtectControlGroups: 'makes /sys/fs/cgroup read-only: nothing here writes cgroups',
  RestrictNamespaces: 'denies creating namespaces: nothing here creates one',
  LockPersonality: 'denies personality(2) changes: nothing here changes it',
  RestrictRealtime: 'denies realtime scheduling: nothing here asks for it',
  RestrictSUIDSGID: 'denies making set-uid files: nothing here makes one',
  SystemCallArchitectures: 'native only: the lab runs native binaries only, and seccomp-exec.py\'s filter allows the native ABI only',
};

const yes = (v: string): boolean => /^(1|yes|true|on)$/i.test(v);

export interface DropIn {
  path: string;
  text: string;
}

/**
 * Read a unit file and its drop-ins (in the order systemd applies them); `instance` fills in
 * %i/%I of a template unit.
 */
export function readUnit(file: string, opts: { instance?: string; dropIns?: readonly DropIn[] } = {}): ServiceUnit {
  const instance = opts.instance ?? '';
  const unit: ServiceUnit = {
    file,
    type: 'simple',
    execStart: [],
    execStop: [],
    runtimeDirectories: [],
    protectSystem: 'no',
    readWritePaths: [],
    protectHome: 'no',
    privateDevices: false,
    memoryDenyWriteExecute: false,
    systemCallFilter: null,
    systemCallErrorNumber: null,
  };
  let section = '';
  const lines = [readFileSync(file, 'utf8'), ...(opts.dropIns ?? []).map((d) => d.text)].join('\n[]\n').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = head[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim().replace(/%[iI]/g, instance);
    const words = value.split(/\s+/).filter(Boolean);
    switch (key) {
      case 'Type': unit.type = value; break;
      case 'PIDFile': unit.pidFile = value; break;
      case 'ExecStart': unit.execStart = words; break;
      case 'ExecStop': unit.execStop = words; break;
      case 'RuntimeDirectory': unit.runtimeDirectories.push(...words.map((w) => join('/run', w))); break;
      case 'ProtectSystem': unit.protectSystem = yes(value) ? 'yes' : (value as ServiceUnit['protectSystem']); break;
      case 'ReadWritePaths':
        unit.readWritePaths.push(...words.map((w) => ({ path: w.replace(/^[-+]+/, ''), optional: w.startsWith('-') })));
        break;
      case 'ProtectHome': unit.protectHome = yes(value) ? 'yes' : (value as ServiceUnit['protectHome']); break;
      case 'PrivateDevices': unit.privateDevices = yes(value); break;
      case 'MemoryDenyWriteExecute': unit.memoryDenyWriteExecute = yes(value); break;
      case 'SystemCallFilter':
        if (value.startsWith('~')) throw new Error(`${file}: a deny-list SystemCallFilter= is not emulated`);
        unit.systemCallFilter = [...(unit.systemCallFilter ?? []), ...words];
        break;
      case 'SystemCallErrorNumber': unit.systemCallErrorNumber = value; break;
      default:
        if (!(key in NOT_EMULATED)) throw new Error(`${file}: [Service] ${key}= is neither emulated nor known to be harmless: teach test/support/systemd-unit.ts`);
    }
  }
  if (!['no', 'yes', 'full', 'strict'].includes(unit.protectSystem)) throw new Error(`${file}: ProtectSystem=${unit.protectSystem}?`);
  if (!['no', 'yes', 'read-only', 'tmpfs'].includes(unit.protectHome)) throw new Error(`${file}: ProtectHome=${unit.protectHome}?`);
  if (unit.execStart.length === 0) throw new Error(`${file}: no ExecStart=`);
  return unit;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Paths ProtectSystem= makes read-only (besides what ReadWritePaths= exempts). */
function readOnlyRoots(unit: ServiceUnit): string[] {
  switch (unit.protectSystem) {
    case 'strict': return ['/'];
    case 'full': return ['/usr', '/boot', '/efi', '/etc'];
    case 'yes': return ['/usr', '/boot', '/efi'];
    default: return [];
  }
}

/**
 * sh lines that turn a fresh private mount namespace into the unit's view of the files, as
 * systemd's namespace.c builds it: RuntimeDirectory= created; PrivateDevices= a tmpfs /dev with
 * only the pseudo devices and /dev/log -> /run/systemd/journal/dev-log (a symlink made whether or
 * not journald listens there); ProtectHome= /home, /root and /run/user empty and inaccessible;
 * ProtectSystem= every mount under the protected roots remounted read-only except /proc, /sys,
 * /dev and the ReadWritePaths= (and runtime directories), which stay writable. `scratch` is an
 * empty directory for the new /dev.
 */
export function sandboxScript(unit: ServiceUnit, scratch: string): string[] {
  const lines = ['set -eu'];
  for (const d of unit.runtimeDirectories) lines.push(`mkdir -p -m 0755 ${q(d)}`);
  if (unit.privateDevices) {
    const dev = join(scratch, 'dev');
    lines.push(
      `mkdir -p ${q(dev)}`,
      `mount -t tmpfs -o mode=755,nosuid,noexec tmpfs ${q(dev)}`,
      `for n in null zero full random urandom tty; do touch ${q(dev)}/$n; mount --bind /dev/$n ${q(dev)}/$n; done`,
      `mkdir ${q(dev)}/pts ${q(dev)}/shm`,
      `ln -s /proc/self/fd ${q(dev)}/fd`,
      `ln -s /proc/self/fd/0 ${q(dev)}/stdin; ln -s /proc/self/fd/1 ${q(dev)}/stdout; ln -s /proc/self/fd/2 ${q(dev)}/stderr`,
      `ln -s /run/systemd/journal/dev-log ${q(dev)}/log`,
      `mount --move ${q(dev)} /dev`,
    );
  }
  if (unit.protectHome === 'yes' || unit.protectHome === 'tmpfs') {
    const mode = unit.protectHome === 'yes' ? '000' : '755';
    lines.push(`for d in /home /root /run/user; do [ ! -d "$d" ] || mount -t tmpfs -o mode=${mode},ro tmpfs "$d"; done`);
  } else if (unit.protectHome === 'read-only') {
    lines.push('for d in /home /root /run/user; do [ ! -d "$d" ] || { mount --bind "$d" "$d"; mount -o remount,bind,ro "$d"; }; done');
  }
  const roots = readOnlyRoots(unit);
  if (roots.length > 0) {
    const writable = [...unit.runtimeDirectories, ...unit.readWritePaths.map((p) => p.path)];
    for (const p of unit.readWritePaths) {
      lines.push(p.optional ? `[ ! -e ${q(p.path)} ] || mount --bind ${q(p.path)} ${q(p.path)}` : `mount --bind ${q(p.path)} ${q(p.path)}`);
    }
    for (const d of unit.runtimeDirectories) lines.push(`mount --bind ${q(d)} ${q(d)}`);
    // every mount point (mountinfo field 5, octal escapes left alone: the lab has none) under a
    // protected root and not under a kept one, deepest last so that none is hidden afterwards
    const under = (list: string[]) => list.map((p) => `[ "$m" = ${q(p)} ] || case $m in ${q(p === '/' ? '' : p)}/*) ;; *) false ;; esac`).join(' || ');
    lines.push(
      `awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r m; do`,
      `  if ${under(['/proc', '/sys', '/dev', ...writable])}; then continue; fi`,
      `  if ${under(roots)}; then`,
      // a mount hidden under a later one (the host's /run/netns under the lab's /run) is unreachable
      '    mount -o remount,bind,ro "$m" 2>/dev/null || ! mountpoint -q "$m" || { echo "cannot make $m read-only" >&2; exit 1; }',
      '  fi',
      'done',
    );
  }
  return lines;
}

/** The helper that loads the unit's seccomp filters and execs argv under them. */
export const SECCOMP_EXEC = join(__dirname, 'seccomp-exec.py');

/**
 * argv that runs `argv` under the unit's seccomp filters (argv itself when it has none), with the
 * helper at `helper`: a copy outside the clone, since ProtectHome= hides a clone under /root or /home.
 */
export function seccompArgv(unit: ServiceUnit, argv: readonly string[], helper = SECCOMP_EXEC): string[] {
  const opts = [
    ...(unit.memoryDenyWriteExecute ? ['--mdwe'] : []),
    ...(unit.systemCallFilter ? ['--allow', unit.systemCallFilter.join(',')] : []),
    ...(unit.systemCallErrorNumber ? ['--errno', unit.systemCallErrorNumber] : []),
  ];
  return opts.length === 0 ? [...argv] : ['/usr/bin/python3', helper, ...opts, '--', ...argv];
}
