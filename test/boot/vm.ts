// The boot test's guest: qemu (TCG: this machine's /dev/kvm, when there is one, is PVM and boots
// no Debian kernel) booting a release's cached kernel and initrd directly, on a qcow2 overlay of
// its root.img made per run, with two virtio NICs (ens3: the LAN, ens4: the modem; the taps of
// net.ts's srbt-vm namespace) or, in the one-port layout, one (ens3) on a UDP socket to
// switch.py, which joins it to both taps (the modem on VLAN 100), the serial console in
// console.log and the agent (guest/agent.sh) on the virtio-serial port srbt.agent, a unix socket
// here. run() sends a shell script, the agent answers with its exit code, stdout and stderr;
// every call goes into transcript.log.
// A guest reboot (`systemctl reboot`) restarts the guest in the same qemu (no -no-reboot).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { must } from '../support/run.js';
import type { Layout } from './cells.js';
import type { Image } from './image.js';
import { QEMU_PORT, SWITCH_PORT } from './switch.js';

export interface GuestResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface Pending {
  resolve: (r: GuestResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The LAN's MAC (ens3's) in either layout; the modem's port (ens4) has its own in two-port. */
export const LAN_PORT_MAC = '52:54:00:12:50:03';

/** qemu's NICs: the guest's ens3 (PCI slot 3) and, two-port, ens4 (slot 4). */
function nics(layout: Layout): string[] {
  const nic = (id: string, mac: string, slot: number) =>
    ['-device', `virtio-net-pci,netdev=${id},mac=${mac},addr=0x${slot}`];
  if (layout === 'vlan') {
    const socket = `socket,id=port,udp=127.0.0.1:${SWITCH_PORT},localaddr=127.0.0.1:${QEMU_PORT}`;
    return ['-netdev', socket, ...nic('port', LAN_PORT_MAC, 3)];
  }
  return [
    '-netdev', 'tap,id=lan,ifname=tap-lan,script=no,downscript=no', ...nic('lan', LAN_PORT_MAC, 3),
    '-netdev', 'tap,id=mdm,ifname=tap-mdm,script=no,downscript=no', ...nic('mdm', '52:54:00:12:64:04', 4),
  ];
}

export class Vm {
  private qemu: ChildProcess | undefined;
  private sock: Socket | undefined;
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private qemuErr = '';
  readonly console: string;
  readonly transcript: string;

  constructor(
    private readonly image: Image,
    private readonly netns: string,
    private readonly layout: Layout,
    private readonly work: string,
    logs: string,
  ) {
    this.console = join(logs, 'console.log');
    this.transcript = join(logs, 'transcript.log');
  }

