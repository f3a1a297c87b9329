// A systemd service's sandbox rebuilt inside the lab's box (systemd is not PID 1 here): a holder
// process in a private mount namespace, nested in the lab's sandbox (so the overlays and the
// tmpfs /run are underneath), set up by sandboxScript() from the unit file; commands enter it
// with nsenter and run under the unit's seccomp filters (seccomp-exec.py), as ExecStart= and
// ExecStop= do. A "journal" listens on /run/systemd/journal/dev-log, where the private /dev/log
// points, and keeps every datagram: what dhcpcd and srcroute's `logger` lines send to syslog.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import { Fatal, waitFor } from './lab.js';
import { SECCOMP_EXEC, sandboxScript, seccompArgv, type ServiceUnit } from './systemd-unit.js';
import { parseIds, REPORT_IDS } from './ns-identity.js';
import { pinHolder, type PinnedNamespaces } from './sandbox.js';

const JOURNAL = `
import os, socket, sys
os.makedirs('/run/systemd/journal', exist_ok=True)
if os.path.exists('/run/systemd/journal/dev-log'):
    os.unlink('/run/systemd/journal/dev-log')
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/run/systemd/journal/dev-log')
print('listening', flush=True)
while True:
    sys.stdout.write(s.recv(65536).decode(errors='replace').rstrip('\\n') + '\\n')
    sys.stdout.flush()
`;

export class UnitSandbox {
  journalText = '';
  private constructor(
    readonly unit: ServiceUnit,
    private readonly lab: Lab,
    private readonly holder: ChildProcess,
    private readonly journal: ChildProcess,
    /** The unit's namespaces, pinned (sandbox.ts says why); its root too when the lab's sandbox is chrooted (it inherits that root). */
    private readonly ns: PinnedNamespaces,
    /** Where ExecStart='s and ExecStop='s stdout and stderr go (opened outside, before the mounts). */
    readonly outputFile: string,
  ) {
    journal.stdout?.on('data', (d: Buffer) => (this.journalText += d.toString()));
  }

  static async start(lab: Lab, unit: ServiceUnit): Promise<UnitSandbox> {
    const journal = lab.sandbox.spawn(['/usr/bin/python3', '-c', JOURNAL]);
    let heard = '';
    journal.stdout?.once('data', (d: Buffer) => (heard += d.toString()));
    await waitFor('the journal socket', () => heard.includes('listening'), 10_000, 20);
    const scratch = join(lab.dir, 'unit');
    mkdirSync(scratch, { recursive: true });
    // the clone may live under /root or /home, which ProtectHome= hides from the unit: its seccomp helper is copied out
    copyFileSync(SECCOMP_EXEC, join(scratch, 'seccomp-exec.py'));
    const script = [...sandboxScript(unit, scratch), REPORT_IDS, 'exec sleep 2147483647'].join('\n');
    const holder = lab.sandbox.spawn(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script]);
    let out = '';
    let err = '';
    holder.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    holder.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(`the unit's sandbox (${err})`, () => {
      if (holder.exitCode !== null) throw new Fatal(`the unit's sandbox failed: ${err}`);
      return parseIds(out);
    }, 20_000, 20);
    const ns = pinHolder(holder.pid!, parseIds(out)!, lab.box.name, lab.sandbox.chrooted);
    lab.trust(ns.ids); // its processes are the lab's too (Lab.killAll)
    return new UnitSandbox(unit, lab, holder, journal, ns, join(lab.dir, 'unit-output'));
  }

  /** Run argv in the unit's sandbox (namespaces and seccomp filters); stdout+stderr to outputFile. */
  exec(argv: readonly string[], timeoutMs = 30_000): number {
    const fd = openSync(this.outputFile, 'a');
    try {
      const full = this.ns.enter(seccompArgv(this.unit, argv, join(this.lab.dir, 'unit', 'seccomp-exec.py')));
      const r = spawnSync(full[0]!, full.slice(1), { stdio: ['ignore', fd, fd, ...this.ns.fds], timeout: timeoutMs, killSignal: 'SIGKILL' });
      if (r.error) throw r.error;
      return r.status ?? 128;
    } finally {
      closeSync(fd);
    }
  }

  /** Run a plain command (no seccomp filter) in the unit's mount namespace, for looking around. */
  look(argv: readonly string[]): { code: number; stdout: string; stderr: string } {
    const full = this.ns.enter(argv);
    const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', timeout: 10_000, stdio: ['pipe', 'pipe', 'pipe', ...this.ns.fds] });
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  }

  /** ExecStart=; for Type=forking, wait for the PIDFile= as systemd does. Returns the daemon's PID. */
  async start(): Promise<number> {
    const code = this.exec(this.unit.execStart);
    if (code !== 0) throw new Error(`ExecStart ${this.unit.execStart.join(' ')} exited ${code}: ${this.output()}`);
    const pidFile = this.unit.pidFile;
    if (!pidFile) return 0;
    return waitFor(`${pidFile}`, () => {
      const r = this.look(['cat', pidFile]);
      const pid = Number(r.stdout.trim());
      return r.code === 0 && pid > 0 ? pid : undefined;
    }, 10_000, 50);
  }

  /** ExecStop=, then wait until no process of that name is left in the lab. */
  async stop(): Promise<number> {
    const code = this.exec(this.unit.execStop);
    const comm = this.unit.execStart[0]!.split('/').pop()!;
    await waitFor(`${comm} to exit`, () => this.lab.pidsIn(comm).length === 0, 15_000);
    return code;
  }

  output(): string {
    try {
      return readFileSync(this.outputFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Syslog messages received, each as `TAG[PID]: MESSAGE` (the priority and date cut off). */
  messages(): string[] {
    return this.journalText.split('\n').filter(Boolean).map((l) => l.replace(/^<\d+>(\w{3} [ \d]\d \d\d:\d\d:\d\d )?/, ''));
  }

  async close(): Promise<void> {
    await this.lab.sandbox.kill(this.holder, 'SIGKILL');
    await this.lab.sandbox.kill(this.journal, 'SIGKILL');
    this.ns.close();
  }
}
