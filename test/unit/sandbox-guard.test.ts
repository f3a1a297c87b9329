// Each way around the test sandboxes' guards (test/support/sandbox.ts, ns-identity.ts, netns.ts)
// tried, and refused: a holder PID that died (stale), one reused by a process of the host or of
// another lab's namespaces, a holder whose /etc (or /run, /var/lib, /usr/local) is the host's, a
// caller's overlay list without /etc, a kill aimed at a PID that is not the lab's, and a crashed
// run's namespaces (swept only when their owner is dead and the name carries the prefix).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/lab.js';
import { Netns, ownerOf, sweepOrphans } from '../support/netns.js';
import { alive, exposedDirs, holdsOverlayOf, idsOf, parseIds, REPORT_IDS, signalIfOurs, type NsIds } from '../support/ns-identity.js';
import { prerequisites } from '../support/prereq.js';
import { must } from '../support/run.js';
import { pinHolder, Sandbox } from '../support/sandbox.js';

const ok = prerequisites('sandbox guards', ['root', 'ip', 'unshare', 'nsenter', 'mount', 'stat', 'findmnt', 'python3']);

/** A mountinfo line: mount point `at`, filesystem `fstype`. */
const mount = (at: string, fstype: string) => `36 35 98:0 / ${at} rw,noatime master:1 - ${fstype} src rw`;

describe('exposedDirs: /etc, /run, /var/lib and /usr/local must each be an overlay or a tmpfs', () => {
  const host = [mount('/', 'ext4'), mount('/proc', 'proc')];
  it.each([
    ['all four private', [...host, mount('/etc', 'overlay'), mount('/usr/local', 'overlay'), mount('/var/lib', 'overlay'), mount('/run', 'tmpfs')], []],
    ['no /etc overlay', [...host, mount('/usr/local', 'overlay'), mount('/var/lib', 'overlay'), mount('/run', 'tmpfs')], ['/etc']],
    ['the host\'s /run (a tmpfs below, an ext4 bound over it)', [...host, mount('/etc', 'overlay'), mount('/usr/local', 'overlay'), mount('/var/lib', 'overlay'), mount('/run', 'tmpfs'), mount('/run', 'ext4')], ['/run']],
    ['a chroot whose root is an overlay', [mount('/', 'overlay'), mount('/run', 'tmpfs')], []],
    ['nothing at all', host, ['/etc', '/run', '/var/lib', '/usr/local']],
    ['/var private, not /var/lib itself', [...host, mount('/etc', 'overlay'), mount('/usr', 'overlay'), mount('/var', 'overlay'), mount('/run', 'tmpfs')], []],
    ['/usr/local private, then the host\'s /usr bound over /usr (it hides the overlay)', [...host, mount('/etc', 'overlay'), mount('/usr/local', 'overlay'), mount('/var/lib', 'overlay'), mount('/run', 'tmpfs'), mount('/usr', 'ext4')], ['/usr/local']],
    ['an overlay on /etcetera is not one on /etc', [...host, mount('/etcetera', 'overlay'), mount('/usr/local', 'overlay'), mount('/var/lib', 'overlay'), mount('/run', 'tmpfs')], ['/etc']],
  ])('%s', (_, lines, exposed) => {
    expect(exposedDirs(lines.join('\n'))).toEqual(exposed);
  });
});