  /** Make the overlay and start qemu; connect to the agent's socket. */
  async start(): Promise<void> {
    const overlay = join(this.work, 'overlay.qcow2');
    must(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', this.image.root, overlay]);
    const sockPath = join(this.work, 'agent.sock');
    const args = [
      'netns', 'exec', this.netns, 'qemu-system-x86_64',
      '-nodefaults', '-no-user-config', '-display', 'none', '-accel', 'tcg', '-cpu', 'max', '-m', '1024', '-smp', '1',
      '-kernel', this.image.kernel, '-initrd', this.image.initrd,
      '-append', 'root=/dev/vda rw console=ttyS0 panic=0',
      '-drive', `file=${overlay},if=virtio,format=qcow2`,
      ...nics(this.layout),
      '-device', 'virtio-serial-pci,addr=0x5',
      '-chardev', `socket,id=agent,path=${sockPath},server=on,wait=off`, '-device', 'virtserialport,chardev=agent,name=srbt.agent',
      '-serial', `file:${this.console}`,
    ];
    this.note(`qemu: ip ${args.join(' ')}`);
    const qemu = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.qemu = qemu;
    qemu.stderr?.on('data', (d: Buffer) => (this.qemuErr += d.toString()));
    qemu.on('exit', (code, signal) => {
      this.note(`qemu exited: ${code ?? signal}: ${this.qemuErr.trim()}`);
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new Error(`qemu exited (${code ?? signal}): ${this.qemuErr.trim()}`));
      }
    });
    // the socket's file exists a moment before qemu listens on it (ECONNREFUSED under load): retried
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (qemu.exitCode !== null) throw new Error(`qemu exited ${qemu.exitCode}: ${this.qemuErr.trim()}`);
      const s = existsSync(sockPath) ? await this.connectOnce(sockPath) : undefined;
      if (s) {
        this.sock = s;
        break;
      }
      if (Date.now() > deadline) throw new Error(`qemu's agent socket ${sockPath} took no connection in 20 s`);
      await sleep(100);
    }
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d: string) => this.receive(d));
  }

  private connectOnce(path: string): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const s = connect(path, () => resolve(s));
      s.on('error', () => resolve(undefined));
    });
  }

  private receive(data: string): void {
    this.buf += data;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      const m = /^R (\d+) (\d+) \.(\S*) \.(\S*)$/.exec(line);
      if (!m) continue;
      const p = this.pending.get(Number(m[1]));
      if (!p) continue; // an answer to a probe that already timed out
      clearTimeout(p.timer);
      this.pending.delete(Number(m[1]));
      const text = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
      p.resolve({ code: Number(m[2]), stdout: text(m[3]), stderr: text(m[4]) });
    }
  }

  /**
   * Run `script` with sh in the guest (killed there after timeoutS); reject when no answer comes
   * within answerMs (default: timeoutS + 10 s). quiet: not in the transcript.
   */
  run(script: string, timeoutS = 120, { quiet = false, answerMs = (timeoutS + 10) * 1000 } = {}): Promise<GuestResult> {
    const sock = this.sock;
    if (!sock) return Promise.reject(new Error('the VM is not started'));
    const id = this.nextId++;
    return new Promise<GuestResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        if (!quiet) this.note(`# ${id} no answer in ${answerMs} ms: ${script}`);
        reject(new Error(`guest: no answer in ${answerMs} ms to: ${script.slice(0, 200)}`));
      }, answerMs);
      this.pending.set(id, {
        timer,
        reject,
        resolve: (r) => {
          if (!quiet) this.note(`# ${id} $ ${script.length > 2000 ? `${script.slice(0, 200)}... (${script.length} chars)` : script}\n# exit ${r.code}\n${r.stdout}${r.stderr ? `# stderr:\n${r.stderr}` : ''}`);
          resolve(r);
        },
      });
      sock.write(`${id} ${timeoutS} ${Buffer.from(script).toString('base64')}\n`);
    });
  }

  /**
   * The guest's boot_id once the agent answers (and, with `not`, differs from it: the next boot),
   * probing every few seconds until deadlineMs: probes sent while no agent reads are lost or late.
   */
  async bootId(deadlineMs: number, not?: string): Promise<string> {
    for (;;) {
      if (this.qemu?.exitCode !== null) throw new Error(`qemu exited: ${this.qemuErr.trim()}`);
      const r = await this.run('cat /proc/sys/kernel/random/boot_id', 10, { quiet: true, answerMs: 3000 }).catch(() => undefined);
      const id = r?.stdout.trim();
      if (id && id !== not) {
        this.note(`# the agent answers: boot_id ${id}`);
        return id;
      }
      if (Date.now() > deadlineMs) throw new Error(`the guest's agent did not answer${not ? ' with a new boot_id (after reboot)' : ''} before the deadline; see ${this.console}`);
      await sleep(1000);
    }
  }

  /** Copy a host file into the guest (base64 through the agent). */
  async push(data: Buffer, dest: string): Promise<void> {
    const r = await this.run(`base64 -d >'${dest}' <<'EOF'\n${data.toString('base64').replace(/.{76}/g, '$&\n')}\nEOF\n`, 120, { quiet: true });
    this.note(`# push ${data.length} bytes to ${dest}: exit ${r.code} ${r.stderr}`);
    if (r.code !== 0) throw new Error(`copying ${dest} into the guest failed: ${r.stderr}`);
  }

  note(text: string): void {
    appendFileSync(this.transcript, `[${new Date().toISOString()}] ${text}\n`);
  }

  /** Stop qemu (the PID this object started) and wait for it. */
  async stop(): Promise<void> {
    this.sock?.destroy();
    const q = this.qemu;
    if (!q || q.exitCode !== null || q.signalCode !== null) return;
    const gone = new Promise<void>((r) => q.once('exit', () => r()));
    q.kill('SIGTERM');
    const killer = setTimeout(() => q.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(killer);
  }
}
