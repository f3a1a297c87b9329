// The one writer: carries out a plan's steps in order, or (--dry-run) says what each would do.
// Every file goes in atomically (shared/files.ts writeAtomic: a temp file of fixed name beside
// it, fsync, chmod and chown there, rename over the target, fsync of the directory); a run killed
// at any point leaves each file old or new, never half, and the list persisted before each change
// names what it made (plan-builder.ts), so a rerun completes the
// same result and uninstall still finds everything. The list's directory is made with the list
// in it (built under a temp name, then renamed), for the same reason.
// Uninstall (Plan.keepGoing) goes on past a removal that fails: seen with /run/srcroute a busy
// mount point, `remove-tree /run/srcroute: EBUSY` stopped it with everything after still there and
// nothing to tell a rerun what was left. Now each failure is one line, the rest happens, the list
// keeps what failed (close-list) and the run fails at its end. Only a failed system call (an
// error with a code: EBUSY, EACCES…) is the system's failure; anything else is a bug and is
// thrown as it is, so that cli.ts says so.
import {
  chmodSync, chownSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync,
} from 'node:fs';
import { dirname, relative } from 'node:path';
import { InputError, SystemError, messageOf, systemCallError } from '../shared/errors.js';
import type { ProgramRunner } from '../kernel/program.js';
import { syncDir, tempOf, writeAtomic } from '../shared/files.js';
import { BACKUP_DIR, INSTALLED_LIST, PROTO_NUM } from './layout.js';
import { InstalledList } from '../shared/installed-list.js';
import { RUN_MAX_S } from '../hook/hooks-spawn.js';
import type { Owner, Plan, Step } from './steps.js';

export interface WriterDeps {
  /** --root DIR, or '' for the machine itself. */
  root: string;
  dry: boolean;
  /** Whether chown applies (only root may give files away). */
  chown: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
  /** A command's own output, as it is. */
  raw: (line: string) => void;
  run: ProgramRunner;
  /** The dhcpcd the `release` step runs for a manager (`dhcpcd -k IFACE`). */
  dhcpcd: string;
  /** The dhcpcds that lease IFACE: those named for it (their PIDs), and whether a manager (every interface) runs. */
  dhcpcdsOf: (iface: string) => { own: number[]; manager: boolean };
  /** Sends SIG to PID (a process gone meanwhile is no error). */
  signal: (pid: number, sig: 'SIGALRM' | 'SIGTERM') => void;
  /** The DHCP clients that still run for one of IFACES by name (`dhcpcd (eth0v0; pid 812)`). */
  clientsOf: (ifaces: readonly string[]) => string[];
  /** Waits MS milliseconds. */
  sleep: (ms: number) => Promise<void>;
  /** Calls TICK every MS milliseconds until the returned function is called. */
  every: (ms: number, tick: () => void) => () => void;
  /** `srcroute flush` (dry: its --dry-run). */
  flush: (dry: boolean) => Promise<void>;
}

/** How long a stack's command may take (nmcli --wait 30, ifup waiting for a first lease). */
const COMMAND_TIMEOUT_MS = 300_000;
/** How long a stopped DHCP client may take to run its last hooks (seconds each under emulation) and exit. */
const CLIENT_EXIT_MS = 60_000;
const CLIENT_POLL_MS = 200;
/** A wait longer than this says, every as long, that it still waits: nobody should think it hangs. */
const PROGRESS_MS = 5_000;
/** How long install waits for the macvlan's first lease before it only warns (a modem answers in a second or two). */
const LEASE_WAIT_MS = 15_000;
/** How long uninstall waits for the admin's scripts' runs: their own bound, and 10 s. */
const UNITS_MS = (RUN_MAX_S + 10) * 1000;
const UNITS_POLL_MS = 1_000;
/** How long a released dhcpcd may take to exit before it is told to stop, and then to exit (ifdown follows). */
const RELEASE_MS = 15_000;

const mine = (chown: boolean, owner: Owner): Owner | null => (chown ? owner : null);

/** What a step names in its failure's line. */
const subjectOf = (s: Step): string => ('path' in s ? s.path : 'iface' in s ? s.iface : '');

export class Writer {
  /** The paths whose step failed (uninstall goes on past them). */
  private readonly failed: string[] = [];
  /** The installed list's text once a close-list step ran. */
  private closing: string | null = null;

  constructor(private readonly d: WriterDeps) {}

  /** Where PATH is written (--root DIR: under DIR), and so what the messages name. */
  private at(path: string): string {
    return this.d.root === '' ? path : `${this.d.root}${path}`;
  }

  private say(line: string): void {
    this.d.out(line);
  }

