// `srcroute run-hooks`: the runner hooks-spawn.ts starts (not for admins). It runs the scripts of
// hooks.d in name order with the call's variables (hooks-env.ts, checked again) and a fixed PATH,
// each bounded (SCRIPT_MAX_S, then SIGKILL; RUN_MAX_S for the whole run), each exit logged with
// the interface and the script's name. One run per interface and family at a time (a lock in the
// state dir): two renumberings in quick succession do not run their scripts side by side.
// Descriptors it inherited without close-on-exec are closed first, so that no script holds one of
// the DHCP client's (in the fallback). Node marks those up to the first gap above 15 close-on-exec
// itself (uv_disable_stdio_inheritance); measured: a dhcpcd-like fd 200 reached a script without
// this. Node's own are all close-on-exec.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from '../shared/command.js';
import { HOOKS_DIR_NAME } from '../shared/paths.js';
import type { Deps } from './hook.js';
import { readCallEnv, SCRIPT_PATH, type CallEnv } from './hooks-env.js';
import { scriptRefusal, scriptsIn } from './hooks-dir.js';
import { RUN_MAX_S, SCRIPT_MAX_S } from './hooks-spawn.js';

/** O_CLOEXEC as /proc/PID/fdinfo's `flags:` (octal) shows it. */
const O_CLOEXEC = 0o2000000;

/** Close every descriptor above 2 that would outlive an exec (`fdDir`: /proc/self/fd). */
export function closeInherited(fdDir: string): void {
  for (const name of readdirSync(fdDir)) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(join(fdDir, '..', 'fdinfo', name), 'latin1'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) closeSync(fd);
    } catch {
      // the directory's own descriptor, closed by now
    }
  }
}

/** What a script's end says in the log. */
type Ended = { status: number | null; signal: string | null; error?: Error };

export function exitLine(script: string, r: Ended, timeoutMs: number): string {
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') return `${script} killed after ${Math.round(timeoutMs / 1000)} s`;
  if (r.error !== undefined) return `${script} did not start: ${code ?? r.error.message}`;
  if (r.signal !== null) return `${script} ended by ${r.signal}`;
  return `${script} exited with status ${r.status}`;
}

/** Each script in order, each bounded by what is left of the run's time; every exit logged. */
function runAll(dir: string, env: CallEnv, log: (line: string) => void): void {
  const { run, refused } = scriptsIn(dir);
  refused.forEach(log);
  const deadline = Date.now() + RUN_MAX_S * 1000;
  for (const path of run) {
    const left = deadline - Date.now();
    const why = left <= 0 ? `not run: the run's ${RUN_MAX_S} s are over` : scriptRefusal(path);
    if (why !== null) {
      log(`${path} ${why === '' ? 'is no longer executable' : why}`);
      continue;
    }
    const timeout = Math.min(SCRIPT_MAX_S * 1000, left);
    const stdio: SpawnSyncOptions['stdio'] = ['ignore', 'inherit', 'inherit'];
    const options = { env: { ...env, PATH: SCRIPT_PATH }, cwd: '/', stdio, timeout };
    const r = spawnSync(path, [], { ...options, killSignal: 'SIGKILL' });
    log(exitLine(basename(path), r, timeout));
  }
}

export const command: Command<Deps> = {
  help: 'srcroute run-hooks: runs the scripts of /etc/srcroute/hooks.d for the hook (docs/hooks.md); not for admins.',
  flags: [],
  run: async (_args, deps, io) => {
    closeInherited('/proc/self/fd');
    const env = readCallEnv(deps.env);
    const tag = `srcroute[${env.SRCROUTE_IFACE}] ${env.SRCROUTE_REASON} hooks.d`;
    const log = (line: string): void => io.err(`${tag}: ${line}`);
    const lock = `hooks-${env.SRCROUTE_IFACE}-ipv${env.SRCROUTE_FAMILY}`;
    const dir = join(deps.configDir, HOOKS_DIR_NAME);
    await deps.lock(lock, { timeoutMs: (RUN_MAX_S + 30) * 1000, warn: log }, async () => runAll(dir, env, log));
  },
};
