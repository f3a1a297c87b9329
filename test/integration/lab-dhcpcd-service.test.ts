// srcroute under Debian 12's own dhcpcd units, as Debian ships them. The unit files in
// test/units/debian-12 are read and their sandbox rebuilt around a real dhcpcd (systemd is not
// PID 1 here; see test/support/systemd-unit.ts): dhcpcd.service's seccomp filters
// (MemoryDenyWriteExecute, the @system-service allow-list), ProtectSystem=strict with only its
// ReadWritePaths writable, PrivateDevices (its /dev/log pointing at a "journal" the test listens
// on) and ProtectHome; then dhcpcd@.service (no hardening) for one interface. srcroute is
// installed by install.sh into the lab's overlays before the sandbox is made, as on a real box.
// Every lease must be routed (pings from the internet side), and neither dhcpcd's output nor
// the syslog lines may show a crash, a warning or a failure. The same on Debian 13:
// the box chrooted into a trixie root filesystem (debian-root.ts), its dhcpcd 10.1 and Node 20
// under trixie's dhcpcd units, read from that tree as trixie ships them.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY, GATEWAY2, Lab, MACS, waitFor } from '../support/lab.js';
import { labHousekeeping } from '../support/lab-housekeeping.js';
import { RELEASES, type Release } from '../support/debian-root.js';
import { prerequisites } from '../support/prereq.js';
import { releaseRoot } from '../support/stack-lab.js';
import { readUnit, type DropIn } from '../support/systemd-unit.js';
import { UnitSandbox } from '../support/unit-sandbox.js';