  async apply(plan: Plan): Promise<void> {
    for (const step of plan.steps) {
      try {
        await this.step(step);
      } catch (e) {
        if (e instanceof SystemError || e instanceof InputError) throw e;
        // a bug (no system call failed) is thrown on as it is
        const line = `cannot ${step.op} ${subjectOf(step)}: ${messageOf(systemCallError(e))}`;
        if (plan.keepGoing !== true) throw new SystemError(line);
        this.failedAt(subjectOf(step), line);
      }
    }
    if (this.failed.length > 0) {
      this.keepList();
      const left = `${INSTALLED_LIST} still names what is left: run it again once the cause is fixed`;
      throw new SystemError(`${this.failed.length} step(s) failed (above); ${left}`);
    }
  }

  private async step(s: Step): Promise<void> {
    const { dry } = this.d;
    switch (s.op) {
      case 'say':
        return this.say(s.line);
      case 'warn':
        return this.d.err(`warning: ${s.line}`);
      case 'record':
        return dry ? undefined : this.record(s.list);
      case 'mkdir':
        return this.mkdir(s.path);
      case 'write':
        return this.write(s);
      case 'remove':
        return this.remove(s.path, false, false);
      case 'remove-tree':
        return this.remove(s.path, true, s.quiet === true);
      case 'rmdir':
        return this.rmdir(s.path);
      case 'state-dir':
        return this.stateDir(s.path);
      case 'sysctl':
        return this.sysctl(s.key, s.value);
      case 'release':
        return this.release(s.iface);
      case 'close-list':
        return dry ? undefined : this.closeList(s.list);
      case 'await-clients':
        if (this.d.root !== '') return;
        if (dry) return this.say(`would wait for the DHCP clients of ${s.ifaces.join(' ')} to exit`);
        await this.awaitClients(s.ifaces);
        return;
      case 'await-units':
        if (this.d.root !== '') return;
        if (dry) return this.say(`would wait for the units ${s.pattern} to end`);
        return this.awaitUnits(s.pattern);
      case 'flush':
        return this.flush();
      case 'check-link':
        if (this.d.root !== '') return;
        if (dry) return this.say(`would check that ${s.iface} is up`);
        return this.checkLink(s.iface);
      case 'run':
        return this.runCommand(s.argv);
    }
  }

  private mkdir(path: string): void {
    if (this.d.dry) return this.say(`would create directory ${this.at(path)}`);
    mkdirSync(this.at(path));
    chmodSync(this.at(path), 0o755);
    if (this.d.chown) chownSync(this.at(path), 0, 0);
    return syncDir(dirname(this.at(path)));
  }

  private write(s: Extract<Step, { op: 'write' }>): void {
    const { dry } = this.d;
    if (s.verb === 'backup') {
      // a copy of the admin's file that install replaces (its directories are removed with the copies)
      if (dry) return this.say(`would keep a copy of the existing ${s.path.slice(BACKUP_DIR.length)} for --uninstall`);
      mkdirSync(dirname(this.at(s.path)), { recursive: true, mode: 0o755 });
      return writeAtomic(this.at(s.path), s.content, s.mode, mine(this.d.chown, s.owner));
    }
    if (dry) return this.say(`would ${s.verb} ${this.at(s.path)}`);
    writeAtomic(this.at(s.path), s.content, s.mode, mine(this.d.chown, s.owner));
    return this.say(`${s.verb === 'restore' ? 'restored' : 'wrote'} ${this.at(s.path)}`);
  }

  /** A file, or (`tree`) a directory with all in it; `quiet`: without a line. */
  private remove(path: string, tree: boolean, quiet: boolean): void {
    if (this.d.dry) return quiet ? undefined : this.say(`would remove ${this.at(path)}`);
    rmSync(this.at(path), { recursive: tree, force: true });
    return quiet ? undefined : this.say(`removed ${this.at(path)}`);
  }

  private stateDir(path: string): void {
    try {
      mkdirSync(this.at(path), { mode: 0o700 });
    } catch {
      // there already, or /run not writable here: tmpfiles.d makes it at boot
    }
  }

  private rmdir(path: string): void {
    if (this.d.dry) return this.say(`would remove directory ${this.at(path)} if empty`);
    if (!existsSync(this.at(path))) return;
    if (readdirSync(this.at(path)).length > 0) return this.say(`kept ${this.at(path)} (not empty)`);
    rmdirSync(this.at(path));
    return this.say(`removed directory ${this.at(path)}`);
  }

