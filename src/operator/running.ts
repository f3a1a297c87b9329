// What runs, from /proc: which network stack and which DHCP clients manage this box is a
// question about processes, not files. /run/systemd/netif, for one, exists on every Debian 12
// and Raspberry Pi OS boot whether networkd runs or not (systemd-tmpfiles makes it).
// Only processes in our own network namespace count: a daemon in another one (a container, a
// test lab next door) manages other interfaces.
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { listDir, readText } from '../shared/files.js';

export interface Proc {
  pid: number;
  /** The kernel's name for it (15 characters at most: `systemd-network`). */
  comm: string;
  argv: string[];
  /** When it started, in ms since the epoch (to 10 ms). */
  startedMs: number;
}

/** Linux reports process start times in USER_HZ, which is 100 on every architecture. */
const USER_HZ = 100;

function netnsOf(proc: string, pid: string): string | null {
  try {
    return readlinkSync(join(proc, pid, 'ns/net'));
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat (starttime), read after the parenthesised comm, which may hold spaces. */
export function startTicks(stat: string): number | null {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[19]);
  return Number.isFinite(ticks) ? ticks : null;
}

/**
 * Every process in our network namespace (`proc` is /proc, or a copy of its shape in tests).
 * Start times come from the uptime (10 ms), not /proc/stat's btime (whole seconds): `check`
 * compares them with file times.
 */
export function readProcesses(proc: string, nowMs: number): Proc[] {
  const uptimeMs = Number(readText(join(proc, 'uptime'))?.split(' ')[0] ?? NaN) * 1000;
  const bootMs = nowMs - uptimeMs;
  const ours = netnsOf(proc, 'self');
  const out: Proc[] = [];
  for (const pid of listDir(proc)) {
    if (!/^\d+$/.test(pid) || netnsOf(proc, pid) !== ours) continue;
    const comm = readText(join(proc, pid, 'comm'))?.trimEnd();
    const ticks = startTicks(readText(join(proc, pid, 'stat')) ?? '');
    if (comm === undefined || ticks === null) continue;
    const argv = (readText(join(proc, pid, 'cmdline')) ?? '').split('\0').filter((a) => a !== '');
    out.push({ pid: Number(pid), comm, argv, startedMs: bootMs + (ticks * 1000) / USER_HZ });
  }
  return out;
}
