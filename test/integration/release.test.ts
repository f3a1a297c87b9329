// The release files `npm run release` makes (build/release.mjs): what they hold, that a second
// build gives the same bytes, lintian's verdict on the .deb, and that each installs on a box with
// no npm and no route anywhere and purges back to the same /etc. Every install runs inside a
// Sandbox (a private mount namespace with overlays) in a network namespace; the .deb's sandbox
// also lays overlays over /usr and /var, so dpkg's database, its log and man-db's cache change
// only there. Why an overlay sandbox and not `dpkg --root DIR`: dpkg runs the maintainer scripts
// chrooted into DIR, and they run the real uninstall (sh, node, ip, the kernel's rules), which an
// empty DIR cannot; the sandbox is the host's own system, with every write kept in a temp dir.
import { readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_BUNDLE, requireBundle, STD_PATH } from '../support/bundle.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { must, run, type RunResult } from '../support/run.js';
import { Sandbox } from '../support/sandbox.js';
import { tempDir } from '../support/tmp.js';

const REPO = join(__dirname, '..', '..');
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const TARBALL = `srcroute-${version}.tar.gz`;
const DEB = `srcroute_${version}_all.deb`;
/** A stand-in npm first on PATH: any call is recorded (the record's existence is the failure). */
const FAKE_NPM = '#!/bin/sh\necho "npm $*" >> /run/npm-ran\nexit 1\n';
const PATH = `/run/fakebin:${dirname(process.execPath)}:${STD_PATH}`;

/**
 * Today's release (main when uninstall got its named order and went on past failed removals):
 * the upgrade starts from its .deb.
 */
const PREVIOUS = 'b8a5284';

/** PREVIOUS's .deb, built from its tree (git archive: no worktree left behind) with this checkout's node_modules. */
function previousDeb(): string {
  const src = tempDir('srcroute-previous');
  must(['sh', '-c', `git -C '${REPO}' archive ${PREVIOUS} | tar -x -C '${src}'`]);
  symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules'));
  must([process.execPath, join(src, 'build', 'build.mjs')]);
  const epoch = must(['git', '-C', REPO, 'show', '-s', '--format=%ct', PREVIOUS]).trim();
  const env = { ...process.env, SOURCE_DATE_EPOCH: epoch };
  must([process.execPath, join(src, 'build', 'release.mjs'), join(src, 'out')], { env });
  return join(src, 'out', DEB);
}

const ok = prerequisites('release files', ['root', 'git', 'tar', 'gzip', 'dpkg-deb', 'ip', 'unshare', 'nsenter']);
const okDpkg = ok && prerequisites('the .deb under dpkg', ['dpkg', 'dpkg-query']);
const okLintian = ok && prerequisites('lintian on the .deb', ['lintian']);

/** Build the release files into a fresh temp dir (the bundles are `npm run build`'s). */
function release(): string {
  requireBundle();
  const out = tempDir('srcroute-release');
  must([process.execPath, join(REPO, 'build', 'release.mjs'), out]);
  return out;
}
let built: string | undefined;
const releaseDir = (): string => (built ??= release());

/**
 * For the enclosing describe: a box with a macvlan and no route anywhere, a Sandbox over it (over
 * `overlays`, or the default /etc, /usr/local and /var/lib) with a recording npm first on PATH.
 */
