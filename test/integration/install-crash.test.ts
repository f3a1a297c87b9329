// Crash safety of the installer (src/install/writer.ts), on the BUILT bundle: the installer is
// killed (SIGKILL) at each of its writes in turn, then run again; the rerun must complete the very
// same tree an uninterrupted install makes, and uninstall --purge must give the starting tree back
// byte for byte. strace delivers the kill (`-e inject=SYSCALL:signal=KILL:when=N`: on entering
// the Nth rename, after that file's temp copy is written and fsynced but before it takes the
// target's name; or on the Nth mkdir), so the bundle carries no test hook. Staged under --root
// DIR (no command runs, no kernel is touched), from a /etc with the admin's files in it.
// A removal that fails (`inject=unlink:error=EBUSY:when=N`, in turn for each unlink and rmdir of
// an uninstall, the failure a busy mount point gives) is reported on one line, the rest of the
// uninstall still happens, the installed list keeps what failed, the exit status is 1, and a
// rerun gives the starting tree back.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE, requireBundle } from '../support/bundle.js';
import { prerequisites } from '../support/prereq.js';
import { run, type RunResult } from '../support/run.js';
import { tempDir } from '../support/tmp.js';
import { existsSync, readFileSync } from 'node:fs';

const ok = prerequisites('install crash safety', ['strace', 'sha256sum']);
const REPO = join(__dirname, '..', '..');
const ARGS = ['--configure-dhcpcd', 'eth0v0', 'eth0v1'];
const TABLES = '/etc/iproute2/rt_tables.d/srcroute.conf';
const LIST = '/usr/local/lib/srcroute/installed.list';

/** The admin's /etc before srcroute: an exit hook without a final newline, dhcpcd.conf, an old hook, dhcpcd.service. */
function start(): string {
  const root = tempDir('srcroute-crash');
  const put = (path: string, text: string, mode = 0o644): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text, { mode });
  };
  put('etc/dhcpcd.exit-hook', '# the admin\'s\necho "$reason" >> /run/admin.log', 0o600);
  put('etc/dhcpcd.conf', 'hostname\npersistent\n');
  put('etc/dhcpcd/eth0v0.exit-hook', '#!/bin/sh\nip rule add from $new_ip_address table pub\n', 0o755);
  put('etc/iproute2/rt_tables', '255\tlocal\n254\tmain\n');
  put('lib/systemd/system/dhcpcd.service', readFileSync(join(REPO, 'test/units/debian-12/dhcpcd.service'), 'utf8'));
  return root;
}

/** Every path, mode, owner, type and link target under `root`, and every file's hash. */
const tree = (root: string): string =>
  run(['sh', '-c', `cd '${root}' && find . -printf '%p %m %u %g %y %l\\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort`]).stdout;

const srcroute = (root: string, ...args: string[]): RunResult => run([process.execPath, BUNDLE, ...args, '--root', root]);