  private sysctl(key: string, value: string): void {
    const line = `${key.replace(/\//g, '.')} = ${value}`;
    if (this.d.root !== '') return this.say(`--root: not setting ${line}`);
    if (this.d.dry) return this.say(`would set ${line}`);
    try {
      writeFileSync(`/proc/sys/${key}`, `${value}\n`);
    } catch (e) {
      // the link or IPv6 gone: nothing to put back; anything else is a warning, as a command's failure
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.d.err(`warning: cannot set ${line}: ${(e as Error).message}`);
      return;
    }
    return this.say(`set ${line}`);
  }

  private async flush(): Promise<void> {
    const { dry } = this.d;
    if (dry) this.say("would remove srcroute's rules and routes from the kernel:");
    try {
      await this.d.flush(dry);
    } catch (e) {
      this.d.err(
        `warning: srcroute flush failed (${(e as Error).message}): remove the rules and routes marked ` +
          `proto ${PROTO_NUM} by hand (see ip rule; ip route show table all)`,
      );
    }
  }

  private async runCommand(argv: readonly string[]): Promise<void> {
    const line = argv.join(' ');
    if (this.d.root !== '') return this.say(`--root: not running: ${line}`);
    if (this.d.dry) return this.say(`would run: ${line}`);
    this.say(`running: ${line}`);
    const r = await this.saying(`still running: ${line}`, this.d.run(argv, COMMAND_TIMEOUT_MS));
    for (const l of `${r.stdout}${r.stderr}`.split('\n').filter(Boolean)) this.d.raw(l);
    if (r.code !== 0)
      this.d.err(`warning: '${line}' failed (exit status ${r.code}): run it again once the cause is fixed`);
  }

  /** Until no unit matching PATTERN is active or on its way (UNITS_MS at most: their own bound). */
  private async awaitUnits(pattern: string): Promise<void> {
    const running = async (): Promise<string[]> => {
      const r = await this.d.run(['systemctl', 'list-units', '--all', '--plain', '--no-legend', pattern], 10_000);
      const rows = r.code === 0 ? r.stdout.split('\n').map((l) => l.trim().split(/\s+/)) : [];
      return rows.filter((w) => /^(active|activating|deactivating|reloading)$/.test(w[2] ?? '')).map((w) => w[0]!);
    };
    await this.waitUntilGone(running, { verb: 'end', limit: UNITS_MS, pollMs: UNITS_POLL_MS, gone: 'going on' });
  }

  /** IFACE up after its stack's start, or a SystemError (exit 1); no IPv4 lease within LEASE_WAIT_MS, a warning. */
  private async checkLink(iface: string): Promise<void> {
    const fail = (what: string): SystemError =>
      new SystemError(
        `${iface} ${what} after its network stack's start (see above): ` +
          'the files stay recorded; fix the cause and run install again, or uninstall',
      );
    for (let waited = 0; ; waited += CLIENT_POLL_MS) {
      // not `ip -4`: it leaves out a link with no IPv4 address
      const r = await this.d.run(['ip', '-j', 'addr', 'show', 'dev', iface], 10_000);
      if (r.code !== 0) throw fail('does not exist');
      const [link] = JSON.parse(r.stdout) as { flags?: string[]; addr_info?: { family?: string; scope?: string }[] }[];
      if (!(link?.flags ?? []).includes('UP')) throw fail('is not up');
      const leased = (link?.addr_info ?? []).some((a) => a.family === 'inet' && a.scope === 'global');
      if (leased) return this.say(`${iface} is up and leased`);
      if (waited >= LEASE_WAIT_MS) break;
      await this.d.sleep(CLIENT_POLL_MS);
    }
    const after = `${LEASE_WAIT_MS / 1000} s`;
    this.d.err(`warning: ${iface} is up, no IPv4 lease after ${after} (modem off?): srcroute routes it once leased`);
  }

  /** Wait up to LIMIT ms for the clients of IFACES to exit; those that still run (warned about when WARN). */
  private async awaitClients(ifaces: readonly string[], limit = CLIENT_EXIT_MS, warn = true): Promise<string[]> {
    const gone = warn ? 'going on (its hooks may find srcroute gone)' : null;
    return this.waitUntilGone(() => this.d.clientsOf(ifaces), { verb: 'exit', limit, pollMs: CLIENT_POLL_MS, gone });
  }