function offlineBox(overlays?: string[]) {
  let ns: Netns | undefined;
  let box: Sandbox | undefined;
  beforeAll(() => {
    ns = boxWithMacvlans(['eth0v0']);
    box = Sandbox.start({ netns: ns.name, ...(overlays ? { overlays } : {}) });
    inBox(`mkdir -p /run/fakebin && printf '%s' '${FAKE_NPM}' > /run/fakebin/npm && chmod 755 /run/fakebin/npm`);
  });
  afterAll(async () => {
    await box?.stop();
    ns?.destroy();
  });
  const sb = (): Sandbox => {
    if (!box) throw new Error('sandbox not started');
    return box;
  };
  const sh = (script: string): RunResult => sb().run(['sh', '-c', script], { env: { PATH } });
  const inBox = (script: string): string => {
    const r = sh(script);
    if (r.code !== 0) throw new Error(`${script} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const npmRan = (): string => sh('cat /run/npm-ran').stdout;
  return { sb, sh, inBox, npmRan };
}

describe.skipIf(!ok)('npm run release', () => {
  const epoch = ok ? must(['git', '-C', REPO, 'log', '-1', '--format=%ct']).trim() : '';
  const date = ok ? must(['date', '-u', '-d', `@${epoch}`, '+%Y-%m-%d %H:%M:%S']).trim() : '';

  it('gives the same bytes on a second build (SOURCE_DATE_EPOCH, sorted, root:root, gzip -n)', () => {
    const again = release();
    for (const f of [TARBALL, DEB]) expect(readFileSync(join(again, f)).equals(readFileSync(join(releaseDir(), f))), f).toBe(true);
  });

  it('the tarball: install.sh, the bundles, the man pages, hooks, README, docs, LICENSE; root-owned, dated by the commit', () => {
    const list = must(['tar', '--numeric-owner', '--full-time', '-tvzf', join(releaseDir(), TARBALL)], { env: { TZ: 'UTC' } });
    const entries = list.trim().split('\n').map((l) => l.split(/\s+/));
    const top = `srcroute-${version}`;
    expect(entries.map(([mode, , , , , name]) => `${mode} ${name}`)).toEqual([
      `drwxr-xr-x ${top}/`,
      `-rw-r--r-- ${top}/LICENSE`,
      `-rw-r--r-- ${top}/README.md`,
      `drwxr-xr-x ${top}/dist/`,
      `-rwxr-xr-x ${top}/dist/hook.cjs`,
      `-rw-r--r-- ${top}/dist/srcroute.8`,
      `-rwxr-xr-x ${top}/dist/srcroute.cjs`,
      `-rw-r--r-- ${top}/dist/srcroute.env.5`,
      `drwxr-xr-x ${top}/docs/`,
      `-rw-r--r-- ${top}/docs/development.md`,
      `-rw-r--r-- ${top}/docs/dhcpcd-service.md`,
      `drwxr-xr-x ${top}/docs/examples/`,
      `-rw-r--r-- ${top}/docs/examples/50-nsupdate`,
      `-rw-r--r-- ${top}/docs/forwarding.md`,
      `-rw-r--r-- ${top}/docs/hooks.md`,
      `-rw-r--r-- ${top}/docs/how-it-works.md`,
      `-rw-r--r-- ${top}/docs/performance.md`,
      `-rw-r--r-- ${top}/docs/security.md`,
      `-rw-r--r-- ${top}/docs/stacks.md`,
      `-rw-r--r-- ${top}/docs/topology.svg`,
      `drwxr-xr-x ${top}/hooks/`,
      `-rw-r--r-- ${top}/hooks/dhclient-enter-hook`,
      `-rw-r--r-- ${top}/hooks/dhclient-exit-hook`,
      `-rw-r--r-- ${top}/hooks/dhcpcd.exit-hook`,
      `-rwxr-xr-x ${top}/install.sh`,
    ]);
    for (const [, owner, , day, time] of entries) expect(`${owner} ${day} ${time}`).toBe(`0/0 ${date}`);
  });

  it('the .deb: Depends, Recommends, and every path with its mode, root-owned', () => {
    const deb = join(releaseDir(), DEB);
    const field = (name: string): string => must(['dpkg-deb', '--field', deb, name]).trim();
    expect([field('Package'), field('Version'), field('Architecture')]).toEqual(['srcroute', version, 'all']);
    expect(field('Depends')).toBe('nodejs (>= 18.19), iproute2, nftables');
    expect(field('Recommends')).toBe('dhcpcd-base | isc-dhcp-client');
    const contents = must(['dpkg-deb', '--contents', deb]).trim().split('\n').map((l) => l.split(/\s+/));
    expect(contents.map(([mode, owner, , , , name, ...link]) => [mode, owner, name, ...link].join(' '))).toEqual([
      'drwxr-xr-x root/root ./',
      'drwxr-xr-x root/root ./usr/',
      'drwxr-xr-x root/root ./usr/lib/',
      'drwxr-xr-x root/root ./usr/lib/srcroute/',
      'drwxr-xr-x root/root ./usr/lib/srcroute/dist/',
      '-rwxr-xr-x root/root ./usr/lib/srcroute/dist/hook.cjs',
      '-rwxr-xr-x root/root ./usr/lib/srcroute/dist/srcroute.cjs',
      'drwxr-xr-x root/root ./usr/lib/srcroute/hooks/',
      '-rw-r--r-- root/root ./usr/lib/srcroute/hooks/dhclient-enter-hook',
      '-rw-r--r-- root/root ./usr/lib/srcroute/hooks/dhclient-exit-hook',
      '-rw-r--r-- root/root ./usr/lib/srcroute/hooks/dhcpcd.exit-hook',
      '-rwxr-xr-x root/root ./usr/lib/srcroute/install.sh',
      'drwxr-xr-x root/root ./usr/sbin/',
      'drwxr-xr-x root/root ./usr/share/',
      'drwxr-xr-x root/root ./usr/share/doc/',
      'drwxr-xr-x root/root ./usr/share/doc/srcroute/',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/README.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/changelog.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/copyright',
      'drwxr-xr-x root/root ./usr/share/doc/srcroute/docs/',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/development.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/dhcpcd-service.md.gz',
      'drwxr-xr-x root/root ./usr/share/doc/srcroute/docs/examples/',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/examples/50-nsupdate',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/forwarding.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/hooks.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/how-it-works.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/performance.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/security.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/stacks.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/srcroute/docs/topology.svg',
      'drwxr-xr-x root/root ./usr/share/man/',
      'drwxr-xr-x root/root ./usr/share/man/man5/',
      '-rw-r--r-- root/root ./usr/share/man/man5/srcroute.env.5.gz',
      'drwxr-xr-x root/root ./usr/share/man/man8/',
      '-rw-r--r-- root/root ./usr/share/man/man8/srcroute.8.gz',
      'lrwxrwxrwx root/root ./usr/sbin/srcroute -> ../lib/srcroute/dist/srcroute.cjs',
    ]);
  });

  describe.skipIf(!okLintian)('lintian', () => {
    it('finds no error, warning, info or pedantic tag in the .deb', () => {
      const r = run(['lintian', '--info', '--pedantic', '--fail-on', 'error,warning,info,pedantic', join(releaseDir(), DEB)]);
      expect(r.stdout).toBe('');
      expect(r.code, r.stderr).toBe(0);
    });
  });

  describe('the tarball, unpacked on a box with no route anywhere and no npm', () => {
    const { sb, sh, npmRan } = offlineBox();

    it('install.sh plans --parent and installs from it without npm; uninstall --purge gives /etc back byte for byte', () => {
      expect(sh('ip route get 192.0.2.1').stderr).toMatch(/unreachable/);
      expect(sh('ip -6 route get 2001:db8::1').stderr).toMatch(/unreachable/);
      const pristine = sb().snapshot();
      const dir = `/run/unpacked/srcroute-${version}`;
      expect(sh(`mkdir /run/unpacked && tar -xzf '${join(releaseDir(), TARBALL)}' -C /run/unpacked`).code).toBe(0);

      // --parent's stack plan comes from the tarball's bundle too (a dry run: no systemd here)
      const plan = sh(`cd ${dir} && ./install.sh --dry-run --parent eth0 --stack networkd eth0v0`);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('install.sh: eth0v0: networkd as asked with --stack\n');
      expect(plan.stdout).toContain('install.sh: would write /etc/systemd/network/eth0v0.netdev\n');
      expect(sb().snapshot()).toBe(pristine);

      const r = sh(`cd ${dir} && ./install.sh eth0v0`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('installed srcroute for: eth0v0');
      expect(npmRan()).toBe('');
      expect(sb().read('/etc/dhcpcd/eth0v0.exit-hook').endsWith(readFileSync(HOOK_BUNDLE, 'utf8').replace(/^#![^\n]*\n/, ''))).toBe(true);
      expect(sh('/usr/local/sbin/srcroute --version').stdout).toBe(`srcroute ${version}\n`);
      const unpacked = 'LICENSE\nREADME.md\ndist\ndocs\nhooks\ninstall.sh\n';
      expect(sh(`ls ${dir}`).stdout, 'nothing built beside it').toBe(unpacked);

      const u = sh(`cd ${dir} && ./install.sh --uninstall --purge`);
      expect(u.code, u.stderr).toBe(0);
      expect(sb().snapshot()).toBe(pristine);
      expect(npmRan()).toBe('');
    });
  });

  describe.skipIf(!okDpkg)('the .deb under dpkg, in a sandbox over /etc, /usr and /var, with no route anywhere', () => {
    const { sb, sh, inBox, npmRan } = offlineBox(['/etc', '/usr', '/var']);
    const packages = (): string => inBox("dpkg-query -W -f '${Package} ${Version} ${Status}\\n'");
    /** The rule a lease would have made (proto 213 = srcroute, whose name goes with rt_protos.d). */
    const leaseRule = (): boolean => inBox('ip rule show').includes('from 100.64.0.50 ');
    let pristine = '';
    let dpkgBefore = '';
    beforeAll(() => {
      pristine = sb().snapshot();
      dpkgBefore = packages();
    });
    const installAndSetUp = (): void => {
      const i = sh(`dpkg -i '${join(releaseDir(), DEB)}'`);
      expect(i.code, i.stderr).toBe(0);
      expect(inBox("dpkg-query -W -f '${Status}' srcroute")).toBe('install ok installed');
      expect(inBox('/usr/sbin/srcroute --version')).toBe(`srcroute ${version}\n`);
      // the package's command installs; /usr/sbin/srcroute is the command, no copy in /usr/local
      const r = sh('srcroute install eth0v0');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('installed srcroute for: eth0v0');
      expect(inBox('[ -e /usr/local/sbin/srcroute ] || echo none')).toBe('none\n');
      // what a lease would have made: the uninstall must take it out of the kernel
      inBox('ip rule add from 100.64.0.50 lookup 123 pref 1000 proto 213');
      expect(leaseRule()).toBe(true);
    };

    /** dpkg -P: the kernel, /etc and the package list as they were, and npm never ran. */
    const purgeGivesBack = (): void => {
      const p = sh('dpkg -P srcroute');
      expect(p.code, p.stderr).toBe(0);
      expect(leaseRule()).toBe(false);
      expect(sb().snapshot()).toBe(pristine);
      expect(packages()).toBe(dpkgBefore);
      expect(npmRan()).toBe('');
    };

    it('dpkg -r takes srcroute out of the DHCP clients and the kernel and keeps /etc/srcroute; dpkg -P removes that too', () => {
      installAndSetUp();
      const r = sh('dpkg -r srcroute');
      expect(r.code, r.stderr).toBe(0);
      expect(leaseRule()).toBe(false);
      const left = inBox('for p in /etc/dhcpcd/eth0v0.exit-hook /usr/local/sbin/srcroute /usr/lib/srcroute /usr/sbin/srcroute; do [ ! -e "$p" ] || echo "$p"; done');
      expect(left, 'left behind').toBe('');
      expect(inBox('ls /etc/srcroute')).toBe('eth0v0.env\nsrcroute.env\n');
      purgeGivesBack();
    });

    it('dpkg -P from installed (what apt purge does) gives back the same /etc and package list', () => {
      installAndSetUp();
      purgeGivesBack();
    });

    it('an upgrade (the package installed again) refreshes the installed hooks and changes nothing else; purge still gives everything back', () => {
      installAndSetUp();
      const before = sb().snapshot();
      const hook = inBox('sha256sum /etc/dhcpcd/eth0v0.exit-hook');
      sh(`echo '# stale' >> /etc/dhcpcd/eth0v0.exit-hook`);
      const u = sh(`dpkg -i '${join(releaseDir(), DEB)}'`);
      expect(u.code, u.stderr).toBe(0);
      expect(inBox('sha256sum /etc/dhcpcd/eth0v0.exit-hook'), 'the hook is the bundle again').toBe(hook);
      expect(sb().snapshot()).toBe(before);
      purgeGivesBack();
    });

    const UPGRADE = `an upgrade from the release of ${PREVIOUS}, and dpkg -r then a reinstall, ` +
      'leave the box a fresh install makes';
    it(`${UPGRADE}; purge gives everything back`, () => {
      // what a fresh install of this release makes: the reference
      installAndSetUp();
      const fresh = sb().snapshot();
      const list = sb().read('/usr/local/lib/srcroute/installed.list');
      purgeGivesBack();

      const old = sh(`dpkg -i '${previousDeb()}' && srcroute install eth0v0`);
      expect(old.code, old.stderr).toBe(0);
      expect(old.stdout).toContain('installed srcroute for: eth0v0');
      const hook = sb().read('/etc/dhcpcd/eth0v0.exit-hook');
      const bundle = readFileSync(HOOK_BUNDLE, 'utf8').replace(/^#![^\n]*\n/, '');
      const current = (text: string): boolean => text.endsWith(bundle);
      expect(current(hook), 'the old release wrote its own hook').toBe(false);
      const up = sh(`dpkg -i '${join(releaseDir(), DEB)}'`);
      expect(up.code, up.stderr).toBe(0);
      expect(current(sb().read('/etc/dhcpcd/eth0v0.exit-hook')), 'the hook is current').toBe(true);
      expect(sb().read('/usr/local/lib/srcroute/installed.list')).toBe(list);
      // srcroute.env and IFACE.env are the admin's once written: never overwritten, so the old text stays
      const settingsAside = (snap: string): string => snap.split('\n').filter((l) => !/etc\/srcroute\/[^/]*\.env$/.test(l)).join('\n');
      expect(settingsAside(sb().snapshot()), 'upgraded: the same files as a fresh install').toBe(settingsAside(fresh));

      // removed (its settings kept), then installed again and set up again by the admin
      const r = sh('dpkg -r srcroute');
      expect(r.code, r.stderr).toBe(0);
      expect(inBox('ls /etc/srcroute')).toBe('eth0v0.env\nsrcroute.env\n');
      const again = sh(`dpkg -i '${join(releaseDir(), DEB)}' && srcroute install eth0v0`);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('installed srcroute for: eth0v0');
      // the settings were there before this install: its list does not name them (purge removes them all the same);
      // hooks.d and its README went with the package (empty of scripts) and come back, recorded again
      const mine = (l: string): boolean => !/ \/etc\/srcroute(\/[^/]*\.env)?$/.test(l);
      expect(sb().read('/usr/local/lib/srcroute/installed.list')).toBe(list.split('\n').filter(mine).join('\n'));
      const withoutList = (snap: string): string =>
        snap.split('\n').filter((l) => !l.endsWith('usr/local/lib/srcroute/installed.list')).join('\n');
      expect(settingsAside(withoutList(sb().snapshot())), 'reinstalled: the same files as a fresh install').toBe(settingsAside(withoutList(fresh)));
      purgeGivesBack();
    }, 120_000);
  });
});