const REPO = resolve(__dirname, '../..');
/** Where a release's dhcpcd units are read: Debian 12's copies in the tree, trixie's own files in its root. */
const unitsDir = (release: Release, root: string | undefined) => (root ? join(root, 'lib/systemd/system') : join(REPO, 'test/units', release));
// Debian's python3-seccomp loads the filters (test/support/seccomp-exec.py); a missing module is
// reported under its package's name
const seccomp = spawnSync('/usr/bin/python3', ['-c', 'import seccomp']).status === 0 ? [] : ['python3-seccomp'];
const ok = prerequisites('lab-dhcpcd-service', ['root', 'ip', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', 'node', 'systemd-analyze', ...seccomp]);

const ROUTER_BY_MAC = { [MACS.eth0v1!]: GATEWAY2 };
/** What must never appear in dhcpcd's output or in syslog for ordinary lease events. */
const NOISE = /check failed|fatal|trace\/breakpoint|abort|segmentation|warning|error|fail|EROFS|EPERM|cannot|denied|not permitted/i;

for (const release of RELEASES) {
  const root = releaseRoot(release);
  const UNITS = unitsDir(release, root || undefined);
  describe.skipIf(!ok || root === false)(`lab on ${release}: srcroute under its dhcpcd.service sandbox`, () => {
    let lab: Lab;
    let unit: UnitSandbox | undefined;
    let pid = 0;
    let addr0 = '';
    let addr1 = '';
    /** How much of the unit's output the probes of scenario 0 wrote (a node aborting on purpose). */
    let probed = 0;
    const mark = () => lab.events().length;
    const expectReachable = async (addr: string) => {
      expect(await lab.reachable(addr), `traffic to/from ${addr}`).toEqual({ inbound: true, outbound: true });
    };
    const srcrouteLines = () => unit!.messages().filter((l) => /^srcroute(\[\d+\])?:/.test(l));
    /** Both interfaces ran `reason` after mark `m`. */
    const both = async (reason: string | RegExp, m: number, timeoutMs = 20_000) => {
      await lab.waitEvent(reason, 'eth0v0', m, timeoutMs);
      await lab.waitEvent(reason, 'eth0v1', m, timeoutMs);
    };

    /** The unit's drop-ins as installed in the box (/etc/systemd/system/UNIT.d/*.conf, by name). */
    const dropInsOf = (name: string): DropIn[] => {
      const dir = `/etc/systemd/system/${name}.d`;
      const files = lab.sh(['sh', '-c', `ls ${dir}/*.conf 2>/dev/null | LC_ALL=C sort`]).stdout.split('\n').filter(Boolean);
      return files.map((path) => ({ path, text: lab.sandbox.read(path) }));
    };

    beforeAll(async () => {
      lab = Lab.create(root ? { root } : {});
      // the unit where install.sh and `srcroute check` look for it (/etc: the lab's overlay)
      lab.writeFile('/etc/systemd/system/dhcpcd.service', readFileSync(join(UNITS, 'dhcpcd.service'), 'utf8'));
      const inst = lab.install(REPO, ['eth0v0', 'eth0v1']);
      if (inst.code !== 0) throw new Error(`install.sh failed (${inst.code}):\n${inst.stdout}\n${inst.stderr}`);
      lab.eventsFile = '/run/dhcpcd/lab-events'; // the one place under /run the unit lets hooks write
      lab.recordEvents();
      lab.writeFile('/etc/dhcpcd.conf', lab.dhcpcdConfText());
      lab.sh(['mkdir', '-p', '/var/lib/dhcpcd', '/etc/wpa_supplicant']); // ReadWritePaths= must exist
      await lab.startDnsmasq({ routerByMac: ROUTER_BY_MAC });
      // as at boot: systemd-tmpfiles makes what install.sh's tmpfiles.d asks for, in an empty /run
      const boot = lab.sh(['sh', '-c', 'rm -rf /run/srcroute && systemd-tmpfiles --create /etc/tmpfiles.d/srcroute.conf && test -d /run/srcroute']);
      if (boot.code !== 0) throw new Error(`systemd-tmpfiles: ${boot.stderr}`);
      unit = await UnitSandbox.start(lab, readUnit(join(UNITS, 'dhcpcd.service'), { dropIns: dropInsOf('dhcpcd.service') }));
    }, 200_000);

    labHousekeeping(() => lab);
    afterAll(async () => {
      await unit?.close();
    });

    it('0. the sandbox is the unit\'s: read-only but for ReadWritePaths, private /dev with /dev/log, no /root, and the JIT denied', () => {
      const u = unit!;
      expect(u.look(['sh', '-c', 'touch /run/probe']).code, 'write in /run').not.toBe(0);
      expect(u.look(['sh', '-c', 'touch /usr/local/probe']).code, 'write in /usr/local').not.toBe(0);
      expect(u.look(['sh', '-c', 'touch /etc/probe']).code, 'write in /etc').not.toBe(0);
      expect(u.look(['sh', '-c', 'touch /run/dhcpcd/probe && rm /run/dhcpcd/probe']).code, 'write in /run/dhcpcd').toBe(0);
      // srcroute's drop-in: its lock directory, and nothing else
      expect(u.unit.readWritePaths).toContainEqual({ path: '/run/srcroute', optional: true });
      expect(u.look(['sh', '-c', 'touch /run/srcroute/probe && rm /run/srcroute/probe']).code, 'write in /run/srcroute').toBe(0);
      expect(u.look(['readlink', '/dev/log']).stdout.trim()).toBe('/run/systemd/journal/dev-log');
      expect(u.look(['ls', '-A', '/root']).stdout).toBe('');
      // the seccomp filter: a JIT-ing node aborts, a jitless one runs
      expect(u.exec(['node', '-e', '0'])).not.toBe(0);
      expect(u.output()).toMatch(/Check failed/);
      expect(u.exec(['node', '--jitless', '--no-expose-wasm', '-e', '0'])).toBe(0);
      probed = u.output().length;
    });

    it('1. bind (ExecStart=dhcpcd -q -b): both leases routed, srcroute\'s lines in syslog tagged srcroute', async () => {
      const m = mark();
      pid = await unit!.start();
      await both('BOUND', m);
      addr0 = lab.checkLease('eth0v0', GATEWAY);
      addr1 = lab.checkLease('eth0v1', GATEWAY2);
      await expectReachable(addr0);
      await expectReachable(addr1);
      // each interface's own line: the two events come in either order, and so do their lines
      const wanted = [`srcroute[eth0v0] BOUND: rule from ${addr0} lookup`, `srcroute[eth0v1] BOUND: rule from ${addr1} lookup`];
      await waitFor('srcroute\'s lines in syslog', () => wanted.every((w) => srcrouteLines().some((l) => l.includes(w))));
    });

    it('2. renew, both interfaces at once: nothing changes, nothing is duplicated', async () => {
      const owned = lab.owned();
      for (let i = 0; i < 2; i++) {
        const m = mark();
        lab.signal(pid, 'SIGUSR1');
        await both('RENEW', m);
      }
      expect(lab.owned()).toEqual(owned);
      await expectReachable(addr0);
    });

    /** The one failure scenario 3 provokes on purpose (scenario 7 allows exactly it). */
    let lockTimeout = '';

    it('3. the lock is taken in the sandbox: a run whose table another run holds gives up after TIMEOUT, the next converges', async () => {
      // a lock file as a live srcroute run leaves it: table 123's, for the box's network namespace
      const other: ChildProcess = lab.sandbox.spawn(['sleep', '60']);
      try {
        await waitFor('the stand-in run', () => lab.pidsIn('sleep').includes(other.pid!), 5_000, 20);
        const inode = /\[(\d+)\]/.exec(readlinkSync(`/proc/${other.pid}/ns/net`))![1];
        const path = `/run/srcroute/table-${lab.tableOf('eth0v0')}.netns-${inode}.lock`;
        lab.writeFile(path, `${other.pid} test\n`, '600');
        lockTimeout = `srcroute[eth0v0] RENEW: another srcroute run held ${path} for 5s`;
        const m = mark();
        lab.signal(pid, 'SIGUSR1');
        await waitFor('srcroute to give up', () => srcrouteLines().some((l) => l.endsWith(lockTimeout)), 15_000);
        await both('RENEW', m);
        lab.sh(['rm', path]);
      } finally {
        other.kill('SIGKILL');
      }
      const m = mark();
      lab.signal(pid, 'SIGUSR1');
      await both('RENEW', m);
      expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
      const kept = lab.sh(['ls', '-A', '/run/srcroute']).stdout.split('\n').filter(Boolean);
      expect(kept.filter((f) => f.endsWith('.lock')), 'no lock left behind').toEqual([]);
      // and the sandbox let each hook keep its V8 code cache there (src/hook/code-cache.ts), and what
      // hooks.d's scripts were last told (src/hook/followed.ts)
      const caches = kept.filter((f) => f.endsWith('.v8cache')).map((f) => f.replace(/^hook-\d+-\d+-\d+\.v8cache$/, 'cache'));
      expect(caches).toEqual(['cache', 'cache']);
      expect(kept.filter((f) => !f.endsWith('.v8cache')).sort()).toEqual(['eth0v0.hooks4', 'eth0v1.hooks4']);
    });

    it('4. the ISP renumbers (NAK, then BOUND on a new address): old rule gone, new one routed', async () => {
      const old0 = addr0;
      await lab.startDnsmasq({ range: ['100.64.0.70', '100.64.0.79'], routerByMac: ROUTER_BY_MAC, keepLeases: false });
      const m = mark();
      await lab.blink(500);
      [addr0, addr1] = await lab.rebound(/100\.64\.0\.7\d/, m, [GATEWAY, GATEWAY2], [old0, addr1]);
      await expectReachable(addr0);
      await expectReachable(addr1);
    });

    it('5. carrier loss and return: nothing while down, routed again when up', async () => {
      let m = mark();
      lab.carrier(false);
      await both(/^(EXPIRE|NOCARRIER) /, m);
      await waitFor('nothing owned while the carrier is down', () => lab.ownedRules().length === 0, 10_000);
      lab.checkNothing('eth0v0', [addr0]);
      m = mark();
      lab.carrier(true);
      await both(/^(BOUND|REBOOT) /, m);
      expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
      await expectReachable(addr0);
    });

    it('6. ExecStop=dhcpcd -x: every lease stopped, nothing left, dhcpcd gone', async () => {
      const m = mark();
      expect(await unit!.stop()).toBe(0);
      await both(/^(STOP|STOPPED) /, m);
      expect(lab.ownedRules()).toEqual([]);
      expect(lab.ownedRoutes()).toEqual([]);
      expect(lab.pingFromInternet(addr0)).toBe(false);
    });

    it('7. nothing in dhcpcd\'s output or in syslog looks like a crash, a warning or a failure', () => {
      expect(unit!.output().slice(probed).split('\n').filter((l) => NOISE.test(l))).toEqual([]);
      // scenario 3's run, as provoked: its message and the dispatcher's line for its exit status
      const provoked = [lockTimeout, 'srcroute[eth0v0] RENEW: /etc/dhcpcd/eth0v0.exit-hook failed (status 1)'];
      const noisy = unit!.messages().filter((l) => NOISE.test(l));
      expect(noisy.filter((l) => !provoked.some((p) => l.endsWith(p)))).toEqual([]);
      expect(unit!.messages().filter((l) => provoked.some((p) => l.endsWith(p)))).toHaveLength(2);
      expect(srcrouteLines().length).toBeGreaterThan(4);
    });

    it('8. dhcpcd@eth0v0.service (dhcpcd -q -w eth0v0, no hardening): bind, renew and stop as before', async () => {
      await unit?.close();
      unit = await UnitSandbox.start(lab, readUnit(join(UNITS, 'dhcpcd@.service'), { instance: 'eth0v0', dropIns: dropInsOf('dhcpcd@eth0v0.service') }));
      let m = mark();
      pid = await unit.start();
      await lab.waitEvent(/^(BOUND|REBOOT) /, 'eth0v0', m);
      addr0 = lab.checkLease('eth0v0', GATEWAY);
      await expectReachable(addr0);
      m = mark();
      lab.signal(pid, 'SIGUSR1');
      await lab.waitEvent('RENEW', 'eth0v0', m);
      expect(lab.checkLease('eth0v0', GATEWAY)).toEqual(addr0);
      m = mark();
      expect(await unit.stop()).toBe(0);
      await lab.waitEvent(/^(STOP|STOPPED) /, 'eth0v0', m);
      lab.checkNothing('eth0v0', [addr0]);
      expect(unit.messages().filter((l) => NOISE.test(l))).toEqual([]);
    });

    it('9. srcroute check: nothing to say about the unit; a hook that needs the JIT, or no drop-in, is named with the fix', () => {
      const check = () => lab.sh(['/usr/local/sbin/srcroute', 'check']).stdout;
      expect(check()).not.toMatch(/dhcpcd\.service/);
      lab.sh(['sed', '-i', '1s|.*|#!/usr/bin/node|', '/etc/dhcpcd/eth0v1.exit-hook']);
      lab.sh(['mv', '/etc/systemd/system/dhcpcd.service.d/srcroute.conf', '/etc/systemd/system/srcroute.conf.off']);
      const out = check();
      expect(out).toContain('eth0v1: /etc/dhcpcd/eth0v1.exit-hook runs node with its JIT, which dhcpcd.service denies its hooks (MemoryDenyWriteExecute=yes in /etc/systemd/system/dhcpcd.service)');
      expect(out).toContain('fix: sudo ./install.sh eth0v1');
      expect(out).toContain('dhcpcd.service makes /run read-only for its hooks (ProtectSystem=strict) and does not let them write /run/srcroute');
      lab.sh(['rm', '/etc/systemd/system/srcroute.conf.off']);
      const again = lab.install(REPO, []);
      expect(again.code, again.stderr).toBe(0);
      expect(check()).not.toMatch(/dhcpcd\.service/);
    });
  });
}