/** The install killed on entering its `nth` call of `syscall`. */
const killed = (root: string, syscall: string, nth: number): RunResult =>
  run(['strace', '-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=KILL:when=${nth}`, process.execPath, BUNDLE, 'install', '--root', root, ...ARGS]);

/** How many times a whole install (or, given the installed tree, uninstall --purge) calls `syscall`. */
function calls(syscall: string, root = start(), args = ['install', '--root', root, ...ARGS]): number {
  const r = run(['strace', '-f', '-qq', '-c', '-U', 'calls,name', '-e', `trace=${syscall}`, process.execPath, BUNDLE,
    ...args]);
  expect(r.code, r.stderr).toBe(0);
  return Number(new RegExp(`^\\s*(\\d+)\\s+${syscall}$`, 'm').exec(r.stderr)?.[1] ?? 0);
}

describe.skipIf(!ok)('the installer killed after each of its writes', () => {
  it.each(['rename', 'mkdir'])('at each %s: the rerun completes the same install, uninstall --purge gives the start back', (syscall) => {
    requireBundle();
    const reference = start();
    const before = tree(reference);
    expect(srcroute(reference, 'install', ...ARGS).code).toBe(0);
    const installed = tree(reference).replaceAll(reference, '');
    const n = calls(syscall);
    expect(n, `an install makes more than a few ${syscall} calls`).toBeGreaterThan(5);
    for (let k = 1; k <= n; k++) {
      const root = start();
      const r = killed(root, syscall, k);
      expect(r.code, `killed at ${syscall} ${k}: ${r.stdout}${r.stderr}`).toBe(128 + 9);
      const again = srcroute(root, 'install', ...ARGS);
      expect(again.code, `rerun after ${syscall} ${k}: ${again.stderr}`).toBe(0);
      expect(tree(root), `after ${syscall} ${k} and a rerun`).toBe(installed);
      expect(srcroute(root, 'uninstall', '--purge').code).toBe(0);
      expect(tree(root), `uninstalled after ${syscall} ${k}`).toBe(before);
    }
  }, 300_000);

  it('killed at each rename, uninstall --purge without a rerun still gives the start back', () => {
    requireBundle();
    const before = tree(start());
    for (let k = 1; k <= calls('rename'); k++) {
      const root = start();
      expect(killed(root, 'rename', k).code).toBe(128 + 9);
      expect(srcroute(root, 'uninstall', '--purge').code).toBe(0);
      expect(tree(root), `uninstalled after rename ${k}`).toBe(before);
    }
  }, 300_000);

  const FAILS = 'uninstall --purge whose %s fails (EBUSY) at each call in turn: reported, the rest done, ' +
    'the list keeps it, exit 1; a rerun completes';
  it.each(['unlink', 'rmdir'])(FAILS, (syscall) => {
    requireBundle();
    const before = tree(start());
    const template = start();
    expect(srcroute(template, 'install', ...ARGS).code).toBe(0);
    const installed = (): string => {
      const root = tempDir('srcroute-busy');
      expect(run(['cp', '-a', `${template}/.`, root]).code).toBe(0);
      return root;
    };
    const first = installed();
    const n = calls(syscall, first, ['uninstall', '--purge', '--root', first]);
    expect(n, `an uninstall makes more than a few ${syscall} calls`).toBeGreaterThan(5);
    for (let k = 1; k <= n; k++) {
      const root = installed();
      const list = readFileSync(join(root, 'usr/local/lib/srcroute/installed.list'), 'utf8');
      const inject = `inject=${syscall}:error=EBUSY:when=${k}`;
      const r = run(['strace', '-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', inject,
        process.execPath, BUNDLE, 'uninstall', '--purge', '--root', root]);
      const at = `${syscall} ${k}: ${r.stdout}${r.stderr}`;
      expect(r.code, at).toBe(1);
      const failures = r.stderr.split('\n').filter((l) => l.startsWith('srcroute uninstall: cannot '));
      expect(failures, at).toHaveLength(1);
      const path = /^srcroute uninstall: cannot \S+ (\S+): .*EBUSY/.exec(failures[0]!)?.[1];
      expect(path, at).toBeDefined();
      expect(r.stderr, at).toContain(`1 step(s) failed (above); ${LIST} still names what is left`);
      // the rest happened: the admin's files are back, srcroute's gone (but the one that failed)
      const gone = (p: string): boolean => p === path || p.startsWith(`${path}/`) || !existsSync(join(root, p));
      expect(readFileSync(join(root, 'etc/dhcpcd.conf'), 'utf8'), at).toBe('hostname\npersistent\n');
      const ours = ['/usr/local/sbin/srcroute', '/etc/srcroute', '/etc/dhcp/dhclient-exit-hooks.d/srcroute', TABLES];
      for (const p of ours) {
        expect(gone(p), `${p} after ${at}`).toBe(true);
      }
      // the list keeps the failed path's lines
      const kept = readFileSync(join(root, 'usr/local/lib/srcroute/installed.list'), 'utf8');
      const named = list.split('\n').filter((l) => l.endsWith(` ${path}`) && !l.startsWith('table '));
      for (const line of named) expect(kept, at).toContain(`${line}\n`);
      const again = srcroute(root, 'uninstall', '--purge');
      expect(again.code, `rerun after ${at}: ${again.stderr}`).toBe(0);
      expect(tree(root), `uninstalled again after ${at}`).toBe(before);
    }
  }, 300_000);
});