describe.skipIf(!ok)('the sandbox refuses every way around its guards', () => {
  let ns: Netns;
  let other: Netns;
  let sb: Sandbox;
  let elsewhere: Sandbox;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    ns = Netns.create('guard');
    other = Netns.create('guard');
    sb = Sandbox.start({ netns: ns.name });
    elsewhere = Sandbox.start({ netns: other.name }); // another worker's lab, say
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL'); // by handle: our own children
    await sb?.stop();
    await elsewhere?.stop();
    ns?.destroy();
    other?.destroy();
  });

  /** Start `argv` and wait until its REPORT_IDS line: a holder of our making, as a test needs it. */
  async function holder(argv: string[]): Promise<{ child: ChildProcess; ids: NsIds }> {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const ids = await waitFor('the holder to report', () => parseIds(out), 10_000, 20);
    return { child, ids };
  }

  it('the control: the real holder, as reported, in its netns, is accepted', () => {
    const pinned = pinHolder(sb.holderPid!, sb.ids, ns.name);
    expect(pinned.ids).toEqual(sb.ids);
    expect(sb.ids.net).toBe(ns.inode);
    pinned.close();
  });

  it('a stale PID: the holder died, its PID is refused', async () => {
    const h = await holder(['ip', 'netns', 'exec', ns.name, 'unshare', '--mount', '--', 'sh', '-c', `${REPORT_IDS}; exec sleep 600`]);
    const pid = h.child.pid!;
    await new Promise((r) => (h.child.once('exit', r), h.child.kill('SIGKILL')));
    expect(() => pinHolder(pid, h.ids, ns.name)).toThrow(/is gone \(a stale PID\)|a reused PID/);
  });

  it('a PID reused by a process of another lab (other mount and network namespaces) is refused', () => {
    expect(() => pinHolder(elsewhere.holderPid!, sb.ids, ns.name)).toThrow(/not in mnt:\[\d+\] net:\[\d+\] its holder reported \(a reused PID\?\)/);
  });

  it('a PID reused by a process of the host is refused, and so is one that reports the host\'s namespaces', () => {
    expect(() => pinHolder(process.pid, sb.ids, ns.name)).toThrow(/a reused PID/);
    expect(() => pinHolder(process.pid, idsOf('self')!, ns.name)).toThrow(/is not in the network namespace/);
  });

  it('a holder in another network namespace than the one named is refused, though it reports truly', () => {
    expect(() => pinHolder(elsewhere.holderPid!, elsewhere.ids, ns.name)).toThrow(new RegExp(`is not in the network namespace ${ns.name}`));
  });

  it('a holder without its own /etc (only /run private) is refused; with every overlay (the control) accepted', async () => {
    const run = 'mount -t tmpfs tmpfs /run';
    const lacking = await holder(['ip', 'netns', 'exec', ns.name, 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', `${run}; ${REPORT_IDS}; exec sleep 600`]);
    expect(() => pinHolder(lacking.child.pid!, lacking.ids, ns.name)).toThrow(/shares the host's \/etc, \/var\/lib, \/usr\/local/);
    const all = ['/etc', '/var/lib', '/usr/local'].map((d) => `mount -t tmpfs tmpfs ${d}`).join('; ');
    const whole = await holder(['ip', 'netns', 'exec', ns.name, 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', `${run}; ${all}; ${REPORT_IDS}; exec sleep 600`]);
    pinHolder(whole.child.pid!, whole.ids, ns.name).close();
  });

  it('a caller\'s overlay list without /etc cannot take /etc away: a write there stays in the sandbox', async () => {
    const narrow = Sandbox.start({ netns: ns.name, overlays: ['/usr/local'] });
    const probe = `/etc/srcroute-guard-probe-${process.pid}`;
    try {
      expect(narrow.run(['sh', '-c', `echo x > ${probe} && cat ${probe}`]).stdout).toBe('x\n');
      expect(existsSync(probe)).toBe(false);
      expect(narrow.run(['findmnt', '-n', '-o', 'FSTYPE', '/etc']).stdout.trim()).toBe('overlay');
      expect(narrow.run(['findmnt', '-n', '-o', 'FSTYPE', '/run']).stdout.trim()).toBe('tmpfs');
    } finally {
      await narrow.stop();
      rmSync(probe, { force: true }); // only if the guard failed (the test then fails above)
    }
  });

  it('a kill goes only to a process in the lab\'s namespaces: a host process and one in the lab\'s netns under another mount namespace are spared', async () => {
    const host = spawn('sleep', ['600'], { stdio: 'ignore' });
    const sameNet = await holder(['ip', 'netns', 'exec', ns.name, 'sh', '-c', `${REPORT_IDS}; exec sleep 600`]);
    children.push(host);
    expect(signalIfOurs(host.pid!, [sb.ids])).toBe(false);
    expect(signalIfOurs(sameNet.child.pid!, [sb.ids])).toBe(false);
    expect(alive(host.pid!) && alive(sameNet.child.pid!)).toBe(true);
    // the control: a process of the sandbox's is killed
    const inside = sb.spawn(['sleep', '600']);
    await waitFor('the sandbox\'s sleep', () => idsOf(inside.pid!)?.mnt === sb.ids.mnt, 5_000, 20);
    const gone = new Promise((r) => inside.once('exit', r));
    expect(signalIfOurs(inside.pid!, [sb.ids])).toBe(true);
    expect(await gone).toBe(null); // killed by a signal: no exit code
  });

  it('a mount namespace nested in the sandbox (a unit\'s) holds its overlays; the host\'s and another lab\'s do not', async () => {
    const nested = sb.spawn(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', `${REPORT_IDS}; exec sleep 600`]);
    let out = '';
    nested.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const ids = await waitFor('the nested holder', () => parseIds(out), 10_000, 20);
    expect(ids.mnt).not.toBe(sb.ids.mnt);
    expect(holdsOverlayOf(nested.pid!, ids.mnt, [sb.dir])).toBe(true);
    expect(holdsOverlayOf(nested.pid!, sb.ids.mnt, [sb.dir]), 'not the namespace named').toBe(false);
    expect(holdsOverlayOf(process.pid, idsOf('self')!.mnt, [sb.dir])).toBe(false);
    expect(holdsOverlayOf(elsewhere.holderPid!, elsewhere.ids.mnt, [sb.dir])).toBe(false);
    expect(holdsOverlayOf(elsewhere.holderPid!, elsewhere.ids.mnt, [elsewhere.dir])).toBe(true); // the control
    // chrooted below the overlay's mount point, as dhcpcd's helpers are: its own mountinfo lists
    // no overlay of the sandbox's (the control), the namespace holds them all the same
    const py = "import os, time; os.chroot('/var/lib/dpkg'); print('in', flush=True); time.sleep(600)";
    const chrooted = sb.spawn(['unshare', '--mount', '--propagation', 'private', '--', 'python3', '-c', py]);
    let said = '';
    chrooted.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    await waitFor('the chrooted process', () => said.includes('in'), 10_000, 20);
    expect(readFileSync(`/proc/${chrooted.pid}/mountinfo`, 'utf8')).not.toContain(`upperdir=${sb.dir}/`);
    expect(holdsOverlayOf(chrooted.pid!, idsOf(chrooted.pid!)!.mnt, [sb.dir])).toBe(true);
  });
});

describe.skipIf(!ok)('a crashed run leaves nothing: its namespaces are swept once its owner is dead', () => {
  const prefix = `${process.env.LAB_NETNS_PREFIX ?? 'sr-'}sweep`;
  const made: string[] = [];
  afterAll(() => {
    for (const n of made) if (existsSync(`/run/netns/${n}`)) must(['ip', 'netns', 'del', n]);
  });

  it('a namespace of a dead owner goes, with its processes; a live owner\'s, and another prefix\'s, stay', async () => {
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    const names = [`${prefix}-box-${dead.pid}-1`, `${prefix}-box-${process.pid}-1`, `zz${prefix}-box-${dead.pid}-1`];
    for (const n of names) must(['ip', 'netns', 'add', n]), made.push(n);
    expect(names.map((n) => ownerOf(n, `${prefix}-`))).toEqual([dead.pid, process.pid, undefined]);
    // the crashed lab's daemon: it outlived its owner (detached, as a holder's sleep would)
    const orphan = spawn('ip', ['netns', 'exec', names[0]!, 'sleep', '600'], { stdio: 'ignore', detached: true });
    await waitFor('the orphan in its namespace', () => idsOf(orphan.pid!)?.net !== idsOf('self')!.net, 5_000, 20);
    const exited = new Promise((r) => orphan.once('exit', r));
    expect(sweepOrphans(`${prefix}-`)).toEqual([names[0]]);
    await exited;
    expect(names.map((n) => existsSync(`/run/netns/${n}`))).toEqual([false, true, true]);
  });
});

describe.skipIf(!ok)('a sandbox that cannot be made says why, at once', () => {
  it('a network namespace that does not exist', () => {
    const started = Date.now();
    expect(() => Sandbox.start({ netns: 'srcroute-no-such-netns' })).toThrow(/sandbox did not start: .*srcroute-no-such-netns/);
    expect(Date.now() - started, 'not the 10 s deadline').toBeLessThan(9_000);
  });
});
