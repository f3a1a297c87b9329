// The one-port layout's switch (switch.py: why Python, what it forwards), run by the test in its
// own vm namespace: `ip netns exec NS python3 switch.py …` (ip execs python3 itself: the child's
// PID is the switch's). stop() signals that PID only after its network namespace, read just then,
// is found to be the vm namespace's (ns-identity.ts: a PID alone names nothing once it exits).
// seen() reads which source MACs the switch saw on each VLAN.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { signalIf } from '../support/ns-identity.js';

/** UDP ports on the vm namespace's own lo (no one else's): the switch listens here, qemu here. */
export const SWITCH_PORT = 10001;
export const QEMU_PORT = 10002;

export class Switch {
  private child: ChildProcess | undefined;
  private netIno = 0;
  readonly seenFile: string;

  constructor(private readonly netns: string, work: string) {
    this.seenFile = join(work, 'switch-seen');
  }

  /** Start the switch between the taps and qemu's socket; resolves once it printed `ready`. */
  async start(lanTap: string, modemTap: string, vid: number): Promise<void> {
    this.netIno = statSync(`/run/netns/${this.netns}`).ino;
    const script = resolve(__dirname, 'switch.py');
    const args = [String(SWITCH_PORT), String(QEMU_PORT), lanTap, modemTap, String(vid), this.seenFile];
    const argv = ['netns', 'exec', this.netns, 'python3', script, ...args];
    const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`switch.py printed no "ready" in 20 s: ${err.trim()}`)), 20_000);
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          res();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`switch.py exited ${code}: ${err.trim()}`));
      });
    });
  }

  /** Whether it still runs (it must, the whole test: a dead switch is a cut cable). */
  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The switch's record of VLAN `vid`: per source MAC, the line of its first frame (`VID MAC ETHERTYPE DST`). */
  records(vid: number): string[] {
    if (!existsSync(this.seenFile)) return [];
    return readFileSync(this.seenFile, 'utf8').split('\n').filter((l) => l.startsWith(`${vid} `));
  }

  /** The source MACs seen on VLAN `vid` so far (lower case, colons). */
  seen(vid: number): string[] {
    return this.records(vid).map((l) => l.split(' ')[1]!);
  }

  /** SIGTERM the switch's PID when it is still in the vm namespace; wait for it to exit. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c?.pid || !this.running()) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    if (!signalIf(c.pid, (ids) => ids.net === this.netIno, 'SIGTERM')) return;
    await gone;
  }
}