  /**
   * Polls LOOK until it names nothing or LIMIT ms have passed, saying what it waits for (again
   * every PROGRESS_MS), and warning with GONE (unless null) about what is left; returns what is left.
   */
  private async waitUntilGone(
    look: () => string[] | Promise<string[]>,
    o: { verb: string; limit: number; pollMs: number; gone: string | null },
  ): Promise<string[]> {
    let left = await look();
    if (left.length === 0) return left;
    this.say(`waiting for ${left.join(', ')} to ${o.verb}`);
    for (let waited = 0; left.length > 0 && waited < o.limit; waited += o.pollMs) {
      if (waited > 0 && waited % PROGRESS_MS === 0) {
        this.say(`still waiting for ${left.join(', ')} (${waited / 1000} s of ${o.limit / 1000})`);
      }
      await this.d.sleep(o.pollMs);
      left = await look();
    }
    if (left.length > 0 && o.gone !== null) {
      this.d.err(`warning: ${left.join(', ')} still runs after ${o.limit / 1000} s: ${o.gone}`);
    }
    return left;
  }

  /**
   * IFACE released by the dhcpcd that leases it, waited for: one named for IFACE gets SIGALRM, what
   * `dhcpcd -k IFACE` sends, from here: dhcpcd -k gives up waiting after 10 s (9.4.1 and 10.1),
   * logs "pid N failed to exit" and exits 1 while dhcpcd still runs its RELEASE hooks (a real
   * Debian 13 boot's purge under emulation). Debian 12's dhcpcd 9.4.1 under load sometimes lets a
   * release pass (the labs: no RELEASE, it ran on): then SIGTERM, what -x sends, stops it. A manager
   * (every interface) is asked over its control socket, `dhcpcd -k IFACE`, and goes on running.
   */
  private async release(iface: string): Promise<void> {
    if (this.d.root !== '') return;
    if (this.d.dry) {
      return this.say(`would release ${iface} from a dhcpcd that leases it (as dhcpcd -k ${iface}), and wait`);
    }
    const { own, manager } = this.d.dhcpcdsOf(iface);
    if (own.length === 0) {
      if (manager) await this.step({ op: 'run', argv: [this.d.dhcpcd, '-k', iface] });
      return;
    }
    for (const sig of ['SIGALRM', 'SIGTERM'] as const) {
      this.say(`${sig === 'SIGALRM' ? 'releasing' : 'stopping'} ${iface}: ${sig} to dhcpcd (pid ${own.join(', ')})`);
      for (const pid of own) this.d.signal(pid, sig);
      if ((await this.awaitClients([iface], RELEASE_MS, sig === 'SIGTERM')).length === 0) return;
    }
  }

  private failedAt(path: string, line: string): void {
    this.d.err(line);
    this.failed.push(path);
  }

  /** The list and the backups gone, when nothing failed before (else apply's end keeps the list). */
  private closeList(text: string): void {
    this.closing = text;
    for (const [path, recursive] of [[BACKUP_DIR, true], [INSTALLED_LIST, false]] as const) {
      if (this.failed.length > 0) return;
      try {
        rmSync(this.at(path), { recursive, force: true });
      } catch (e) {
        this.failedAt(path, `cannot remove ${path}: ${messageOf(systemCallError(e))}`);
      }
    }
  }

  /** After failures: the list as a rerun needs it (what failed, the directories), made again if it went. */
  private keepList(): void {
    if (this.closing === null) return;
    try {
      this.record(new InstalledList(this.closing).leftAfter(this.failed).text());
      this.d.err(`kept ${INSTALLED_LIST}: it names what is left`);
    } catch (e) {
      this.d.err(`cannot write ${INSTALLED_LIST}: ${messageOf(systemCallError(e))}`);
    }
  }

  /** WORK, saying LINE and how long it has taken every PROGRESS_MS until it is done. */
  private async saying<T>(line: string, work: Promise<T>): Promise<T> {
    let ticks = 0;
    const stop = this.d.every(PROGRESS_MS, () => this.say(`${line} (${(++ticks * PROGRESS_MS) / 1000} s)`));
    try {
      return await work;
    } finally {
      stop();
    }
  }

  /** The installed list, atomically; its directory, when missing, made with the list already in it. */
  private record(list: string): void {
    const path = this.at(INSTALLED_LIST);
    let top = dirname(path);
    if (existsSync(top)) return writeAtomic(path, Buffer.from(list), 0o644, this.d.chown ? { uid: 0, gid: 0 } : null);
    while (!existsSync(dirname(top))) top = dirname(top);
    const tmp = tempOf(top);
    rmSync(tmp, { recursive: true, force: true });
    const inside = `${tmp}/${relative(top, path)}`;
    mkdirSync(dirname(inside), { recursive: true });
    for (let d = dirname(inside); d.length >= tmp.length; d = dirname(d)) {
      chmodSync(d, 0o755);
      if (this.d.chown) chownSync(d, 0, 0);
    }
    writeAtomic(inside, Buffer.from(list), 0o644, this.d.chown ? { uid: 0, gid: 0 } : null);
    syncDir(tmp);
    renameSync(tmp, top);
    syncDir(dirname(top));
  }
}
