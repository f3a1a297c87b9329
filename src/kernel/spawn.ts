// The one way srcroute starts a child process (ip, dhcpcd), with one kill policy: the child leads
// its own process group, and kill() or its time limit SIGKILLs the whole group, so a wrapper
// script's children die with it (faults.test.ts: "ip hanging (and its child)"). When the limit
// fires, the end is reported at once, without waiting for pipes that an escaped grandchild may
// hold open: a root hook must never hang. stdin is a pipe only when asked for, else /dev/null.
// A limit that fires late by half its length or more, once, starts again: the hook itself got no
// CPU, so the child probably got none either, and its answer may already wait in the pipe, unread:
// a loop turn runs its due timers before it reads (Node 18 and 20 alike: a child that had answered
// and exited during a 700 ms stall was killed at its 200 ms limit; spawn.test.ts). Seen once: on
// a real Debian 13 boot under emulation beside a second guest, a router advertisement's hook killed
// its `ip` at 5 s. The wait stays bounded: at most twice the limit plus the stall.
import { spawn } from 'node:child_process';
import { errorCode } from '../shared/errors.js';

/** How a child ended: its exit code or signal, its time limit, or it could not be started. */
export type ChildEnd =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'timed-out'; ms: number }
  | { kind: 'not-started'; why: string };

export interface ChildListener {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Called once. */
  end: (end: ChildEnd) => void;
}

export interface Child {
  /** Write to its stdin (a pipe only with `stdin: true`). */
  write: (text: string) => void;
  /** Close its stdin. */
  close: () => void;
  /** SIGKILL its process group (nothing once it has exited). */
  kill: () => void;
  /** From now on, kill it and report `timed-out` unless it ends within `ms`. */
  limit: (ms: number) => void;
}

const WHY: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied (not an executable file?)' };

export function startChild(argv: readonly string[], opts: { stdin: boolean }, on: ChildListener): Child {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let closed = false;
  const end = (how: ChildEnd): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    on.end(how);
  };
  const kill = (): void => {
    // once it has exited and its pipes closed, its process group number may be somebody else's
    if (closed) return;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  child.on('error', (e) => end({ kind: 'not-started', why: WHY[errorCode(e) ?? ''] ?? errorCode(e) ?? e.message }));
  child.stdin?.on('error', () => {
    // it went away early; its exit status and stderr tell why
  });
  child.stdout?.on('data', (d: Buffer) => ended || on.stdout(d.toString()));
  child.stderr?.on('data', (d: Buffer) => ended || on.stderr(d.toString()));
  child.on('close', (code, signal) => {
    closed = true;
    end({ kind: 'exited', code, signal });
  });
  return {
    write: (text) => child.stdin?.write(text),
    close: () => child.stdin?.end(),
    kill,
    limit: (ms) => {
      let again = true;
      const arm = (): void => {
        clearTimeout(timer);
        const due = Date.now() + ms;
        timer = setTimeout(() => {
          if (again && Date.now() - due >= ms / 2) return ((again = false), arm());
          kill();
          end({ kind: 'timed-out', ms });
        }, ms);
      };
      arm();
    },
  };
}
